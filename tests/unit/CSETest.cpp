//===- tests/unit/CSETest.cpp - Common subexpression elimination ----------===//
#include "PassTestUtils.h"

#include <cmath>

using namespace rnnc;
using namespace rnnc::passtest;

namespace {

using Vals = std::vector<Value *>;
using BodyResult = Builder::ScanBodyResult;

TEST(CSE, MergesIdenticalOpsAndTheirUsers) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Value *y = tm.fn->addArg(f32({B(), N(4)}), "y");
  Builder b = tm.builder();
  Value *s1 = b.add(x, y);
  Value *s2 = b.add(x, y);
  Value *t1 = b.tanh(s1);
  Value *t2 = b.tanh(s2); // equal to t1 once s2 is s1
  b.ret({b.mul(t1, t2)});
  ASSERT_TRUE(runPipeline(tm.module, "cse"));
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Add), 1u);
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Tanh), 1u);
  Operation *mul = firstOp(tm.fn->body(), OpKind::Mul);
  EXPECT_EQ(mul->operand(0), t1);
  EXPECT_EQ(mul->operand(1), t1);
}

TEST(CSE, AddAndMulCommuteSubDoesNot) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Value *y = tm.fn->addArg(f32({N(4)}), "y");
  Builder b = tm.builder();
  Value *a1 = b.add(x, y), *a2 = b.add(y, x);
  Value *m1 = b.mul(x, y), *m2 = b.mul(y, x);
  Value *s1 = b.sub(x, y), *s2 = b.sub(y, x);
  b.ret({a1, a2, m1, m2, s1, s2});
  ASSERT_TRUE(runPipeline(tm.module, "cse"));
  Operation *ret = tm.fn->returnOp();
  EXPECT_EQ(ret->operand(1), a1);
  EXPECT_EQ(ret->operand(3), m1);
  EXPECT_EQ(ret->operand(5), s2) << "x - y and y - x differ";
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Sub), 2u);
}

TEST(CSE, AttributesAndTypesMustMatch) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Value *w = tm.fn->addArg(f32({N(4), N(4)}), "W");
  Builder b = tm.builder();
  Value *p1 = b.matmul(x, w, false, true);
  Value *p2 = b.matmul(x, w, false, false); // other attribute
  Value *p3 = b.matmul(x, w, false, true);  // same as p1
  Value *r1 = b.reshape(w, {16});
  Value *r2 = b.reshape(w, {2, 8}); // other shape attribute and type
  b.ret({p1, p2, p3, r1, r2});
  ASSERT_TRUE(runPipeline(tm.module, "cse"));
  Operation *ret = tm.fn->returnOp();
  EXPECT_EQ(ret->operand(2), p1);
  EXPECT_EQ(ret->operand(1), p2);
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::MatMul), 2u);
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Reshape), 2u);
}

TEST(CSE, MergesEqualConstantsOnly) {
  TestModule tm;
  Builder b = tm.builder();
  Value *one1 = b.constant(f32({N(4)}), 1.0);
  Value *one2 = b.constant(f32({N(4)}), 1.0);
  Value *oneOther = b.constant(f32({N(3)}), 1.0); // other type
  Value *zero = b.constant(f32({}), 0.0);
  Value *negZero = b.constant(f32({}), -0.0); // == 0.0, but not the same
  Value *nan1 = b.constant(f32({}), std::nan(""));
  Value *nan2 = b.constant(f32({}), std::nan(""));
  Value *d1 = b.constantDense(f32({N(2)}), {1.0, 2.0});
  Value *d2 = b.constantDense(f32({N(2)}), {1.0, 2.0});
  Value *d3 = b.constantDense(f32({N(2)}), {2.0, 1.0});
  b.ret({one1, one2, oneOther, zero, negZero, nan1, nan2, d1, d2, d3});
  ASSERT_TRUE(runPipeline(tm.module, "cse"));
  Operation *ret = tm.fn->returnOp();
  EXPECT_EQ(ret->operand(1), one1);
  EXPECT_EQ(ret->operand(2), oneOther);
  EXPECT_EQ(ret->operand(4), negZero);
  EXPECT_EQ(ret->operand(6), nan1) << "the same NaN bits are the same value";
  EXPECT_EQ(ret->operand(8), d1);
  EXPECT_EQ(ret->operand(9), d3);
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Constant), 7u); // 10 - 3 merged
}

/// A scan computing tanh(x_t + h) with stacked and final h.
Operation *buildRnnScan(Builder &b, Value *xs, Value *h0) {
  return b.scan({xs}, {h0}, {}, nullptr, false,
                [](Builder &in, const Vals &x, const Vals &h, const Vals &) {
                  Value *hn = in.tanh(in.add(x[0], h[0]));
                  return BodyResult{{hn}, {hn}};
                });
}

TEST(CSE, NeverMergesScans) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Builder b = tm.builder();
  Operation *s1 = buildRnnScan(b, xs, h0);
  Operation *s2 = buildRnnScan(b, xs, h0);
  ASSERT_TRUE(s1 && s2) << b.firstError();
  b.ret({s1->result(0), s2->result(0)});
  ASSERT_TRUE(runPipeline(tm.module, "cse"));
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Scan), 2u);
  EXPECT_EQ(tm.fn->returnOp()->operand(1), s2->result(0));
}

TEST(CSE, WorksInsideScanBodiesButNotAcrossBlocks) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Builder b = tm.builder();
  Value *outside = b.constant(f32({N(4)}), 2.0);
  Operation *scan =
      b.scan({xs}, {h0}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &h, const Vals &) {
               // The same constant as outside: it must stay (scan bodies
               // are isolated from above), but duplicates inside merge.
               Value *c1 = in.constant(f32({N(4)}), 2.0);
               Value *c2 = in.constant(f32({N(4)}), 2.0);
               Value *a = in.mul(in.add(x[0], h[0]), c1);
               Value *a2 = in.mul(in.add(x[0], h[0]), c2);
               return BodyResult{{in.tanh(a)}, {a2}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret({scan->result(0), outside});
  ASSERT_TRUE(runPipeline(tm.module, "cse"));
  Block &body = *scan->region();
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Constant), 2u); // one each
  EXPECT_EQ(countOps(body, OpKind::Constant), 1u);
  EXPECT_EQ(countOps(body, OpKind::Add), 1u);
  EXPECT_EQ(countOps(body, OpKind::Mul), 1u);
  Operation *yield = body.terminator();
  EXPECT_EQ(yield->operand(1), yield->operand(0)->definingOp()->operand(0));
  EXPECT_EQ(tm.fn->returnOp()->operand(1), outside);
}

} // namespace
