//===- tests/unit/InterpreterScanTest.cpp - Interpreter: the scan op ------===//
//
// Runs Elman RNN and LSTM scans through the interpreter and compares them with
// plain-loop references written here in double precision: forward and
// reverse, with and without lengths (padded rows hold their state and output
// zeros), B in {1,3} and T in {1,5}. Also covers several sequences and carries,
// empty sequences, and the run-time errors a scan reports.
//
//===----------------------------------------------------------------------===//
#include "InterpreterTestUtil.h"

#include <memory>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::test;

namespace {

constexpr int64_t I = 3, H = 4;

//===--- Elman RNN: h' = tanh(x W^T + h U^T + b) --------------------------===//

std::unique_ptr<Function> buildElman(bool withLengths, bool reverse) {
  auto fn = std::make_unique<Function>("elman");
  Value *xs = fn->addArg(f32t({S("T"), S("B"), N(I)}), "xs");
  Value *h0 = fn->addArg(f32t({S("B"), N(H)}), "h0");
  Value *w = fn->addArg(f32t({N(H), N(I)}), "W");
  Value *u = fn->addArg(f32t({N(H), N(H)}), "U");
  Value *bias = fn->addArg(f32t({N(H)}), "b");
  Value *len = withLengths ? fn->addArg(i32t({S("B")}), "len") : nullptr;
  Builder b(&fn->body());
  Operation *scan = b.scan(
      {xs}, {h0}, {w, u, bias}, len, reverse,
      [](Builder &in, const std::vector<Value *> &x,
         const std::vector<Value *> &h, const std::vector<Value *> &cap) {
        Value *a = in.add(in.add(in.matmul(x[0], cap[0], false, true),
                                 in.matmul(h[0], cap[1], false, true)),
                          cap[2]);
        Value *hn = in.tanh(a);
        return Builder::ScanBodyResult{{hn}, {hn}};
      });
  EXPECT_NE(scan, nullptr) << b.firstError();
  b.ret({scan->result(0), scan->result(1)});
  return fn;
}

struct Weights {
  std::vector<float> w, u, bias;
};

/// The Elman recurrence, one row and one step at a time.
void elmanRef(const std::vector<float> &xs, const std::vector<float> &h0,
              const Weights &p, int64_t t, int64_t batch,
              const std::vector<int32_t> *lens, bool reverse,
              std::vector<float> &outs, std::vector<float> &hT) {
  std::vector<double> h(h0.begin(), h0.end());
  outs.assign(t * batch * H, 0.0f);
  for (int64_t s = 0; s < t; ++s) {
    int64_t step = reverse ? t - 1 - s : s;
    for (int64_t b = 0; b < batch; ++b) {
      if (lens && step >= (*lens)[b])
        continue; // padded: state held, output stays 0
      std::vector<double> next(H);
      for (int64_t j = 0; j < H; ++j) {
        double a = p.bias[j];
        for (int64_t i = 0; i < I; ++i)
          a += double(xs[(step * batch + b) * I + i]) * p.w[j * I + i];
        for (int64_t k = 0; k < H; ++k)
          a += h[b * H + k] * p.u[j * H + k];
        next[j] = std::tanh(a);
      }
      for (int64_t j = 0; j < H; ++j) {
        h[b * H + j] = next[j];
        outs[(step * batch + b) * H + j] = static_cast<float>(next[j]);
      }
    }
  }
  hT.assign(h.begin(), h.end());
}

struct Config {
  int64_t t, batch;
  bool lengths, reverse;
};

void PrintTo(const Config &c, std::ostream *os) {
  *os << "T=" << c.t << " B=" << c.batch << (c.lengths ? " lengths" : "")
      << (c.reverse ? " reverse" : "");
}

class ElmanScan : public ::testing::TestWithParam<Config> {};

TEST_P(ElmanScan, MatchesPlainLoop) {
  Config c = GetParam();
  auto fn = buildElman(c.lengths, c.reverse);
  Weights p{pseudoRandom(H * I, 11), pseudoRandom(H * H, 12),
            pseudoRandom(H, 13)};
  std::vector<float> xs = pseudoRandom(c.t * c.batch * I, 14);
  std::vector<float> h0 = pseudoRandom(c.batch * H, 15);
  // Row lengths cover full, partial and empty rows.
  std::vector<int32_t> lens;
  for (int64_t b = 0; b < c.batch; ++b)
    lens.push_back(static_cast<int32_t>(c.batch == 1 ? c.t - (c.t > 1 ? 2 : 0)
                                                     : (c.t * (2 - b)) / 2));
  std::vector<Tensor> args{tf({c.t, c.batch, I}, xs), tf({c.batch, H}, h0),
                           tf({H, I}, p.w), tf({H, H}, p.u), tf({H}, p.bias)};
  if (c.lengths)
    args.push_back(ti({c.batch}, lens));
  auto r = interpret(*fn, args);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->size(), 2u);
  std::vector<float> outs, hT;
  elmanRef(xs, h0, p, c.t, c.batch, c.lengths ? &lens : nullptr, c.reverse,
           outs, hT);
  EXPECT_TRUE(near((*r)[0], tf({c.t, c.batch, H}, outs), 1e-5));
  EXPECT_TRUE(near((*r)[1], tf({c.batch, H}, hT), 1e-5));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, ElmanScan,
    ::testing::Values(Config{1, 1, false, false}, Config{5, 1, false, false},
                      Config{1, 3, false, false}, Config{5, 3, false, false},
                      Config{5, 3, false, true}, Config{1, 1, false, true},
                      Config{5, 1, true, false}, Config{5, 3, true, false},
                      Config{5, 3, true, true}, Config{1, 3, true, true},
                      Config{5, 1, true, true}, Config{1, 1, true, false}));

TEST(InterpreterScan, PaddedRowsHoldStateAndOutputZerosByHand) {
  // h' = h + x (a running sum), T = 3, B = 2, lengths [3, 1]. Row 1 updates
  // only at t = 0 forwards, and only at its own last element (t = 0) when
  // reversed, so its final carry is h0 + x[0] both ways.
  auto build = [](bool reverse) {
    auto fn = std::make_unique<Function>("sum");
    Value *xs = fn->addArg(f32t({S("T"), S("B"), N(1)}), "xs");
    Value *h0 = fn->addArg(f32t({S("B"), N(1)}), "h0");
    Value *len = fn->addArg(i32t({S("B")}), "len");
    Builder b(&fn->body());
    Operation *scan =
        b.scan({xs}, {h0}, {}, len, reverse,
               [](Builder &in, const std::vector<Value *> &x,
                  const std::vector<Value *> &h, const std::vector<Value *> &) {
                 Value *hn = in.add(h[0], x[0]);
                 return Builder::ScanBodyResult{{hn}, {hn}};
               });
    b.ret({scan->result(0), scan->result(1)});
    return fn;
  };
  std::vector<Tensor> args{tf({3, 2, 1}, {1, 10, 2, 20, 3, 30}),
                           tf({2, 1}, {100, 200}), ti({2}, {3, 1})};
  auto fwd = interpret(*build(false), args);
  ASSERT_TRUE(fwd) << fwd.error();
  EXPECT_TRUE(near((*fwd)[0], tf({3, 2, 1}, {101, 210, 103, 0, 106, 0})));
  EXPECT_TRUE(near((*fwd)[1], tf({2, 1}, {106, 210})));
  auto rev = interpret(*build(true), args);
  ASSERT_TRUE(rev) << rev.error();
  EXPECT_TRUE(near((*rev)[0], tf({3, 2, 1}, {106, 210, 105, 0, 103, 0})));
  EXPECT_TRUE(near((*rev)[1], tf({2, 1}, {106, 210})));
}

//===--- LSTM: two carries, three captures, split gates -------------------===//

std::unique_ptr<Function> buildLstm(bool withLengths, bool reverse) {
  auto fn = std::make_unique<Function>("lstm");
  Value *xs = fn->addArg(f32t({S("T"), S("B"), N(I)}), "xs");
  Value *h0 = fn->addArg(f32t({S("B"), N(H)}), "h0");
  Value *c0 = fn->addArg(f32t({S("B"), N(H)}), "c0");
  Value *w = fn->addArg(f32t({N(4 * H), N(I)}), "W");
  Value *u = fn->addArg(f32t({N(4 * H), N(H)}), "U");
  Value *bias = fn->addArg(f32t({N(4 * H)}), "b");
  Value *len = withLengths ? fn->addArg(i32t({S("B")}), "len") : nullptr;
  Builder b(&fn->body());
  Operation *scan = b.scan(
      {xs}, {h0, c0}, {w, u, bias}, len, reverse,
      [](Builder &in, const std::vector<Value *> &x,
         const std::vector<Value *> &st, const std::vector<Value *> &cap) {
        Value *g = in.add(in.add(in.matmul(x[0], cap[0], false, true),
                                 in.matmul(st[0], cap[1], false, true)),
                          cap[2]);
        std::vector<Value *> gates = in.split(g, 1, 4); // i, f, g, o
        Value *c = in.add(in.mul(in.sigmoid(gates[1]), st[1]),
                          in.mul(in.sigmoid(gates[0]), in.tanh(gates[2])));
        Value *h = in.mul(in.sigmoid(gates[3]), in.tanh(c));
        return Builder::ScanBodyResult{{h, c}, {h, c}};
      });
  EXPECT_NE(scan, nullptr) << b.firstError();
  // Results: stacked h, stacked c, final h, final c.
  b.ret(scan->results());
  return fn;
}

double sigm(double v) { return 1.0 / (1.0 + std::exp(-v)); }

class LstmScan : public ::testing::TestWithParam<Config> {};

TEST_P(LstmScan, MatchesPlainLoop) {
  Config c = GetParam();
  auto fn = buildLstm(c.lengths, c.reverse);
  std::vector<float> w = pseudoRandom(4 * H * I, 21),
                     u = pseudoRandom(4 * H * H, 22),
                     bias = pseudoRandom(4 * H, 23),
                     xs = pseudoRandom(c.t * c.batch * I, 24),
                     h0 = pseudoRandom(c.batch * H, 25),
                     c0 = pseudoRandom(c.batch * H, 26);
  std::vector<int32_t> lens;
  for (int64_t b = 0; b < c.batch; ++b)
    lens.push_back(static_cast<int32_t>((c.t + b) % (c.t + 1)));

  // Reference, PyTorch gate order i, f, g, o.
  std::vector<double> h(h0.begin(), h0.end()), cs(c0.begin(), c0.end());
  std::vector<float> hs(c.t * c.batch * H, 0.0f), css(c.t * c.batch * H, 0.0f);
  for (int64_t s = 0; s < c.t; ++s) {
    int64_t t = c.reverse ? c.t - 1 - s : s;
    for (int64_t b = 0; b < c.batch; ++b) {
      if (c.lengths && t >= lens[b])
        continue;
      std::vector<double> pre(4 * H);
      for (int64_t j = 0; j < 4 * H; ++j) {
        double a = bias[j];
        for (int64_t i = 0; i < I; ++i)
          a += double(xs[(t * c.batch + b) * I + i]) * w[j * I + i];
        for (int64_t k = 0; k < H; ++k)
          a += h[b * H + k] * u[j * H + k];
        pre[j] = a;
      }
      for (int64_t j = 0; j < H; ++j) {
        double ig = sigm(pre[j]), fg = sigm(pre[H + j]);
        double gg = std::tanh(pre[2 * H + j]), og = sigm(pre[3 * H + j]);
        cs[b * H + j] = fg * cs[b * H + j] + ig * gg;
        h[b * H + j] = og * std::tanh(cs[b * H + j]);
        hs[(t * c.batch + b) * H + j] = static_cast<float>(h[b * H + j]);
        css[(t * c.batch + b) * H + j] = static_cast<float>(cs[b * H + j]);
      }
    }
  }
  std::vector<Tensor> args{tf({c.t, c.batch, I}, xs), tf({c.batch, H}, h0),
                           tf({c.batch, H}, c0),      tf({4 * H, I}, w),
                           tf({4 * H, H}, u),         tf({4 * H}, bias)};
  if (c.lengths)
    args.push_back(ti({c.batch}, lens));
  auto r = interpret(*fn, args);
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_TRUE(near((*r)[0], tf({c.t, c.batch, H}, hs), 1e-5));
  EXPECT_TRUE(near((*r)[1], tf({c.t, c.batch, H}, css), 1e-5));
  EXPECT_TRUE(near((*r)[2], tf({c.batch, H}, {h.begin(), h.end()}), 1e-5));
  EXPECT_TRUE(near((*r)[3], tf({c.batch, H}, {cs.begin(), cs.end()}), 1e-5));
}

INSTANTIATE_TEST_SUITE_P(
    Configs, LstmScan,
    ::testing::Values(Config{1, 1, false, false}, Config{5, 3, false, false},
                      Config{5, 1, false, true}, Config{5, 3, false, true},
                      Config{1, 3, true, false}, Config{5, 3, true, false},
                      Config{5, 3, true, true}, Config{5, 1, true, true}));

//===--- Shapes, several sequences, errors --------------------------------===//

TEST(InterpreterScan, TwoSequencesAndAnUnbatchedOutput) {
  // out_t = sum(x_t * y_t) over everything (a scalar per step); carry counts
  // steps. T = 2, B = 2.
  Function fn("dots");
  Value *xs = fn.addArg(f32t({S("T"), S("B"), N(2)}), "xs");
  Value *ys = fn.addArg(f32t({S("T"), S("B"), N(2)}), "ys");
  Value *n0 = fn.addArg(f32t({}), "n0");
  Builder b(&fn.body());
  Operation *scan = b.scan(
      {xs, ys}, {n0}, {}, nullptr, false,
      [](Builder &in, const std::vector<Value *> &x,
         const std::vector<Value *> &n, const std::vector<Value *> &) {
        Value *dot = in.reduce(OpKind::ReduceSum, in.mul(x[0], x[1]), {0, 1});
        Value *one = in.constant(f32t({}), 1.0);
        return Builder::ScanBodyResult{{in.add(n[0], one)}, {dot}};
      });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret(scan->results());
  auto r = interpret(fn, {tf({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
                          tf({2, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2}),
                          Tensor::scalar(0)});
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[0], tf({2}, {10, 52})));
  EXPECT_TRUE(near((*r)[1], Tensor::scalar(2)));
}

TEST(InterpreterScan, EmptySequenceGivesEmptyOutputsAndInitialCarry) {
  auto fn = buildElman(false, false);
  auto r = interpret(
      *fn, {Tensor(DType::F32, {0, 2, I}), tf({2, H}, pseudoRandom(2 * H, 1)),
            Tensor(DType::F32, {H, I}), Tensor(DType::F32, {H, H}),
            Tensor(DType::F32, {H})});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)[0].shape(), (std::vector<int64_t>{0, 2, H}));
  EXPECT_TRUE(near((*r)[1], tf({2, H}, pseudoRandom(2 * H, 1))));
}

TEST(InterpreterScan, LengthsOutsideZeroToTAreErrors) {
  auto fn = buildElman(true, false);
  auto args = [](std::vector<int32_t> lens) {
    return std::vector<Tensor>{
        Tensor(DType::F32, {2, 2, I}), Tensor(DType::F32, {2, H}),
        Tensor(DType::F32, {H, I}),    Tensor(DType::F32, {H, H}),
        Tensor(DType::F32, {H}),       ti({2}, std::move(lens))};
  };
  EXPECT_TRUE(interpret(*fn, args({2, 0})));
  std::string e = runError(*fn, args({2, 3}));
  EXPECT_NE(e.find("'scan' op length 3 of row 1 is outside [0, T = 2]"),
            std::string::npos)
      << e;
  e = runError(*fn, args({-1, 2}));
  EXPECT_NE(e.find("length -1 of row 0"), std::string::npos) << e;
}

TEST(InterpreterScan, ErrorInsideBodyNamesTheStep) {
  // The body embeds its per-step ids; an id out of range at t = 1 fails.
  Function fn("emb");
  Value *ids = fn.addArg(i32t({S("T"), S("B")}), "ids");
  Value *table = fn.addArg(f32t({N(3), N(2)}), "table");
  Builder b(&fn.body());
  Operation *scan =
      b.scan({ids}, {}, {table}, nullptr, false,
             [](Builder &in, const std::vector<Value *> &x,
                const std::vector<Value *> &, const std::vector<Value *> &cap) {
               return Builder::ScanBodyResult{{}, {in.embed(cap[0], x[0])}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret(scan->results());
  Tensor tbl = tf({3, 2}, {0, 1, 2, 3, 4, 5});
  auto ok = interpret(fn, {ti({2, 1}, {2, 0}), tbl});
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_TRUE(near((*ok)[0], tf({2, 1, 2}, {4, 5, 0, 1})));
  std::string e = runError(fn, {ti({2, 1}, {0, 3}), tbl});
  EXPECT_NE(e.find("'scan' op body at step 1: 'embed' op id 3"),
            std::string::npos)
      << e;
}

TEST(InterpreterScan, WithLengthsCarriesAndOutputsMustBeBatchMajor) {
  // A scalar step count as carry cannot be held per row.
  Function fn("count");
  Value *xs = fn.addArg(f32t({S("T"), S("B"), N(1)}), "xs");
  Value *n0 = fn.addArg(f32t({}), "n0");
  Value *len = fn.addArg(i32t({S("B")}), "len");
  Builder b(&fn.body());
  Operation *scan =
      b.scan({xs}, {n0}, {}, len, false,
             [](Builder &in, const std::vector<Value *> &,
                const std::vector<Value *> &n, const std::vector<Value *> &) {
               Value *next = in.add(n[0], in.constant(f32t({}), 1.0));
               return Builder::ScanBodyResult{{next}, {next}};
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  b.ret(scan->results());
  std::string e = runError(fn, {Tensor(DType::F32, {2, 3, 1}),
                                Tensor::scalar(0), ti({3}, {2, 1, 0})});
  EXPECT_NE(e.find("with lengths, carried value 0 must be [3,...], got f32[]"),
            std::string::npos)
      << e;
}

TEST(InterpreterScan, NestedScanRebindsItsBodyEachOuterStep) {
  // Outer: h' = h + inner(x_t), where inner starts from x_t and adds every
  // step of the captured ys. So h_T = h0 + sum_t x_t + T * sum_s ys[s].
  Function fn("nested");
  Value *xs = fn.addArg(f32t({S("T"), S("B"), N(1)}), "xs");
  Value *ys = fn.addArg(f32t({S("S"), S("B"), N(1)}), "ys");
  Value *h0 = fn.addArg(f32t({S("B"), N(1)}), "h0");
  Builder b(&fn.body());
  Operation *outer = b.scan(
      {xs}, {h0}, {ys}, nullptr, false,
      [](Builder &in, const std::vector<Value *> &x,
         const std::vector<Value *> &h, const std::vector<Value *> &cap) {
        Operation *inner = in.scan(
            {cap[0]}, {x[0]}, {}, nullptr, true,
            [](Builder &in2, const std::vector<Value *> &y,
               const std::vector<Value *> &acc, const std::vector<Value *> &) {
              Value *next = in2.add(acc[0], y[0]);
              return Builder::ScanBodyResult{{next}, {}};
            });
        Value *hn = in.add(h[0], inner->result(0));
        return Builder::ScanBodyResult{{hn}, {hn}};
      });
  ASSERT_NE(outer, nullptr) << b.firstError();
  b.ret(outer->results());
  // B = 2, T = 3, S = 2. Row 0: xs 1,2,3, ys 10,20; row 1: xs 4,5,6, ys 0,1.
  auto r = interpret(fn, {tf({3, 2, 1}, {1, 4, 2, 5, 3, 6}),
                          tf({2, 2, 1}, {10, 0, 20, 1}), tf({2, 1}, {100, 0})});
  ASSERT_TRUE(r) << r.error();
  // Row 0: 100 + (1 + 30) = 131, + (2 + 30) = 163, + (3 + 30) = 196.
  // Row 1: 0 + (4 + 1) = 5, + (5 + 1) = 11, + (6 + 1) = 18.
  EXPECT_TRUE(near((*r)[0], tf({3, 2, 1}, {131, 5, 163, 11, 196, 18})));
  EXPECT_TRUE(near((*r)[1], tf({2, 1}, {196, 18})));
}

TEST(InterpreterScan, MalformedScansAreErrorsNotCrashes) {
  // Scans assembled by hand, bypassing the Builder's checks.
  auto make = [](AttrMap attrs, unsigned bodyArgs, bool yieldCarry) {
    auto fn = std::make_unique<Function>("bad");
    Value *xs = fn->addArg(f32t({N(2), N(1), N(1)}), "xs");
    Value *h0 = fn->addArg(f32t({N(1), N(1)}), "h0");
    Builder b(&fn->body());
    Operation *scan = b.createUnchecked(OpKind::Scan, {xs, h0},
                                        {f32t({N(1), N(1)})}, std::move(attrs));
    Block *body = scan->addRegion();
    for (unsigned i = 0; i < bodyArgs; ++i)
      body->addArg(f32t({N(1), N(1)}));
    Builder in(body);
    in.yield(yieldCarry ? std::vector<Value *>{body->arg(0)}
                        : std::vector<Value *>{});
    b.ret({scan->result(0)});
    return fn;
  };
  std::vector<Tensor> args{Tensor(DType::F32, {2, 1, 1}),
                           Tensor(DType::F32, {1, 1})};
  AttrMap good{{"num_seq", int64_t(1)},
               {"num_carry", int64_t(1)},
               {"num_capture", int64_t(0)}};
  EXPECT_TRUE(interpret(*make(good, 2, true), args));
  AttrMap noSeq = good;
  noSeq["num_seq"] = int64_t(0);
  EXPECT_NE(runError(*make(noSeq, 2, true), args).find("attributes describe"),
            std::string::npos);
  EXPECT_NE(runError(*make(good, 1, true), args).find("body has 1 arguments"),
            std::string::npos);
  EXPECT_NE(runError(*make(good, 2, false), args)
                .find("body yields 0 values, expected 1"),
            std::string::npos);
}

} // namespace
