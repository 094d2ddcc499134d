//===- tests/unit/AutodiffScanTest.cpp - The scan adjoint (BPTT) vs FD ---===//
//
// Scans built directly with the Builder: an Elman-style cell with two
// carries (h, and a running s that reads h), per-step outputs, captured
// weights and bias, and a capture of activations that has the batch dim.
// Checked by central finite differences (AutodiffTestUtil.h) for T = 6,
// B in {1, 3}, forward and reverse, with and without lengths (including a
// row of length 0 and a full row), with activations saved and recomputed,
// and with the loss reading outputs, final carries or both.
//
//===----------------------------------------------------------------------===//
#include "AutodiffTestUtil.h"

#include <numeric>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::test;

namespace {

struct ScanCase {
  int64_t T = 6, B = 3, I = 2, H = 3;
  bool reverse = false, lengths = false, useOutputs = true, useFinal = true;
  std::vector<int32_t> lens;
};

int64_t prod(const std::vector<int64_t> &s) {
  return std::accumulate(s.begin(), s.end(), int64_t{1},
                         std::multiplies<int64_t>());
}

/// f(xs, h0, W, U, b, ctx, [len], r1, r2) -> (loss, ys, hT, sT) with
/// h' = tanh(x W^T + h U^T + b + ctx), s' = s + h' * h, y = h' * s';
/// loss = sum(ys * r1) + sum((hT + sT) * r2).
std::unique_ptr<Function> buildScanFn(const ScanCase &sc,
                                      std::vector<Tensor> &args) {
  auto fn = std::make_unique<Function>("f");
  Builder b(&fn->body());
  Dim T = Dim::symbolic("T"), B = Dim::symbolic("B");
  Dim I = Dim::fixed(sc.I), H = Dim::fixed(sc.H);
  unsigned salt = 3;
  auto add = [&](TensorType t, std::vector<int64_t> shape, bool param,
                 const char *name, float scale) {
    AttrMap attrs;
    if (param)
      attrs["param"] = true;
    Value *v = fn->addArg(t, name, attrs);
    std::vector<float> d = pseudoRandom(prod(shape), salt++);
    for (float &x : d)
      x *= scale;
    args.push_back(Tensor::f32(shape, d));
    return v;
  };
  Value *xs =
      add(TensorType::f32({T, B, I}), {sc.T, sc.B, sc.I}, true, "xs", 1);
  Value *h0 = add(TensorType::f32({B, H}), {sc.B, sc.H}, true, "h0", 0.5);
  Value *s0 = add(TensorType::f32({B, H}), {sc.B, sc.H}, true, "s0", 0.5);
  Value *w = add(TensorType::f32({H, I}), {sc.H, sc.I}, true, "W", 0.8);
  Value *u = add(TensorType::f32({H, H}), {sc.H, sc.H}, true, "U", 0.8);
  Value *bias = add(TensorType::f32({H}), {sc.H}, true, "b", 0.5);
  Value *ctx = add(TensorType::f32({B, H}), {sc.B, sc.H}, true, "ctx", 0.5);
  Value *len = nullptr;
  if (sc.lengths) {
    len = fn->addArg(TensorType::i32({B}), "len");
    args.push_back(Tensor::i32({sc.B}, sc.lens));
  }
  Value *r1 =
      add(TensorType::f32({T, B, H}), {sc.T, sc.B, sc.H}, false, "r1", 1);
  Value *r2 = add(TensorType::f32({B, H}), {sc.B, sc.H}, false, "r2", 1);
  Operation *scan = b.scan(
      {xs}, {h0, s0}, {w, u, bias, ctx}, len, sc.reverse,
      [&](Builder &ib, const std::vector<Value *> &x,
          const std::vector<Value *> &c, const std::vector<Value *> &cap) {
        Value *z = ib.add(ib.matmul(x[0], cap[0], false, true),
                          ib.matmul(c[0], cap[1], false, true));
        Value *h = ib.tanh(ib.add(ib.add(z, cap[2]), cap[3]));
        Value *s = ib.add(c[1], ib.mul(h, c[0]));
        return Builder::ScanBodyResult{{h, s}, {ib.mul(h, s)}};
      });
  EXPECT_TRUE(scan) << b.firstError();
  Value *ys = scan->result(0), *hT = scan->result(1), *sT = scan->result(2);
  Value *loss = nullptr;
  if (sc.useOutputs)
    loss = b.reduce(OpKind::ReduceSum, b.mul(ys, r1), {0, 1, 2});
  if (sc.useFinal) {
    Value *f = b.reduce(OpKind::ReduceSum, b.mul(b.add(hT, sT), r2), {0, 1});
    loss = loss ? b.add(loss, f) : f;
  }
  b.ret({loss, ys, hT, sT});
  EXPECT_FALSE(b.failed()) << b.firstError();
  return fn;
}

class AutodiffScan
    : public ::testing::TestWithParam<std::tuple<bool, bool, bool, int>> {};

TEST_P(AutodiffScan, MatchesFiniteDifferences) {
  auto [reverse, lengths, recompute, uses] = GetParam();
  for (int64_t B : {1, 3}) {
    ScanCase sc;
    sc.B = B;
    sc.reverse = reverse;
    sc.lengths = lengths;
    sc.useOutputs = uses != 1;
    sc.useFinal = uses != 0;
    sc.lens = B == 1 ? std::vector<int32_t>{4} : std::vector<int32_t>{6, 2, 0};
    std::vector<Tensor> args;
    auto fn = buildScanFn(sc, args);
    passes::GradientOptions go;
    go.recompute = recompute;
    EXPECT_TRUE(checkGradient(*fn, args, go)) << "B = " << B;
  }
}

std::string caseName(
    const ::testing::TestParamInfo<std::tuple<bool, bool, bool, int>> &info) {
  static const char *const uses[] = {"Outputs", "Finals", "Both"};
  return std::string(std::get<0>(info.param) ? "Reverse" : "Forward") +
         (std::get<1>(info.param) ? "Lengths" : "Full") +
         (std::get<2>(info.param) ? "Recompute" : "Saved") +
         uses[std::get<3>(info.param)];
}

INSTANTIATE_TEST_SUITE_P(All, AutodiffScan,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Bool(),
                                            ::testing::Bool(),
                                            ::testing::Values(0, 1, 2)),
                         caseName);

TEST(AutodiffScanEdge, SingleStepAndEmptyRows) {
  // T = 1, and lengths of 0 (the row never updates: its final carries are
  // its inits, so d init = d final carry and d x = 0).
  for (bool reverse : {false, true})
    for (bool lengths : {false, true}) {
      ScanCase sc;
      sc.T = 1;
      sc.reverse = reverse;
      sc.lengths = lengths;
      sc.lens = {1, 0, 0};
      std::vector<Tensor> args;
      auto fn = buildScanFn(sc, args);
      EXPECT_TRUE(checkGradient(*fn, args)) << reverse << lengths;
    }
}

TEST(AutodiffScanStructure, BackwardIsAReverseScanWithoutLengths) {
  ScanCase sc;
  sc.lengths = true;
  sc.lens = {6, 2, 0};
  std::vector<Tensor> args;
  auto fn = buildScanFn(sc, args);
  auto g = passes::buildGradient(*fn);
  ASSERT_TRUE(g) << g.error();
  std::vector<const Operation *> scans;
  for (const auto &op : (*g)->body().ops())
    if (op->kind() == OpKind::Scan)
      scans.push_back(op.get());
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_FALSE(scans[0]->getBool("reverse"));
  EXPECT_TRUE(scans[0]->getBool("has_lengths"));
  EXPECT_TRUE(scans[1]->getBool("reverse"));
  EXPECT_FALSE(scans[1]->getBool("has_lengths"));
  // The forward scan's results: ys, the stacked incoming h (read by the
  // adjoints of h U^T and h' * h; s_{t-1} is not: d s passes through an add),
  // the saved activations h' and s' (read by the tanh and mul adjoints), then
  // the final carries. With recompute nothing is saved, but s_{t-1} is
  // needed to recompute s'.
  EXPECT_EQ(scans[0]->numResults(), 6u);
  passes::GradientOptions go;
  go.recompute = true;
  auto r = passes::buildGradient(*fn, go);
  ASSERT_TRUE(r) << r.error();
  const Operation *fwd = nullptr;
  for (const auto &op : (*r)->body().ops())
    if (op->kind() == OpKind::Scan && !fwd)
      fwd = op.get();
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->numResults(), 5u);
}

} // namespace
