//===- tests/unit/InterpreterTest.cpp - Interpreter: args, arithmetic -----===//
//
// The reference interpreter on argument binding, constants, elementwise ops
// with broadcasting, select, cast and matmul. Expected values are worked out
// by hand or by plain loops written here, independent of the interpreter.
//
//===----------------------------------------------------------------------===//
#include "InterpreterTestUtil.h"

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::test;

namespace {

TEST(InterpreterArgs, BindsSymbolsAndReturnsArguments) {
  Function fn("f");
  Value *x = fn.addArg(f32t({S("B"), N(2)}), "x");
  Value *y = fn.addArg(f32t({S("B"), N(2)}), "y");
  Builder b(&fn.body());
  b.ret({b.add(x, y), x});
  auto r = interpret(fn, {tf({3, 2}, {1, 2, 3, 4, 5, 6}),
                          tf({3, 2}, {10, 20, 30, 40, 50, 60})});
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_TRUE(near((*r)[0], tf({3, 2}, {11, 22, 33, 44, 55, 66})));
  EXPECT_TRUE(near((*r)[1], tf({3, 2}, {1, 2, 3, 4, 5, 6})));
}

TEST(InterpreterArgs, WrongCountDTypeRankAndStaticDim) {
  Function fn("f");
  Value *x = fn.addArg(f32t({S("B"), N(4)}), "x");
  Value *w = fn.addArg(f32t({N(8), N(4)}), "W");
  Builder b(&fn.body());
  b.ret({b.matmul(x, w, false, true)});
  ASSERT_FALSE(b.failed()) << b.firstError();

  EXPECT_NE(runError(fn, {tf({1, 4}, {1, 2, 3, 4})}).find("takes 2 argument"),
            std::string::npos);
  std::string e =
      runError(fn, {tf({1, 4}, {1, 2, 3, 4}), Tensor(DType::F32, {8, 5})});
  EXPECT_EQ(e, "argument 1 (%W): expected f32[8,4], got f32[8,5]");
  e = runError(fn, {ti({1, 4}, {1, 2, 3, 4}), Tensor(DType::F32, {8, 4})});
  EXPECT_EQ(e, "argument 0 (%x): expected f32[B,4], got i32[1,4]");
  e = runError(fn, {tf({4}, {1, 2, 3, 4}), Tensor(DType::F32, {8, 4})});
  EXPECT_EQ(e, "argument 0 (%x): expected f32[B,4], got f32[4]");
}

TEST(InterpreterArgs, InconsistentSymbolBinding) {
  Function fn("f");
  Value *xs = fn.addArg(f32t({S("T"), S("B"), N(2)}), "xs");
  Value *h = fn.addArg(f32t({S("B"), N(2)}), "h0");
  Builder b(&fn.body());
  b.ret({xs, h});
  std::string e =
      runError(fn, {Tensor(DType::F32, {5, 3, 2}), Tensor(DType::F32, {4, 2})});
  EXPECT_EQ(e, "argument 1 (%h0): expected f32[B,2], got f32[4,2] "
               "(B = 3, bound by argument 0 (%xs))");
  // The same sizes pass, and a dim of 0 is a valid binding.
  EXPECT_TRUE(interpret(
      fn, {Tensor(DType::F32, {5, 3, 2}), Tensor(DType::F32, {3, 2})}));
  EXPECT_TRUE(interpret(
      fn, {Tensor(DType::F32, {0, 0, 2}), Tensor(DType::F32, {0, 2})}));
}

TEST(InterpreterArgs, TensorWhoseDataDisagreesWithItsShape) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2)}), "x");
  Builder b(&fn.body());
  b.ret({x});
  Tensor bad(DType::F32, {2});
  bad.f32Vec().push_back(1.0f);
  EXPECT_NE(runError(fn, {bad}).find("holds 3 elements"), std::string::npos);
}

TEST(InterpreterConstant, SplatWithSymbolicDimsAndDense) {
  Function fn("f");
  Value *x = fn.addArg(f32t({S("B"), N(2)}), "x");
  Builder b(&fn.body());
  Value *half = b.constant(f32t({S("B"), N(2)}), 0.5);
  Value *dense = b.constantDense(f32t({N(2)}), {1.5, -2.0});
  Value *ids = b.constantDense(i32t({N(3)}), {0, 7, -2});
  b.ret({b.add(b.mul(x, half), dense), ids});
  auto r = interpret(fn, {tf({2, 2}, {2, 4, 6, 8})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2, 2}, {2.5f, 0, 4.5f, 2})));
  EXPECT_TRUE(near((*r)[1], ti({3}, {0, 7, -2})));
}

TEST(InterpreterConstant, UnboundSymbolAndNonIntegerI32AreErrors) {
  Function fn("f");
  Builder b(&fn.body());
  b.ret({b.constant(f32t({S("T")}), 1.0)});
  EXPECT_NE(runError(fn, {}).find("symbolic dim T of f32[T] is not bound"),
            std::string::npos);

  Function g("g");
  Builder bg(&g.body());
  bg.ret({bg.constant(i32t({N(2)}), 1.5)});
  EXPECT_NE(runError(g, {}).find("is not an i32"), std::string::npos);
}

TEST(InterpreterElementwise, UnaryOps) {
  std::vector<float> in{-2.0f, -0.5f, 0.0f, 0.25f, 1.0f, 3.0f};
  struct Case {
    OpKind kind;
    double (*ref)(double);
  } cases[] = {
      {OpKind::Neg, [](double v) { return -v; }},
      {OpKind::Exp, [](double v) { return std::exp(v); }},
      {OpKind::Tanh, [](double v) { return std::tanh(v); }},
      {OpKind::Sigmoid, [](double v) { return 1.0 / (1.0 + std::exp(-v)); }},
      {OpKind::Relu, [](double v) { return v < 0 ? 0.0 : v; }},
  };
  for (const Case &c : cases) {
    Function fn("f");
    Value *x = fn.addArg(f32t({N(2), N(3)}), "x");
    Builder b(&fn.body());
    b.ret({b.unary(c.kind, x)});
    std::vector<float> want;
    for (float v : in)
      want.push_back(static_cast<float>(c.ref(v)));
    EXPECT_TRUE(near(runOne(fn, {tf({2, 3}, in)}), tf({2, 3}, want)))
        << opName(c.kind);
  }
  // Hand-checked values, including log and sqrt of 0 and of negatives.
  Function fn("f");
  Value *x = fn.addArg(f32t({N(4)}), "x");
  Builder b(&fn.body());
  b.ret({b.unary(OpKind::Log, x), b.unary(OpKind::Sqrt, x),
         b.unary(OpKind::Relu, x)});
  auto r = interpret(fn, {tf({4}, {1.0f, 4.0f, 0.0f, -1.0f})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({4}, {0.0f, std::log(4.0f), -INFINITY, NAN})));
  EXPECT_TRUE(near((*r)[1], tf({4}, {1.0f, 2.0f, 0.0f, NAN})));
  EXPECT_TRUE(near((*r)[2], tf({4}, {1.0f, 4.0f, 0.0f, 0.0f})));
}

TEST(InterpreterElementwise, BinaryOpsByHand) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(4)}), "x");
  Value *y = fn.addArg(f32t({N(4)}), "y");
  Builder b(&fn.body());
  b.ret({b.add(x, y), b.sub(x, y), b.mul(x, y), b.div(x, y),
         b.binary(OpKind::Max, x, y), b.binary(OpKind::Min, x, y)});
  auto r = interpret(fn, {tf({4}, {1, -2, 3, 8}), tf({4}, {4, 5, -6, 2})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({4}, {5, 3, -3, 10})));
  EXPECT_TRUE(near((*r)[1], tf({4}, {-3, -7, 9, 6})));
  EXPECT_TRUE(near((*r)[2], tf({4}, {4, -10, -18, 16})));
  EXPECT_TRUE(near((*r)[3], tf({4}, {0.25f, -0.4f, -0.5f, 4})));
  EXPECT_TRUE(near((*r)[4], tf({4}, {4, 5, 3, 8})));
  EXPECT_TRUE(near((*r)[5], tf({4}, {1, -2, -6, 2})));
}

TEST(InterpreterElementwise, BroadcastsRightAligned) {
  // [2,1,3] + [4,1] -> [2,4,3]; checked against an explicit index loop.
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(1), N(3)}), "x");
  Value *y = fn.addArg(f32t({N(4), N(1)}), "y");
  Builder b(&fn.body());
  b.ret({b.sub(x, y)});
  std::vector<float> xv{1, 2, 3, 4, 5, 6}, yv{10, 20, 30, 40};
  std::vector<float> want;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 3; ++k)
        want.push_back(xv[i * 3 + k] - yv[j]);
  EXPECT_TRUE(near(runOne(fn, {tf({2, 1, 3}, xv), tf({4, 1}, yv)}),
                   tf({2, 4, 3}, want)));
}

TEST(InterpreterElementwise, BiasAndScalarBroadcast) {
  Function fn("f");
  Value *x = fn.addArg(f32t({S("B"), N(3)}), "x");
  Value *bias = fn.addArg(f32t({N(3)}), "b");
  Value *s = fn.addArg(f32t({}), "s");
  Builder b(&fn.body());
  b.ret({b.mul(b.add(x, bias), s)});
  EXPECT_TRUE(near(runOne(fn, {tf({2, 3}, {1, 2, 3, 4, 5, 6}),
                               tf({3}, {1, 0, -1}), Tensor::scalar(2)}),
                   tf({2, 3}, {4, 4, 4, 10, 10, 10})));
}

TEST(InterpreterElementwise, SelectBroadcastsAllThree) {
  Function fn("f");
  Value *c = fn.addArg(f32t({N(2), N(1)}), "c");
  Value *x = fn.addArg(f32t({N(2), N(3)}), "x");
  Value *y = fn.addArg(f32t({}), "y");
  Builder b(&fn.body());
  b.ret({b.select(c, x, y)});
  EXPECT_TRUE(
      near(runOne(fn, {tf({2, 1}, {0, 0.5f}), tf({2, 3}, {1, 2, 3, 4, 5, 6}),
                       Tensor::scalar(-1)}),
           tf({2, 3}, {-1, -1, -1, 4, 5, 6})));
}

TEST(InterpreterCast, TruncatesTowardZeroAndConvertsBack) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(4)}), "x");
  Value *i = fn.addArg(i32t({N(2)}), "i");
  Builder b(&fn.body());
  b.ret({b.cast(x, DType::I32), b.cast(i, DType::F32)});
  auto r = interpret(
      fn, {tf({4}, {2.7f, -2.7f, 0.0f, 5.0f}), ti({2}, {-3, 16777216})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], ti({4}, {2, -2, 0, 5})));
  EXPECT_TRUE(near((*r)[1], tf({2}, {-3.0f, 16777216.0f})));
  std::string e = runError(fn, {tf({4}, {0, NAN, 0, 0}), ti({2}, {0, 0})});
  EXPECT_NE(e.find("'cast' op cannot cast nan (element 1) to i32"),
            std::string::npos)
      << e;
  e = runError(fn, {tf({4}, {0, 0, 0, 3e9f}), ti({2}, {0, 0})});
  EXPECT_NE(e.find("to i32"), std::string::npos);
}

/// out[i][j] = sum_k a(i,k) b(k,j) for row-major a: [m,k], b: [k,n], with the
/// transposes applied by index arithmetic.
std::vector<float> naiveMatMul(const std::vector<float> &a,
                               const std::vector<float> &b, int m, int k, int n,
                               bool ta, bool tb) {
  std::vector<float> out(m * n);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int p = 0; p < k; ++p)
        s += double(ta ? a[p * m + i] : a[i * k + p]) *
             double(tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = static_cast<float>(s);
    }
  return out;
}

TEST(InterpreterMatMul, SmallByHand) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(2)}), "x");
  Value *w = fn.addArg(f32t({N(2), N(2)}), "w");
  Builder b(&fn.body());
  b.ret({b.matmul(x, w), b.matmul(x, w, false, true), b.matmul(x, w, true)});
  // x = [[1,2],[3,4]], w = [[5,6],[7,8]].
  auto r = interpret(fn, {tf({2, 2}, {1, 2, 3, 4}), tf({2, 2}, {5, 6, 7, 8})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2, 2}, {19, 22, 43, 50})));
  EXPECT_TRUE(near((*r)[1], tf({2, 2}, {17, 23, 39, 53})));
  EXPECT_TRUE(near((*r)[2], tf({2, 2}, {26, 30, 38, 44})));
}

TEST(InterpreterMatMul, AllTransposeCombinations) {
  const int m = 3, k = 4, n = 2;
  std::vector<float> av = pseudoRandom(m * k, 1), bv = pseudoRandom(k * n, 2);
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      Function fn("f");
      Value *x = fn.addArg(f32t(ta ? std::vector<Dim>{N(k), N(m)}
                                   : std::vector<Dim>{N(m), N(k)}),
                           "a");
      Value *y = fn.addArg(f32t(tb ? std::vector<Dim>{N(n), N(k)}
                                   : std::vector<Dim>{N(k), N(n)}),
                           "b");
      Builder b(&fn.body());
      b.ret({b.matmul(x, y, ta, tb)});
      ASSERT_FALSE(b.failed()) << b.firstError();
      Tensor at =
          tf(ta ? std::vector<int64_t>{k, m} : std::vector<int64_t>{m, k}, av);
      Tensor bt =
          tf(tb ? std::vector<int64_t>{n, k} : std::vector<int64_t>{k, n}, bv);
      EXPECT_TRUE(near(runOne(fn, {at, bt}),
                       tf({m, n}, naiveMatMul(av, bv, m, k, n, ta, tb))))
          << "ta=" << ta << " tb=" << tb;
    }
}

TEST(InterpreterMatMul, Rank3LhsWithSharedAndBatchedRhs) {
  // [T,B,K] @ [N,K]^T applies one matrix to every row; [G,M,K] @ [G,K,N]
  // multiplies matching batch entries.
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(3), N(4)}), "x");
  Value *w = fn.addArg(f32t({N(5), N(4)}), "w");
  Value *y = fn.addArg(f32t({N(2), N(4), N(3)}), "y");
  Builder b(&fn.body());
  b.ret({b.matmul(x, w, false, true), b.matmul(x, y)});
  ASSERT_FALSE(b.failed()) << b.firstError();
  std::vector<float> xv = pseudoRandom(24, 3), wv = pseudoRandom(20, 4),
                     yv = pseudoRandom(24, 5);
  auto r =
      interpret(fn, {tf({2, 3, 4}, xv), tf({5, 4}, wv), tf({2, 4, 3}, yv)});
  ASSERT_TRUE(r) << r.error();
  std::vector<float> shared = naiveMatMul(xv, wv, 6, 4, 5, false, true);
  EXPECT_TRUE(near((*r)[0], tf({2, 3, 5}, shared)));
  std::vector<float> batched;
  for (int g = 0; g < 2; ++g) {
    std::vector<float> a(xv.begin() + g * 12, xv.begin() + g * 12 + 12);
    std::vector<float> c(yv.begin() + g * 12, yv.begin() + g * 12 + 12);
    for (float v : naiveMatMul(a, c, 3, 4, 3, false, false))
      batched.push_back(v);
  }
  EXPECT_TRUE(near((*r)[1], tf({2, 3, 3}, batched)));
}

TEST(InterpreterElementwise, BothOperandsStretch) {
  // [3,1] * [1,4] -> [3,4], an outer product.
  Function fn("f");
  Value *x = fn.addArg(f32t({N(3), N(1)}), "x");
  Value *y = fn.addArg(f32t({N(1), N(4)}), "y");
  Builder b(&fn.body());
  b.ret({b.mul(x, y)});
  EXPECT_TRUE(
      near(runOne(fn, {tf({3, 1}, {1, 2, 3}), tf({1, 4}, {1, 10, 100, 1000})}),
           tf({3, 4}, {1, 10, 100, 1000, 2, 20, 200, 2000, 3, 30, 300, 3000})));
}

TEST(InterpreterMatMul, Rank3TransposedLhsWithSharedRhs) {
  // x: [G,K,M] read as [G,M,K] by transpose_a, times a shared [K,N].
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(4), N(3)}), "x");
  Value *w = fn.addArg(f32t({N(4), N(5)}), "w");
  Builder b(&fn.body());
  b.ret({b.matmul(x, w, true, false)});
  ASSERT_FALSE(b.failed()) << b.firstError();
  std::vector<float> xv = pseudoRandom(24, 31), wv = pseudoRandom(20, 32);
  std::vector<float> want;
  for (int g = 0; g < 2; ++g) {
    std::vector<float> a(xv.begin() + g * 12, xv.begin() + g * 12 + 12);
    for (float v : naiveMatMul(a, wv, 3, 4, 5, true, false))
      want.push_back(v);
  }
  EXPECT_TRUE(near(runOne(fn, {tf({2, 4, 3}, xv), tf({4, 5}, wv)}),
                   tf({2, 3, 5}, want)));
}

TEST(InterpreterOps, MalformedOpIsAnErrorNotACrash) {
  // An op built without type checking whose operands break its type rule.
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(3)}), "x");
  Builder b(&fn.body());
  Operation *bad =
      b.createUnchecked(OpKind::MatMul, {x, x}, {f32t({N(2), N(3)})});
  b.ret({bad->result(0)});
  std::string e = runError(fn, {Tensor(DType::F32, {2, 3})});
  EXPECT_NE(e.find("'matmul' op contracted dims differ: 3 vs 2"),
            std::string::npos)
      << e;

  // A declared result type that disagrees with what the op computes.
  Function g("g");
  Value *y = g.addArg(f32t({N(2)}), "y");
  Builder bg(&g.body());
  Operation *wrong = bg.createUnchecked(OpKind::Neg, {y}, {f32t({N(3)})});
  bg.ret({wrong->result(0)});
  e = runError(g, {Tensor(DType::F32, {2})});
  EXPECT_EQ(e, "'neg' op result 0: expected f32[3], got f32[2]");

  // A function without a return.
  Function h("h");
  h.addArg(f32t({N(2)}), "z");
  EXPECT_NE(runError(h, {Tensor(DType::F32, {2})}).find("no 'return'"),
            std::string::npos);
}

} // namespace
