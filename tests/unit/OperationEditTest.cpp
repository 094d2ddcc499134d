//===- tests/unit/OperationEditTest.cpp - Editing ops in place ------------===//
//
// The IR core edits passes rely on beyond building: removing results.
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"

#include <gtest/gtest.h>

using namespace rnnc::ir;

namespace {

TEST(OperationEdit, EraseResultRenumbersTheRest) {
  Function fn("f");
  Value *x = fn.addArg(TensorType::f32({Dim::symbolic("B"), Dim::fixed(6)}));
  Builder b(&fn.body());
  std::vector<Value *> parts = b.split(x, 1, 3);
  ASSERT_EQ(parts.size(), 3u);
  Operation *split = parts[0]->definingOp();
  b.ret({parts[2]});
  split->eraseResult(1);
  ASSERT_EQ(split->numResults(), 2u);
  EXPECT_EQ(split->result(0), parts[0]);
  EXPECT_EQ(split->result(1), parts[2]);
  EXPECT_EQ(parts[2]->resultIndex(), 1u);
  EXPECT_EQ(fn.returnOp()->operand(0), parts[2]);
}

} // namespace
