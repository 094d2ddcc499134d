//===- tests/unit/DCETest.cpp - Dead code elimination ---------------------===//
#include "PassTestUtils.h"

using namespace rnnc;
using namespace rnnc::passtest;

namespace {

using Vals = std::vector<Value *>;
using BodyResult = Builder::ScanBodyResult;

TEST(DCE, RemovesUnusedChainsKeepsUsedOps) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Builder b = tm.builder();
  Value *dead = b.unary(OpKind::Exp, b.tanh(x)); // unused chain
  (void)dead;
  Value *live = b.sigmoid(x);
  b.ret({live});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Tanh), 0u);
  EXPECT_EQ(countOps(tm.fn->body(), OpKind::Exp), 0u);
  EXPECT_EQ(numOps(tm.fn->body()), 2u); // sigmoid, return
  EXPECT_EQ(tm.fn->returnOp()->operand(0), live);
  EXPECT_EQ(tm.fn->numArgs(), 1u) << "function arguments are the signature";
}

TEST(DCE, LeavesAFullyUsedFunctionAlone) {
  TestModule tm;
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Builder b = tm.builder();
  Value *t = b.tanh(x);
  b.ret({b.add(t, x), t});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  EXPECT_EQ(numOps(tm.fn->body()), 3u);
}

TEST(DCE, RemovesUnusedOpsInsideScanBodies) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs}, {h0}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &h, const Vals &) {
               in.unary(OpKind::Exp, x[0]); // dead
               Value *hn = in.tanh(in.add(x[0], h[0]));
               return BodyResult{{hn}, {hn}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret({scan->result(0), scan->result(1)});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  Block &body = *scan->region();
  EXPECT_EQ(countOps(body, OpKind::Exp), 0u);
  EXPECT_EQ(numOps(body), 3u); // add, tanh, yield
  EXPECT_EQ(scan->numResults(), 2u);
  expectScanConsistent(*scan);
}

TEST(DCE, DropsUnusedStepOutputsAndRenumbersResults) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs}, {h0}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &h, const Vals &) {
               Value *hn = in.tanh(in.add(x[0], h[0]));
               Value *e = in.unary(OpKind::Exp, hn);
               Value *s = in.sigmoid(hn);
               return BodyResult{{hn}, {e, s}}; // outputs: exp, sigmoid
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  // Results: [0] stacked exp, [1] stacked sigmoid, [2] final h. Use [1], [2].
  Value *stackedSigmoid = scan->result(1), *finalH = scan->result(2);
  b.ret({stackedSigmoid, finalH});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  ASSERT_EQ(scan->numResults(), 2u);
  EXPECT_EQ(scan->result(0), stackedSigmoid);
  EXPECT_EQ(scan->result(1), finalH);
  Operation *yield = scan->region()->terminator();
  ASSERT_EQ(yield->numOperands(), 2u);
  EXPECT_EQ(yield->operand(1)->definingOp()->kind(), OpKind::Sigmoid);
  EXPECT_EQ(countOps(*scan->region(), OpKind::Exp), 0u);
  expectScanConsistent(*scan);
}

TEST(DCE, RemovesACarryThatOnlyFeedsItself) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Value *n0 = tm.fn->addArg(f32({}), "n0");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs}, {n0, h0}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &c, const Vals &) {
               // A step counter nobody reads: n' = n + 1.
               Value *nNext = in.add(c[0], in.constant(f32({}), 1.0));
               Value *hn = in.tanh(in.add(x[0], c[1]));
               return BodyResult{{nNext, hn}, {hn}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  // Results: [0] stacked h, [1] final n, [2] final h.
  Value *stacked = scan->result(0);
  b.ret({stacked});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  ScanLayout l = scanLayout(*scan);
  EXPECT_EQ(l.numCarry, 1u);
  EXPECT_EQ(scan->operand(l.carryBegin()), h0);
  EXPECT_FALSE(n0->hasUses());
  EXPECT_EQ(scan->numResults(), 2u) << "stacked h and final h remain";
  EXPECT_EQ(scan->result(0), stacked);
  EXPECT_EQ(countOps(*scan->region(), OpKind::Constant), 0u);
  EXPECT_EQ(countOps(*scan->region(), OpKind::Add), 1u);
  expectScanConsistent(*scan);
}

TEST(DCE, KeepsACarryThatSomethingLiveDependsOn) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Value *c0 = tm.fn->addArg(f32({B(), N(4)}), "c0");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs}, {h0, c0}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &c, const Vals &) {
               // LSTM-like: c' = c + x; h' = tanh(c'). Only stacked h is used,
               // so c's final value is unused but h depends on c.
               Value *cn = in.add(c[1], x[0]);
               Value *hn = in.tanh(cn);
               return BodyResult{{hn, cn}, {hn}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret({scan->result(0)});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  ScanLayout l = scanLayout(*scan);
  // h's carry feeds nothing but itself (h' does not read h): removed. c stays.
  EXPECT_EQ(l.numCarry, 1u);
  EXPECT_EQ(scan->operand(l.carryBegin()), c0);
  EXPECT_FALSE(h0->hasUses());
  expectScanConsistent(*scan);
}

TEST(DCE, CarryCyclesDieTogetherOrLiveTogether) {
  for (bool observeA : {false, true}) {
    TestModule tm;
    Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
    Value *a0 = tm.fn->addArg(f32({B(), N(4)}), "a0");
    Value *b0 = tm.fn->addArg(f32({B(), N(4)}), "b0");
    Builder b = tm.builder();
    Operation *scan =
        b.scan({xs}, {a0, b0}, {}, nullptr, false,
               [&](Builder &in, const Vals &x, const Vals &c, const Vals &) {
                 Value *an = in.tanh(c[1]);      // a' = tanh(b)
                 Value *bn = in.add(c[0], x[0]); // b' = a + x
                 Value *out = observeA ? in.unary(OpKind::Exp, c[0])
                                       : in.unary(OpKind::Exp, x[0]);
                 return BodyResult{{an, bn}, {out}};
               });
    ASSERT_NE(scan, nullptr) << b.firstError();
    b.ret({scan->result(0)});
    ASSERT_TRUE(runPipeline(tm.module, "dce"));
    ScanLayout l = scanLayout(*scan);
    EXPECT_EQ(l.numCarry, observeA ? 2u : 0u) << "observeA=" << observeA;
    EXPECT_EQ(countOps(*scan->region(), OpKind::Tanh), observeA ? 1u : 0u);
    expectScanConsistent(*scan);
  }
}

TEST(DCE, RemovesUnusedCapturesAndSequencesButKeepsOneSequence) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *ys = tm.fn->addArg(f32({T(), B(), N(3)}), "ys");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Value *w = tm.fn->addArg(f32({N(4), N(4)}), "W");
  Value *u = tm.fn->addArg(f32({N(4), N(3)}), "U");
  Value *len = tm.fn->addArg(TensorType::i32({B()}), "len");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs, ys}, {h0}, {w, u}, len, /*reverse=*/true,
             [](Builder &in, const Vals &x, const Vals &h, const Vals &cap) {
               Value *hn = in.tanh(in.matmul(h[0], cap[0], false, true));
               Value *extra =
                   in.matmul(x[1], cap[1], false, true); // reads ys, U
               return BodyResult{{hn}, {hn, extra}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  // Use only the final h: the stacked outputs go, then ys and U are unused;
  // xs is unused too but is the last sequence, so it stays.
  b.ret({scan->result(2)});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  ScanLayout l = scanLayout(*scan);
  EXPECT_EQ(l.numSeq, 1u);
  EXPECT_EQ(l.numCarry, 1u);
  EXPECT_EQ(l.numCapture, 1u);
  EXPECT_TRUE(l.hasLengths);
  EXPECT_TRUE(l.reverse);
  EXPECT_EQ(scan->operand(0), xs);
  EXPECT_EQ(scan->operand(l.captureBegin()), w);
  EXPECT_EQ(scan->operand(l.lengthsIndex()), len);
  EXPECT_FALSE(ys->hasUses());
  EXPECT_FALSE(u->hasUses());
  ASSERT_EQ(scan->numResults(), 1u);
  EXPECT_EQ(tm.fn->returnOp()->operand(0), scan->result(0));
  expectScanConsistent(*scan);
}

TEST(DCE, DropsTheFirstSequenceWhenAnotherIsUsed) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *ys = tm.fn->addArg(f32({T(), B(), N(3)}), "ys");
  Builder b = tm.builder();
  Operation *scan =
      b.scan({xs, ys}, {}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &, const Vals &) {
               return BodyResult{{}, {in.tanh(x[1])}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret({scan->result(0)});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  ScanLayout l = scanLayout(*scan);
  EXPECT_EQ(l.numSeq, 1u);
  EXPECT_EQ(scan->operand(0), ys);
  EXPECT_EQ(scan->region()->arg(0)->type(), f32({B(), N(3)}));
  expectScanConsistent(*scan);
}

TEST(DCE, ErasesAScanWhoseResultsAreAllUnused) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Builder b = tm.builder();
  Value *feed = b.tanh(h0); // used only by the dead scan
  Operation *scan =
      b.scan({xs}, {feed}, {}, nullptr, false,
             [](Builder &in, const Vals &x, const Vals &h, const Vals &) {
               Value *hn = in.add(x[0], h[0]);
               return BodyResult{{hn}, {hn}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret({h0});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  EXPECT_EQ(numOps(tm.fn->body()), 1u); // return only
  EXPECT_FALSE(xs->hasUses());
}

TEST(DCE, SimplifiesNestedScans) {
  TestModule tm;
  Value *xs = tm.fn->addArg(f32({T(), B(), N(2), N(4)}), "xs");
  Value *h0 = tm.fn->addArg(f32({B(), N(4)}), "h0");
  Builder b = tm.builder();
  Operation *inner = nullptr;
  Operation *outer =
      b.scan({xs}, {h0}, {}, nullptr, false,
             [&](Builder &in, const Vals &x, const Vals &h, const Vals &) {
               // x[0]: [B,2,4] is itself a sequence over B (time-major
               // [T',B',...]).
               inner = in.scan({x[0]}, {}, {h[0]}, nullptr, false,
                               [](Builder &in2, const Vals &y, const Vals &,
                                  const Vals &cap) {
                                 Value *used = in2.tanh(y[0]);
                                 Value *unused = in2.unary(OpKind::Exp, cap[0]);
                                 return BodyResult{{}, {used, unused}};
                               });
               Value *hn = in.tanh(h[0]);
               return BodyResult{{hn}, {inner->result(0)}};
             });
  ASSERT_NE(outer, nullptr) << b.firstError();
  b.ret({outer->result(0)});
  ASSERT_TRUE(runPipeline(tm.module, "dce"));
  // The inner scan's second output and its capture (the outer carry) go, and
  // then the outer carry feeds only itself and goes too.
  ASSERT_EQ(inner->numResults(), 1u);
  EXPECT_EQ(scanLayout(*inner).numCapture, 0u);
  EXPECT_EQ(scanLayout(*outer).numCarry, 0u);
  EXPECT_FALSE(h0->hasUses());
  expectScanConsistent(*inner);
  expectScanConsistent(*outer);
}

} // namespace
