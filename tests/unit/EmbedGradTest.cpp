//===- tests/unit/EmbedGradTest.cpp - The embed_grad op end to end --------===//
//
// embed_grad(ids, dy) {rows = V} is embed's adjoint, a scatter-add. Checked
// here: the type rule (and its errors), the interpreter against a plain loop
// written in the test, ids outside [0,V) adding nothing, the printed form
// parsing back, and the JIT against the interpreter (CodegenTestUtil.h).
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "InterpreterTestUtil.h"

#include "ir/Printer.h"
#include "ir/TypeRules.h"

#include <sstream>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::test;

namespace {

TEST(EmbedGrad, TypeRule) {
  auto r = inferResultTypes(
      OpKind::EmbedGrad, {i32t({S("T"), S("B")}), f32t({S("T"), S("B"), N(3)})},
      {{"rows", int64_t{7}}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)[0], f32t({N(7), N(3)}));
  auto bad = inferResultTypes(OpKind::EmbedGrad,
                              {i32t({S("T"), S("B")}), f32t({S("B"), N(3)})},
                              {{"rows", int64_t{7}}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("gradient must be f32[<ids dims>, E]"),
            std::string::npos)
      << bad.error();
  auto noRows = inferResultTypes(OpKind::EmbedGrad,
                                 {i32t({S("B")}), f32t({S("B"), N(3)})}, {});
  EXPECT_FALSE(noRows);
}

TEST(EmbedGrad, InterpreterIsAScatterAdd) {
  Function fn("f");
  Value *ids = fn.addArg(i32t({N(3), N(2)}), "ids");
  Value *dy = fn.addArg(f32t({N(3), N(2), N(2)}), "dy");
  Builder b(&fn.body());
  Operation *op =
      b.create(OpKind::EmbedGrad, {ids, dy}, {{"rows", int64_t{4}}});
  ASSERT_TRUE(op) << b.firstError();
  b.ret({op->result(0)});
  // Id 3 twice, 1 once, 0 twice; -1 and 4 are out of range and add nothing.
  std::vector<int32_t> idv = {3, 0, -1, 3, 4, 0};
  std::vector<float> dyv = pseudoRandom(12, 5);
  std::vector<float> want(8, 0.0f);
  for (int k = 0; k < 6; ++k)
    if (idv[k] >= 0 && idv[k] < 4)
      for (int j = 0; j < 2; ++j)
        want[idv[k] * 2 + j] += dyv[k * 2 + j];
  Tensor got = runOne(fn, {ti({3, 2}, idv), tf({3, 2, 2}, dyv)});
  EXPECT_TRUE(near(got, tf({4, 2}, want), 1e-6));
  // Row 1 and 2 got nothing.
  EXPECT_EQ(got.at(2), 0.0);
  EXPECT_EQ(got.at(5), 0.0);
}

const char *kIR = R"(func @g(%ids: i32[T,B], %dy: f32[T,B,3]) -> (f32[5,3]) {
  %0 = embed_grad(%ids, %dy) {rows = 5} : f32[5,3]
  return(%0)
}
)";

TEST(EmbedGrad, PrintsAndParsesBack) {
  auto m = parseIR(kIR);
  ASSERT_TRUE(m);
  std::ostringstream os;
  printModule(*m, os);
  EXPECT_EQ(os.str(), kIR);
}

TEST(EmbedGrad, JitMatchesInterpreter) {
  // ids are drawn from [0, V) with V = 5 unbound, so repeats are frequent.
  checkIR(kIR,
          {{{"T", 1}, {"B", 1}}, {{"T", 6}, {"B", 3}}, {{"T", 0}, {"B", 2}}},
          Tolerance{1e-5, 1e-5});
}

} // namespace
