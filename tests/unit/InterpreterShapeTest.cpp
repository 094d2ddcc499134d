//===- tests/unit/InterpreterShapeTest.cpp - Interpreter: data movement ---===//
//
// concat, split, slice, reshape and transpose in the reference interpreter,
// for f32 and i32, against values worked out by hand or by index loops
// written here.
//
//===----------------------------------------------------------------------===//
#include "InterpreterTestUtil.h"

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::test;

namespace {

std::vector<float> iota(int n) {
  std::vector<float> v(n);
  for (int k = 0; k < n; ++k)
    v[k] = static_cast<float>(k);
  return v;
}

TEST(InterpreterShape, ConcatAlongEachAxis) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(2)}), "x");
  Value *y = fn.addArg(f32t({N(2), N(1)}), "y");
  Value *z = fn.addArg(f32t({N(1), N(2)}), "z");
  Builder b(&fn.body());
  b.ret({b.concat({x, y}, -1), b.concat({x, z}, 0), b.concat({y, x, y}, 1)});
  // x = [[1,2],[3,4]], y = [[5],[6]], z = [[7,8]].
  auto r = interpret(
      fn, {tf({2, 2}, {1, 2, 3, 4}), tf({2, 1}, {5, 6}), tf({1, 2}, {7, 8})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2, 3}, {1, 2, 5, 3, 4, 6})));
  EXPECT_TRUE(near((*r)[1], tf({3, 2}, {1, 2, 3, 4, 7, 8})));
  EXPECT_TRUE(near((*r)[2], tf({2, 4}, {5, 1, 2, 5, 6, 3, 4, 6})));
}

TEST(InterpreterShape, ConcatI32WithSymbolicOuterDim) {
  Function fn("f");
  Value *x = fn.addArg(i32t({S("B"), N(1)}), "x");
  Value *y = fn.addArg(i32t({S("B"), N(2)}), "y");
  Builder b(&fn.body());
  b.ret({b.concat({x, y}, 1)});
  EXPECT_TRUE(near(runOne(fn, {ti({2, 1}, {1, 2}), ti({2, 2}, {3, 4, 5, 6})}),
                   ti({2, 3}, {1, 3, 4, 2, 5, 6})));
}

TEST(InterpreterShape, SplitIntoGates) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(6)}), "x");
  Builder b(&fn.body());
  std::vector<Value *> parts = b.split(x, 1, 3);
  std::vector<Value *> rows = b.split(x, 0, 2);
  b.ret({parts[0], parts[1], parts[2], rows[1]});
  auto r = interpret(fn, {tf({2, 6}, iota(12))});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2, 2}, {0, 1, 6, 7})));
  EXPECT_TRUE(near((*r)[1], tf({2, 2}, {2, 3, 8, 9})));
  EXPECT_TRUE(near((*r)[2], tf({2, 2}, {4, 5, 10, 11})));
  EXPECT_TRUE(near((*r)[3], tf({1, 6}, {6, 7, 8, 9, 10, 11})));
}

TEST(InterpreterShape, SliceAMiddleWindow) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(3), N(4)}), "x");
  Builder b(&fn.body());
  b.ret({b.slice(x, 1, 1, 2), b.slice(x, -1, 3, 1)});
  auto r = interpret(fn, {tf({2, 3, 4}, iota(24))});
  ASSERT_TRUE(r) << r.error();
  // Element (i,j,k) holds 12i + 4j + k.
  std::vector<float> mid, last;
  for (int i = 0; i < 2; ++i)
    for (int j = 1; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        mid.push_back(12.0f * i + 4.0f * j + k);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      last.push_back(12.0f * i + 4.0f * j + 3);
  EXPECT_TRUE(near((*r)[0], tf({2, 2, 4}, mid)));
  EXPECT_TRUE(near((*r)[1], tf({2, 3, 1}, last)));
}

TEST(InterpreterShape, ReshapeCopiesAndInfersDims) {
  Function fn("f");
  Value *x = fn.addArg(f32t({S("T"), S("B"), N(6)}), "x");
  Builder b(&fn.body());
  b.ret({b.reshape(x, {0, 0, 2, -1}), b.reshape(x, {0, 0, 6, 1})});
  ASSERT_FALSE(b.failed()) << b.firstError();
  auto r = interpret(fn, {tf({1, 2, 6}, iota(12))});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({1, 2, 2, 3}, iota(12))));
  EXPECT_TRUE(near((*r)[1], tf({1, 2, 6, 1}, iota(12))));
}

TEST(InterpreterShape, TransposeMatchesIndexLoop) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(3), N(4)}), "x");
  Value *m = fn.addArg(i32t({N(2), N(3)}), "m");
  Builder b(&fn.body());
  b.ret({b.transpose(x, {2, 0, 1}), b.transpose(m, {1, 0})});
  auto r =
      interpret(fn, {tf({2, 3, 4}, iota(24)), ti({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(r) << r.error();
  // out[k][i][j] = x[i][j][k] = 12i + 4j + k.
  std::vector<float> want;
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        want.push_back(12.0f * i + 4.0f * j + k);
  EXPECT_TRUE(near((*r)[0], tf({4, 2, 3}, want)));
  EXPECT_TRUE(near((*r)[1], ti({3, 2}, {1, 4, 2, 5, 3, 6})));
}

TEST(InterpreterShape, SliceAttributeOutOfRangeIsAnError) {
  // Unchecked construction lets a bad window reach the interpreter.
  Function fn("f");
  Value *x = fn.addArg(f32t({N(4)}), "x");
  Builder b(&fn.body());
  Operation *op = b.createUnchecked(
      OpKind::Slice, {x}, {f32t({N(2)})},
      {{"axis", int64_t(0)}, {"start", int64_t(3)}, {"size", int64_t(2)}});
  b.ret({op->result(0)});
  std::string e = runError(fn, {Tensor(DType::F32, {4})});
  EXPECT_NE(e.find("'slice' op window [3, 5) is outside dim 4"),
            std::string::npos)
      << e;
}

} // namespace
