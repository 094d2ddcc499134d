//===- tests/unit/CanonicalizeTest.cpp - Folding and simplification -------===//
#include "PassTestUtils.h"

#include <cmath>
#include <limits>

using namespace rnnc;
using namespace rnnc::passtest;

namespace {

using Vals = std::vector<Value *>;
using BodyResult = Builder::ScanBodyResult;

/// The splat value of a constant (a test failure if `v` is not one).
double splatOf(Value *v) {
  Operation *op = v->definingOp();
  if (!op || op->kind() != OpKind::Constant || !op->hasAttr("value")) {
    ADD_FAILURE() << "not a splat constant";
    return 0;
  }
  return op->getFloat("value");
}

/// The values of a dense constant (a test failure if `v` is not one).
std::vector<double> denseOf(Value *v) {
  Operation *op = v->definingOp();
  if (!op || op->kind() != OpKind::Constant || !op->getDense("values")) {
    ADD_FAILURE() << "not a dense constant";
    return {};
  }
  return op->getDense("values")->values;
}

Value *ret(TestModule &tm, unsigned i) { return tm.fn->returnOp()->operand(i); }

TEST(Canonicalize, AdditiveAndMultiplicativeIdentities) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Builder b = tm.builder();
  Value *zeroH = b.constant(f32({N(4)}), 0.0);
  Value *one = b.constant(f32({}), 1.0);
  Value *oneDense = b.constantDense(f32({N(4)}), {1.0, 1.0, 1.0, 1.0});
  b.ret({b.add(x, zeroH), b.add(zeroH, x), b.sub(x, zeroH), b.mul(x, one),
         b.mul(one, x), b.div(x, oneDense),
         b.unary(OpKind::Neg, b.unary(OpKind::Neg, x))});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  for (unsigned i = 0; i < 7; ++i)
    EXPECT_EQ(ret(tm, i), x) << "result " << i;
  EXPECT_EQ(numOps(tm.fn->body()), 1u) << "folded ops and their constants go";
}

TEST(Canonicalize, LeavesNonIdentitiesAlone) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Builder b = tm.builder();
  Value *zero = b.constant(f32({}), 0.0);
  Value *one = b.constant(f32({}), 1.0);
  Value *two = b.constant(f32({}), 2.0);
  b.ret({b.sub(zero, x),   // 0 - x is not x
         b.mul(x, zero),   // x * 0 is NaN for x = inf: not folded
         b.div(one, x),    // 1 / x
         b.add(x, two),    // x + 2
         b.div(x, zero)}); // x / 0
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  const OpKind kinds[] = {OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Add,
                          OpKind::Div};
  for (unsigned i = 0; i < 5; ++i) {
    ASSERT_NE(ret(tm, i)->definingOp(), nullptr);
    EXPECT_EQ(ret(tm, i)->definingOp()->kind(), kinds[i]) << "result " << i;
  }
}

TEST(Canonicalize, NeverChangesTheResultType) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({N(4)}), "x");
  Builder b = tm.builder();
  // x[4] + 0[B,4] broadcasts to [B,4]: replacing it by x would lose B.
  Value *zeros = b.constant(f32({B(), N(4)}), 0.0);
  Value *ones = b.constant(f32({N(2), N(1)}), 1.0);
  Value *sum = b.add(x, zeros);
  Value *prod = b.mul(ones, x); // [2,4]
  b.ret({sum, prod});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(ret(tm, 0), sum);
  EXPECT_EQ(ret(tm, 1), prod);
  EXPECT_EQ(ret(tm, 0)->type(), f32({B(), N(4)}));
}

TEST(Canonicalize, FoldsSplatConstants) {
  TestModule tm;
  Builder b = tm.builder();
  Value *two = b.constant(f32({B(), N(4)}), 2.0);
  Value *three = b.constant(f32({N(4)}), 3.0);
  Value *zero = b.constant(f32({}), 0.0);
  b.ret({b.mul(two, three), b.unary(OpKind::Exp, zero), b.sub(zero, three),
         b.sigmoid(zero), b.div(three, two)});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(splatOf(ret(tm, 0)), 6.0);
  EXPECT_EQ(ret(tm, 0)->type(), f32({B(), N(4)})) << "broadcast result type";
  EXPECT_EQ(splatOf(ret(tm, 1)), 1.0);
  EXPECT_EQ(splatOf(ret(tm, 2)), -3.0);
  EXPECT_EQ(splatOf(ret(tm, 3)), 0.5);
  EXPECT_EQ(splatOf(ret(tm, 4)), double(1.5f));
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Constant), 5u);
}

TEST(Canonicalize, FoldsInFloatPrecision) {
  TestModule tm;
  Builder b = tm.builder();
  Value *third = b.div(b.constant(f32({}), 1.0), b.constant(f32({}), 3.0));
  b.ret({third});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(splatOf(ret(tm, 0)), double(1.0f / 3.0f));
  EXPECT_NE(splatOf(ret(tm, 0)), 1.0 / 3.0);
}

TEST(Canonicalize, FoldsSmallDenseConstantsWithBroadcasting) {
  TestModule tm;
  Builder b = tm.builder();
  Value *col = b.constantDense(f32({N(2), N(1)}), {10.0, 20.0});
  Value *row = b.constantDense(f32({N(3)}), {1.0, 2.0, 3.0});
  Value *half = b.constant(f32({}), 0.5);
  b.ret({b.add(col, row), b.mul(row, half), b.unary(OpKind::Neg, row)});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(ret(tm, 0)->type(), f32({N(2), N(3)}));
  EXPECT_EQ(denseOf(ret(tm, 0)), (std::vector<double>{11, 12, 13, 21, 22, 23}));
  EXPECT_EQ(denseOf(ret(tm, 1)), (std::vector<double>{0.5, 1.0, 1.5}));
  EXPECT_EQ(denseOf(ret(tm, 2)), (std::vector<double>{-1, -2, -3}));
}

TEST(Canonicalize, UniformDenseConstantsBecomeSplats) {
  TestModule tm;
  Builder b = tm.builder();
  Value *d = b.constantDense(f32({N(3)}), {4.0, 4.0, 4.0});
  Value *mixed = b.constantDense(f32({N(2)}), {0.0, -0.0});
  b.ret({d, mixed});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(splatOf(ret(tm, 0)), 4.0);
  EXPECT_EQ(denseOf(ret(tm, 1)).size(), 2u) << "0.0 and -0.0 differ";
}

TEST(Canonicalize, DoesNotFoldImplementationDefinedNaNCases) {
  TestModule tm;
  Builder b = tm.builder();
  Value *nan = b.constant(f32({}), std::numeric_limits<double>::quiet_NaN());
  Value *one = b.constant(f32({}), 1.0);
  Value *mx = b.binary(OpKind::Max, nan, one);
  Value *relu = b.unary(OpKind::Relu, nan);
  Value *sum = b.add(nan, one); // NaN + 1 is NaN everywhere: folds
  b.ret({mx, relu, sum});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(ret(tm, 0), mx);
  EXPECT_EQ(ret(tm, 1), relu);
  EXPECT_TRUE(std::isnan(splatOf(ret(tm, 2))));
}

TEST(Canonicalize, ShapeNoOps) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(2), N(3)}), "x");
  Value *ids = tm.fn->addArg(TensorType::i32({B()}), "ids");
  Builder b = tm.builder();
  Value *r = b.reshape(x, {0, 2, 3});                     // same type
  Value *t = b.transpose(x, {0, 1, 2});                   // identity perm
  Value *c = b.concat({x}, 1);                            // one operand
  Value *k = b.cast(x, DType::F32);                       // same dtype
  Value *ki = b.cast(ids, DType::I32);                    // same dtype
  Value *s = b.slice(x, 2, 0, 3);                         // whole axis
  Value *p = b.split(x, 1, 1)[0];                         // one part
  Value *red = b.reduce(OpKind::ReduceSum, x, {}, false); // nothing reduced
  Value *tt = b.transpose(b.transpose(x, {1, 2, 0}), {2, 0, 1}); // inverse
  b.ret({r, t, c, k, ki, s, p, red, tt});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  for (unsigned i = 0; i < 9; ++i)
    EXPECT_EQ(ret(tm, i), i == 4 ? ids : x) << "result " << i;
  EXPECT_EQ(numOps(tm.fn->body()), 1u);
}

TEST(Canonicalize, ShapeChainsCompose) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({N(2), N(3), N(4)}), "x");
  Value *w = tm.fn->addArg(f32({N(4), N(6)}), "w");
  Builder b = tm.builder();
  Value *t = b.transpose(b.transpose(x, {1, 0, 2}), {0, 2, 1});
  Value *r = b.reshape(b.reshape(w, {24}), {3, 8});
  Value *kept = b.reshape(b.reshape(w, {2, 12}), {0, 3, 4}); // 0 copies a dim
  b.ret({t, r, kept});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  Operation *top = ret(tm, 0)->definingOp();
  ASSERT_EQ(top->kind(), OpKind::Transpose);
  EXPECT_EQ(top->operand(0), x);
  // Result dim i is x's dim composed[i]: [3,4,2] from [2,3,4].
  EXPECT_EQ(top->getInts("perm"), (std::vector<int64_t>{1, 2, 0}));
  EXPECT_EQ(ret(tm, 0)->type(), f32({N(3), N(4), N(2)}));
  Operation *rop = ret(tm, 1)->definingOp();
  EXPECT_EQ(rop->operand(0), w);
  Operation *keptOp = ret(tm, 2)->definingOp();
  ASSERT_NE(keptOp->operand(0)->definingOp(), nullptr);
  EXPECT_EQ(keptOp->operand(0)->definingOp()->kind(), OpKind::Reshape);
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Transpose), 1u);
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Reshape), 3u);
}

TEST(Canonicalize, SelectWithAConstantConditionOrEqualArms) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Value *y = tm.fn->addArg(f32({B(), N(4)}), "y");
  Value *m = tm.fn->addArg(f32({B(), N(4)}), "m");
  Builder b = tm.builder();
  Value *on = b.constant(f32({}), 1.0), *off = b.constant(f32({}), 0.0);
  Value *unknown = b.select(m, x, y);
  b.ret({b.select(on, x, y), b.select(off, x, y), b.select(m, x, x), unknown});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(ret(tm, 0), x);
  EXPECT_EQ(ret(tm, 1), y);
  EXPECT_EQ(ret(tm, 2), x);
  EXPECT_EQ(ret(tm, 3), unknown);
}

TEST(Canonicalize, FoldsCastsOfConstants) {
  TestModule tm;
  Builder b = tm.builder();
  Value *i = b.constant(TensorType::i32({B()}), 7.0);
  Value *f = b.constant(f32({}), -2.75);
  Value *big = b.constant(f32({}), 1e20);
  Value *bigCast = b.cast(big, DType::I32);
  b.ret({b.cast(i, DType::F32), b.cast(f, DType::I32), bigCast});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(splatOf(ret(tm, 0)), 7.0);
  EXPECT_EQ(ret(tm, 0)->type(), f32({B()}));
  EXPECT_EQ(splatOf(ret(tm, 1)), -2.0) << "f32 -> i32 truncates";
  EXPECT_EQ(ret(tm, 2), bigCast) << "out of range: undefined, not folded";
}

TEST(Canonicalize, ReachesAFixedPointThroughChains) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Builder b = tm.builder();
  // x * (1 + 0) - (2 - 2): needs the constants folded before the identities.
  Value *one = b.add(b.constant(f32({}), 1.0), b.constant(f32({}), 0.0));
  Value *zero = b.sub(b.constant(f32({}), 2.0), b.constant(f32({}), 2.0));
  b.ret({b.sub(b.mul(x, one), zero)});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(ret(tm, 0), x);
  EXPECT_EQ(numOps(tm.fn->body()), 1u);
}

TEST(Canonicalize, FoldsAnOpReadingOneConstantTwice) {
  // Regression: cleaning up after the fold visited the constant twice and
  // read it after erasing it.
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Builder b = tm.builder();
  Value *two = b.constant(f32({}), 2.0);
  Value *t = b.tanh(two);
  b.ret({b.sub(x, b.sub(two, two)), b.add(t, two)});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(ret(tm, 0), x);
  // tanh(2) rounded to f32, plus 2, rounded to f32.
  float tanh2 = static_cast<float>(std::tanh(2.0));
  EXPECT_EQ(splatOf(ret(tm, 1)), double(static_cast<float>(tanh2 + 2.0)));
  EXPECT_EQ(numOps(tm.fn->body()), 2u);
}

TEST(Canonicalize, AppliesInsideScanBodies) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs}, {h0}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &h, const Vals &) {
               Value *zero = in.constant(f32({N(4)}), 0.0);
               Value *hn = in.tanh(in.add(in.add(x[0], zero), h[0]));
               return BodyResult{{hn}, {hn}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret({scan->result(0)});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  Block &body = *scan->region();
  EXPECT_EQ(countOps(body, OpKind::Add), 1u);
  EXPECT_EQ(countOps(body, OpKind::Constant), 0u);
  Operation *add = firstOp(body, OpKind::Add);
  EXPECT_EQ(add->operand(0), body.arg(0));
  EXPECT_EQ(add->operand(1), body.arg(1));
}

TEST(Canonicalize, PassThroughCarryEndsAsItsInit) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Value *k0 = tm.fn->addArg(f32({B(), N(4)}), "k0");
  Value *len = tm.fn->addArg(TensorType::i32({B()}), "len");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs}, {h0, k0}, {}, len, false,
             [](Builder &in, const Vals &x, const Vals &c, const Vals &) {
               // k is read but never changed; h changes.
               Value *hn = in.tanh(in.add(in.add(x[0], c[0]), c[1]));
               return BodyResult{{hn, c[1]}, {hn}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  // Results: [0] stacked h, [1] final h, [2] final k.
  b.ret({scan->result(0), scan->result(1), scan->result(2)});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  EXPECT_EQ(ret(tm, 0), scan->result(0));
  EXPECT_EQ(ret(tm, 1), scan->result(1)) << "h changes: not its init";
  EXPECT_EQ(ret(tm, 2), k0);
}

TEST(Canonicalize, SequencesAndCapturesGivenTwiceShareAnArgument) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Value *w = tm.fn->addArg(f32({N(4), N(4)}), "W");
  Value *u = tm.fn->addArg(f32({N(4), N(4)}), "U");
  Builder b = tm.builder();
  // Sequences (xs, xs), carries (h0, h0) and captures (W, U, W).
  Operation *scan =
      b.scan({xs, xs}, {h0, h0}, {w, u, w}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &c, const Vals &cap) {
               Value *p =
                   in.add(in.matmul(x[0], cap[0]), in.matmul(x[1], cap[2]));
               Value *h = in.tanh(in.add(p, in.matmul(c[0], cap[1])));
               Value *g = in.sigmoid(in.add(p, c[1]));
               return BodyResult{{h, g}, {h}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret({scan->result(0), scan->result(2)});
  ASSERT_TRUE(runPipeline(tm.module, "canonicalize"));
  ScanLayout l = scanLayout(*scan);
  EXPECT_EQ(l.numSeq, 1u);
  EXPECT_EQ(l.numCarry, 2u) << "equal inits, but carries evolve apart";
  EXPECT_EQ(l.numCapture, 2u);
  EXPECT_EQ(scan->operand(l.captureBegin()), w);
  EXPECT_EQ(scan->operand(l.captureBegin() + 1), u);
  expectScanConsistent(*scan);
  // Both products now read the same step and weight arguments.
  unsigned readsOfX = 0;
  for (const Use &use : scan->region()->arg(0)->uses())
    readsOfX += use.user->kind() == OpKind::MatMul;
  EXPECT_EQ(readsOfX, 2u);
}

} // namespace
