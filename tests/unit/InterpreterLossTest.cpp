//===- tests/unit/InterpreterLossTest.cpp - Interpreter: reductions, losses
//===//
//
// reduce_sum/mean/max, softmax/log_softmax, embed, one_hot, length_mask,
// cross_entropy and mse in the reference interpreter, against hand-computed
// values and plain loops written here.
//
//===----------------------------------------------------------------------===//
#include "InterpreterTestUtil.h"

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::test;

namespace {

TEST(InterpreterReduce, SumMeanMaxOverAxes) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(3)}), "x");
  Builder b(&fn.body());
  b.ret({b.reduce(OpKind::ReduceSum, x, {0}),
         b.reduce(OpKind::ReduceMean, x, {1}, true),
         b.reduce(OpKind::ReduceMax, x, {-1}),
         b.reduce(OpKind::ReduceSum, x, {0, 1}),
         b.reduce(OpKind::ReduceMax, x, {0, 1}, true)});
  // x = [[1, -2, 3], [4, 5, -6]].
  auto r = interpret(fn, {tf({2, 3}, {1, -2, 3, 4, 5, -6})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({3}, {5, 3, -3})));
  EXPECT_TRUE(near((*r)[1], tf({2, 1}, {2.0f / 3.0f, 1.0f})));
  EXPECT_TRUE(near((*r)[2], tf({2}, {3, 5})));
  EXPECT_TRUE(near((*r)[3], Tensor::scalar(5)));
  EXPECT_TRUE(near((*r)[4], tf({1, 1}, {5})));
}

TEST(InterpreterReduce, MiddleAxisOfRank3MatchesLoop) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(3), N(4)}), "x");
  Builder b(&fn.body());
  b.ret({b.reduce(OpKind::ReduceMean, x, {1}),
         b.reduce(OpKind::ReduceMax, x, {0, 2})});
  std::vector<float> xv = pseudoRandom(24, 7);
  std::vector<float> mean, mx;
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 4; ++k) {
      double s = 0;
      for (int j = 0; j < 3; ++j)
        s += xv[i * 12 + j * 4 + k];
      mean.push_back(static_cast<float>(s / 3));
    }
  for (int j = 0; j < 3; ++j) {
    float m = -1e30f;
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k)
        m = std::max(m, xv[i * 12 + j * 4 + k]);
    mx.push_back(m);
  }
  auto r = interpret(fn, {tf({2, 3, 4}, xv)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2, 4}, mean)));
  EXPECT_TRUE(near((*r)[1], tf({3}, mx)));
}

TEST(InterpreterSoftmax, ByHandAndStableForLargeInputs) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(2)}), "x");
  Builder b(&fn.body());
  b.ret({b.softmax(x), b.logSoftmax(x), b.softmax(x, 0)});
  // Row 0: [0, ln 3] -> [1/4, 3/4]. Row 1: [1000, 1000] -> [1/2, 1/2] (a
  // naive exp would overflow).
  float ln3 = std::log(3.0f);
  auto r = interpret(fn, {tf({2, 2}, {0, ln3, 1000, 1000})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2, 2}, {0.25f, 0.75f, 0.5f, 0.5f})));
  EXPECT_TRUE(near((*r)[1], tf({2, 2}, {std::log(0.25f), std::log(0.75f),
                                        std::log(0.5f), std::log(0.5f)})));
  // Along axis 0, column 0 is [0, 1000]: [e^-1000 ~ 0, 1].
  EXPECT_TRUE(near((*r)[2], tf({2, 2}, {0, 0, 1, 1})));
}

TEST(InterpreterEmbed, GathersRowsAndRejectsBadIds) {
  Function fn("f");
  Value *table = fn.addArg(f32t({N(3), N(2)}), "table");
  Value *ids = fn.addArg(i32t({S("T"), S("B")}), "ids");
  Builder b(&fn.body());
  b.ret({b.embed(table, ids)});
  Tensor tbl = tf({3, 2}, {0, 1, 10, 11, 20, 21});
  EXPECT_TRUE(near(runOne(fn, {tbl, ti({2, 2}, {2, 0, 1, 1})}),
                   tf({2, 2, 2}, {20, 21, 0, 1, 10, 11, 10, 11})));
  std::string e = runError(fn, {tbl, ti({1, 2}, {0, 3})});
  EXPECT_NE(e.find("'embed' op id 3 (element 1) is out of range for a "
                   "table of V = 3 rows"),
            std::string::npos)
      << e;
  e = runError(fn, {tbl, ti({1, 1}, {-1})});
  EXPECT_NE(e.find("id -1"), std::string::npos) << e;
}

TEST(InterpreterOneHot, OutOfRangeIdsGiveZeroRows) {
  Function fn("f");
  Value *ids = fn.addArg(i32t({N(4)}), "ids");
  Builder b(&fn.body());
  Operation *op = b.create(OpKind::OneHot, {ids}, {{"depth", int64_t(3)}});
  ASSERT_NE(op, nullptr) << b.firstError();
  b.ret({op->result(0)});
  EXPECT_TRUE(near(runOne(fn, {ti({4}, {2, 0, -1, 3})}),
                   tf({4, 3}, {0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0})));
}

TEST(InterpreterLengthMask, OnesBeforeEachLength) {
  Function fn("f");
  Value *len = fn.addArg(i32t({S("B")}), "len");
  Value *xs = fn.addArg(f32t({S("T"), S("B"), N(2)}), "xs");
  Builder b(&fn.body());
  Operation *op = b.create(OpKind::LengthMask, {len, xs});
  ASSERT_NE(op, nullptr) << b.firstError();
  b.ret({op->result(0)});
  EXPECT_TRUE(
      near(runOne(fn, {ti({3}, {3, 1, 0}), Tensor(DType::F32, {3, 3, 2})}),
           tf({3, 3}, {1, 1, 0, 1, 0, 0, 1, 0, 0})));
  std::string e =
      runError(fn, {ti({3}, {4, 1, 0}), Tensor(DType::F32, {3, 3, 2})});
  EXPECT_NE(e.find("length 4 of row 0 is outside [0, T = 3]"),
            std::string::npos)
      << e;
}

/// -log softmax(row)[target], computed directly.
double nll(const std::vector<double> &row, int target) {
  double sum = 0;
  for (double v : row)
    sum += std::exp(v);
  return -(row[target] - std::log(sum));
}

TEST(InterpreterCrossEntropy, MeanAndMaskedMean) {
  Function fn("f");
  Value *logits = fn.addArg(f32t({N(3), N(2)}), "logits");
  Value *tgt = fn.addArg(i32t({N(3)}), "targets");
  Value *mask = fn.addArg(f32t({N(3)}), "mask");
  Builder b(&fn.body());
  Operation *plain = b.create(OpKind::CrossEntropy, {logits, tgt});
  Operation *masked = b.create(OpKind::CrossEntropy, {logits, tgt, mask});
  ASSERT_FALSE(b.failed()) << b.firstError();
  b.ret({plain->result(0), masked->result(0)});
  // Row 0: equal logits -> nll = ln 2. Row 1: [0, ln 3], target 1 -> -ln 3/4.
  // Row 2: [ln 3, 0], target 1 -> -ln 1/4.
  float ln3 = std::log(3.0f);
  Tensor lg = tf({3, 2}, {5, 5, 0, ln3, ln3, 0});
  Tensor tg = ti({3}, {0, 1, 1});
  double n0 = std::log(2.0), n1 = -std::log(0.75), n2 = -std::log(0.25);
  EXPECT_NEAR(nll({0, std::log(3.0)}, 1), n1, 1e-12); // sanity of the helper
  auto r = interpret(fn, {lg, tg, tf({3}, {1, 0, 1})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], Tensor::scalar(float((n0 + n1 + n2) / 3))));
  EXPECT_TRUE(near((*r)[1], Tensor::scalar(float((n0 + n2) / 2))));
  // Fractional weights: sum(m * nll) / sum(m).
  r = interpret(fn, {lg, tg, tf({3}, {0.5f, 1, 0})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[1], Tensor::scalar(float((0.5 * n0 + n1) / 1.5))));
  // An all-zero mask gives 0, and masked positions may hold any target (the
  // unmasked loss of the same function would reject them).
  Function g("g");
  Value *lg2 = g.addArg(f32t({N(3), N(2)}), "logits");
  Value *tg2 = g.addArg(i32t({N(3)}), "targets");
  Value *m2 = g.addArg(f32t({N(3)}), "mask");
  Builder bg(&g.body());
  Operation *only = bg.create(OpKind::CrossEntropy, {lg2, tg2, m2});
  ASSERT_NE(only, nullptr) << bg.firstError();
  bg.ret({only->result(0)});
  EXPECT_TRUE(near(runOne(g, {lg, ti({3}, {-1, 7, 2}), tf({3}, {0, 0, 0})}),
                   Tensor::scalar(0)));
  EXPECT_TRUE(near(runOne(g, {lg, ti({3}, {-1, 1, 9}), tf({3}, {0, 1, 0})}),
                   Tensor::scalar(float(n1))));
  std::string e = runError(fn, {lg, ti({3}, {0, 2, 0}), tf({3}, {1, 1, 1})});
  EXPECT_NE(e.find("'cross_entropy' op target 2 (position 1) is out of "
                   "range for V = 2"),
            std::string::npos)
      << e;
}

TEST(InterpreterCrossEntropy, SequenceLogitsMatchLoop) {
  Function fn("f");
  Value *logits = fn.addArg(f32t({S("T"), S("B"), N(5)}), "logits");
  Value *tgt = fn.addArg(i32t({S("T"), S("B")}), "targets");
  Builder b(&fn.body());
  Operation *op = b.create(OpKind::CrossEntropy, {logits, tgt});
  ASSERT_NE(op, nullptr) << b.firstError();
  b.ret({op->result(0)});
  std::vector<float> lv = pseudoRandom(2 * 3 * 5, 9);
  std::vector<int32_t> tv{0, 4, 2, 1, 3, 4};
  double total = 0;
  for (int p = 0; p < 6; ++p)
    total += nll({lv.begin() + p * 5, lv.begin() + p * 5 + 5}, tv[p]);
  EXPECT_TRUE(near(runOne(fn, {tf({2, 3, 5}, lv), ti({2, 3}, tv)}),
                   Tensor::scalar(float(total / 6))));
}

TEST(InterpreterSoftmax, MiddleAxisOfRank3MatchesLoop) {
  Function fn("f");
  Value *x = fn.addArg(f32t({N(2), N(3), N(2)}), "x");
  Builder b(&fn.body());
  b.ret({b.softmax(x, 1), b.logSoftmax(x, -2)});
  std::vector<float> xv = pseudoRandom(12, 41);
  std::vector<float> sm(12), lsm(12);
  for (int i = 0; i < 2; ++i)
    for (int k = 0; k < 2; ++k) {
      double z = 0;
      for (int j = 0; j < 3; ++j)
        z += std::exp(double(xv[i * 6 + j * 2 + k]));
      for (int j = 0; j < 3; ++j) {
        int at = i * 6 + j * 2 + k;
        sm[at] = static_cast<float>(std::exp(double(xv[at])) / z);
        lsm[at] = static_cast<float>(xv[at] - std::log(z));
      }
    }
  auto r = interpret(fn, {tf({2, 3, 2}, xv)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2, 3, 2}, sm)));
  EXPECT_TRUE(near((*r)[1], tf({2, 3, 2}, lsm)));
}

TEST(InterpreterCrossEntropy, LengthMaskedSequenceMatchesLoop) {
  // The usual LM loss: logits [T,B,V], mask from lengths.
  Function fn("f");
  Value *logits = fn.addArg(f32t({S("T"), S("B"), N(4)}), "logits");
  Value *tgt = fn.addArg(i32t({S("T"), S("B")}), "targets");
  Value *len = fn.addArg(i32t({S("B")}), "len");
  Builder b(&fn.body());
  Operation *mask = b.create(OpKind::LengthMask, {len, logits});
  ASSERT_NE(mask, nullptr) << b.firstError();
  Operation *ce =
      b.create(OpKind::CrossEntropy, {logits, tgt, mask->result(0)});
  ASSERT_NE(ce, nullptr) << b.firstError();
  b.ret({ce->result(0)});
  const int t = 3, batch = 2;
  std::vector<float> lv = pseudoRandom(t * batch * 4, 42);
  std::vector<int32_t> tv{1, 3, 0, -1, 2, -1}; // -1 only where padded
  std::vector<int32_t> lens{3, 1};
  double total = 0;
  int count = 0;
  for (int i = 0; i < t; ++i)
    for (int j = 0; j < batch; ++j)
      if (i < lens[j]) {
        int p = i * batch + j;
        total += nll({lv.begin() + p * 4, lv.begin() + p * 4 + 4}, tv[p]);
        ++count;
      }
  EXPECT_TRUE(near(runOne(fn, {tf({t, batch, 4}, lv), ti({t, batch}, tv),
                               ti({batch}, lens)}),
                   Tensor::scalar(float(total / count))));
}

TEST(InterpreterMse, MeanAndMaskOverLeadingDims) {
  Function fn("f");
  Value *p = fn.addArg(f32t({N(2), N(2), N(2)}), "pred");
  Value *t = fn.addArg(f32t({N(2), N(2), N(2)}), "target");
  Value *m = fn.addArg(f32t({N(2), N(2)}), "mask");
  Builder b(&fn.body());
  Operation *plain = b.create(OpKind::Mse, {p, t});
  Operation *masked = b.create(OpKind::Mse, {p, t, m});
  ASSERT_FALSE(b.failed()) << b.firstError();
  b.ret({plain->result(0), masked->result(0)});
  // Squared errors: [1, 4, 0, 0, 9, 16, 1, 1]; sum 32 over 8 elements.
  Tensor pv = tf({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor tv = tf({2, 2, 2}, {0, 0, 3, 4, 2, 2, 6, 9});
  auto r = interpret(fn, {pv, tv, tf({2, 2}, {1, 0, 1, 0})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], Tensor::scalar(4)));
  // Mask keeps rows (0,0) and (1,0): (1 + 4 + 9 + 16) / 4 elements.
  EXPECT_TRUE(near((*r)[1], Tensor::scalar(7.5f)));
  r = interpret(fn, {pv, tv, tf({2, 2}, {0, 0, 0, 0})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[1], Tensor::scalar(0)));
}

} // namespace
