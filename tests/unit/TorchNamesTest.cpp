//===- tests/unit/TorchNamesTest.cpp - PyTorch <-> rnnc weight names ------===//
//
// Gate order with hand-built tensors whose gate blocks hold distinct
// constants; one LSTM and one GRU step computed by a plain loop with
// PyTorch's stacked weights (PyTorch's documented equations) against the
// prelude cells' per-gate formulas with the converted weights; export and
// round trips; every error.
//
//===----------------------------------------------------------------------===//
#include "runtime/TorchNames.h"
#include "runtime/Initializers.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace rnnc;

namespace {

/// A [rows, cols] (cols 0: rank 1) tensor whose gate block g (rows
/// [g*h, (g+1)*h)) holds base + g.
Tensor blocks(int64_t gates, int64_t h, int64_t cols, float base) {
  std::vector<int64_t> shape{gates * h};
  if (cols)
    shape.push_back(cols);
  Tensor t(DType::F32, shape);
  int64_t width = cols ? cols : 1;
  for (int64_t k = 0; k < t.numElements(); ++k)
    t.f32Vec()[k] = base + static_cast<float>(k / width / h);
  return t;
}

Tensor random(std::vector<int64_t> shape, Rng &rng) {
  Tensor t(DType::F32, std::move(shape));
  for (float &x : t.f32Vec())
    x = static_cast<float>(rng.nextDouble() * 2 - 1);
  return t;
}

void expectAll(const TensorMap &m, const std::string &name,
               std::vector<int64_t> shape, float value) {
  auto it = m.find(name);
  ASSERT_NE(it, m.end()) << name;
  EXPECT_EQ(it->second.shape(), shape) << name;
  for (float x : it->second.f32Vec())
    ASSERT_EQ(x, value) << name;
}

float sigmoid(float x) { return 1 / (1 + std::exp(-x)); }

/// Row r of W (a [*, n] tensor) dotted with v.
float dot(const Tensor &w, int64_t row, const std::vector<float> &v) {
  float s = 0;
  for (size_t k = 0; k < v.size(); ++k)
    s += w.f32Data()[row * static_cast<int64_t>(v.size()) + k] * v[k];
  return s;
}

const TorchLayer L0{"rnn.", 0, false};

} // namespace

TEST(TorchNames, KeyNames) {
  EXPECT_EQ(L0.key("weight_ih"), "rnn.weight_ih_l0");
  EXPECT_EQ((TorchLayer{"enc.lstm.", 1, true}).key("bias_hh"),
            "enc.lstm.bias_hh_l1_reverse");
}

TEST(TorchNames, LstmGateOrder) {
  const int64_t H = 2, I = 3;
  TensorMap torch;
  torch["rnn.weight_ih_l0"] = blocks(4, H, I, 10);
  torch["rnn.weight_hh_l0"] = blocks(4, H, H, 20);
  torch["rnn.bias_ih_l0"] = blocks(4, H, 0, 1);
  torch["rnn.bias_hh_l0"] = blocks(4, H, 0, 100);
  torch["unrelated.weight"] = Tensor::scalar(0);
  auto r = importTorchCell("lstm", torch, L0, "h1", H);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->size(), 12u);
  const char *gates = "ifgo";
  for (int g = 0; g < 4; ++g) {
    std::string s(1, gates[g]);
    expectAll(*r, "h1.W" + s, {H, I}, 10.0f + g);
    expectAll(*r, "h1.U" + s, {H, H}, 20.0f + g);
    expectAll(*r, "h1.b" + s, {H}, 101.0f + 2 * g);
  }
}

TEST(TorchNames, GruGateOrderAndBiases) {
  const int64_t H = 3, I = 2;
  TensorMap torch;
  torch["rnn.weight_ih_l0"] = blocks(3, H, I, 10);
  torch["rnn.weight_hh_l0"] = blocks(3, H, H, 20);
  torch["rnn.bias_ih_l0"] = blocks(3, H, 0, 1);   // b_ir 1, b_iz 2, b_in 3
  torch["rnn.bias_hh_l0"] = blocks(3, H, 0, 100); // b_hr 100, 101, b_hn 102
  auto r = importTorchCell("gru", torch, L0, "g", H);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->size(), 10u);
  const char *gates = "rzn";
  for (int g = 0; g < 3; ++g) {
    std::string s(1, gates[g]);
    expectAll(*r, "g.W" + s, {H, I}, 10.0f + g);
    expectAll(*r, "g.U" + s, {H, H}, 20.0f + g);
  }
  expectAll(*r, "g.br", {H}, 101);
  expectAll(*r, "g.bz", {H}, 103);
  expectAll(*r, "g.bn", {H}, 3);
  expectAll(*r, "g.cn", {H}, 102);
}

TEST(TorchNames, RnnAndBiasFree) {
  TensorMap torch;
  torch["rnn.weight_ih_l0"] = blocks(1, 2, 3, 5);
  torch["rnn.weight_hh_l0"] = blocks(1, 2, 2, 6);
  torch["rnn.bias_ih_l0"] = blocks(1, 2, 0, 1);
  torch["rnn.bias_hh_l0"] = blocks(1, 2, 0, 2);
  auto r = importTorchCell("rnn", torch, L0, "e", 2);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->size(), 3u);
  expectAll(*r, "e.W", {2, 3}, 5);
  expectAll(*r, "e.U", {2, 2}, 6);
  expectAll(*r, "e.b", {2}, 3);
  // bias=False in PyTorch: no bias tensors, zero biases here.
  torch.erase("rnn.bias_ih_l0");
  torch.erase("rnn.bias_hh_l0");
  r = importTorchCell("rnn", torch, L0, "e", 2);
  ASSERT_TRUE(r) << r.error();
  expectAll(*r, "e.b", {2}, 0);
}

TEST(TorchNames, LstmStepMatchesPyTorchEquations) {
  const int64_t H = 3, I = 4;
  Rng rng(2024);
  TensorMap torch;
  torch["rnn.weight_ih_l0"] = random({4 * H, I}, rng);
  torch["rnn.weight_hh_l0"] = random({4 * H, H}, rng);
  torch["rnn.bias_ih_l0"] = random({4 * H}, rng);
  torch["rnn.bias_hh_l0"] = random({4 * H}, rng);
  std::vector<float> x = random({I}, rng).f32Vec();
  std::vector<float> h = random({H}, rng).f32Vec();
  std::vector<float> c = random({H}, rng).f32Vec();

  // PyTorch: gates = W_ih x + b_ih + W_hh h + b_hh, chunked i, f, g, o.
  std::vector<float> ptH(H), ptC(H);
  for (int64_t k = 0; k < H; ++k) {
    float pre[4];
    for (int g = 0; g < 4; ++g) {
      int64_t row = g * H + k;
      pre[g] = dot(torch["rnn.weight_ih_l0"], row, x) +
               torch["rnn.bias_ih_l0"].f32Data()[row] +
               dot(torch["rnn.weight_hh_l0"], row, h) +
               torch["rnn.bias_hh_l0"].f32Data()[row];
    }
    float i = sigmoid(pre[0]), f = sigmoid(pre[1]), g = std::tanh(pre[2]),
          o = sigmoid(pre[3]);
    ptC[k] = f * c[k] + i * g;
    ptH[k] = o * std::tanh(ptC[k]);
  }

  // The prelude lstm with the converted per-gate weights.
  auto p = importTorchCell("lstm", torch, L0, "h1", H);
  ASSERT_TRUE(p) << p.error();
  TensorMap &m = *p;
  for (int64_t k = 0; k < H; ++k) {
    auto gate = [&](const char *s) {
      return dot(m["h1.W" + std::string(s)], k, x) +
             dot(m["h1.U" + std::string(s)], k, h) +
             m["h1.b" + std::string(s)].f32Data()[k];
    };
    float i = sigmoid(gate("i")), f = sigmoid(gate("f")),
          g = std::tanh(gate("g")), o = sigmoid(gate("o"));
    float cn = f * c[k] + i * g;
    EXPECT_NEAR(cn, ptC[k], 1e-5);
    EXPECT_NEAR(o * std::tanh(cn), ptH[k], 1e-5);
  }
}

TEST(TorchNames, GruStepMatchesPyTorchEquations) {
  const int64_t H = 3, I = 2;
  Rng rng(7);
  TensorMap torch;
  torch["rnn.weight_ih_l0"] = random({3 * H, I}, rng);
  torch["rnn.weight_hh_l0"] = random({3 * H, H}, rng);
  torch["rnn.bias_ih_l0"] = random({3 * H}, rng);
  torch["rnn.bias_hh_l0"] = random({3 * H}, rng);
  std::vector<float> x = random({I}, rng).f32Vec();
  std::vector<float> h = random({H}, rng).f32Vec();
  auto p = importTorchCell("gru", torch, L0, "g", H);
  ASSERT_TRUE(p) << p.error();
  TensorMap &m = *p;
  const Tensor &wih = torch["rnn.weight_ih_l0"],
               &whh = torch["rnn.weight_hh_l0"];
  const float *bih = torch["rnn.bias_ih_l0"].f32Data();
  const float *bhh = torch["rnn.bias_hh_l0"].f32Data();
  for (int64_t k = 0; k < H; ++k) {
    // PyTorch: r, z = sigma(W_i x + b_i + W_h h + b_h);
    // n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h' = (1-z) n + z h.
    float r = sigmoid(dot(wih, k, x) + bih[k] + dot(whh, k, h) + bhh[k]);
    float z = sigmoid(dot(wih, H + k, x) + bih[H + k] + dot(whh, H + k, h) +
                      bhh[H + k]);
    float n = std::tanh(dot(wih, 2 * H + k, x) + bih[2 * H + k] +
                        r * (dot(whh, 2 * H + k, h) + bhh[2 * H + k]));
    float expected = (1 - z) * n + z * h[k];
    // The prelude gru.
    float r2 = sigmoid(dot(m["g.Wr"], k, x) + dot(m["g.Ur"], k, h) +
                       m["g.br"].f32Data()[k]);
    float z2 = sigmoid(dot(m["g.Wz"], k, x) + dot(m["g.Uz"], k, h) +
                       m["g.bz"].f32Data()[k]);
    float n2 = std::tanh(dot(m["g.Wn"], k, x) + m["g.bn"].f32Data()[k] +
                         r2 * (dot(m["g.Un"], k, h) + m["g.cn"].f32Data()[k]));
    EXPECT_NEAR((1 - z2) * n2 + z2 * h[k], expected, 1e-5);
  }
}

TEST(TorchNames, ExportAndRoundTrip) {
  for (const char *kind : {"lstm", "gru", "rnn"}) {
    SCOPED_TRACE(kind);
    int64_t gates = std::string(kind) == "lstm"  ? 4
                    : std::string(kind) == "gru" ? 3
                                                 : 1;
    const int64_t H = 2, I = 3;
    Rng rng(1);
    TensorMap torch;
    torch["m.weight_ih_l1"] = random({gates * H, I}, rng);
    torch["m.weight_hh_l1"] = random({gates * H, H}, rng);
    torch["m.bias_ih_l1"] = random({gates * H}, rng);
    torch["m.bias_hh_l1"] = random({gates * H}, rng);
    TorchLayer at{"m.", 1, false};
    auto ours = importTorchCell(kind, torch, at, "L", H);
    ASSERT_TRUE(ours) << ours.error();
    auto back = exportTorchCell(kind, *ours, "L", at, H);
    ASSERT_TRUE(back) << back.error();
    ASSERT_EQ(back->size(), 4u);
    EXPECT_EQ(back->at("m.weight_ih_l1").f32Vec(),
              torch["m.weight_ih_l1"].f32Vec());
    EXPECT_EQ(back->at("m.weight_hh_l1").f32Vec(),
              torch["m.weight_hh_l1"].f32Vec());
    // Biases: same sums per gate; bias_hh is zero except GRU's b_hn.
    const float *bi = back->at("m.bias_ih_l1").f32Data();
    const float *bh = back->at("m.bias_hh_l1").f32Data();
    const float *ti = torch["m.bias_ih_l1"].f32Data();
    const float *th = torch["m.bias_hh_l1"].f32Data();
    for (int64_t k = 0; k < gates * H; ++k) {
      bool hn = std::string(kind) == "gru" && k >= 2 * H;
      if (hn) {
        EXPECT_EQ(bi[k], ti[k]);
        EXPECT_EQ(bh[k], th[k]);
      } else {
        EXPECT_EQ(bi[k], ti[k] + th[k]);
        EXPECT_EQ(bh[k], 0.0f);
      }
    }
    // And importing the export gives our parameters back exactly.
    auto again = importTorchCell(kind, *back, at, "L", H);
    ASSERT_TRUE(again) << again.error();
    for (const auto &[name, t] : *ours)
      EXPECT_EQ(again->at(name).f32Vec(), t.f32Vec()) << name;
  }
}

TEST(TorchNames, Errors) {
  auto fails = [](Result<TensorMap> r, const std::string &what) {
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find(what), std::string::npos) << r.error();
  };
  TensorMap torch;
  torch["rnn.weight_ih_l0"] = blocks(4, 2, 3, 0);
  torch["rnn.weight_hh_l0"] = blocks(4, 2, 2, 0);
  fails(importTorchCell("lstm2", torch, L0, "h", 2), "unknown cell kind");
  fails(importTorchCell("lstm", torch, L0, "h", 0), "must be positive");
  fails(importTorchCell("lstm", torch, L0, "h", 3),
        "'rnn.weight_ih_l0' is f32[8,3], expected f32[12,3]");
  fails(importTorchCell("gru", torch, L0, "h", 2), "expected f32[6,3]");
  fails(importTorchCell("lstm", torch, TorchLayer{"rnn.", 1, false}, "h", 2),
        "missing tensor 'rnn.weight_ih_l1'");
  TensorMap t2 = torch;
  t2.erase("rnn.weight_hh_l0");
  fails(importTorchCell("lstm", t2, L0, "h", 2),
        "missing tensor 'rnn.weight_hh_l0'");
  t2 = torch;
  t2["rnn.bias_ih_l0"] = blocks(4, 2, 0, 0);
  fails(importTorchCell("lstm", t2, L0, "h", 2), "'rnn.bias_hh_l0' is missing");
  t2["rnn.bias_hh_l0"] = blocks(4, 2, 2, 0);
  fails(importTorchCell("lstm", t2, L0, "h", 2),
        "'rnn.bias_hh_l0' is f32[8,2]");
  t2 = torch;
  t2["rnn.weight_hr_l0"] = Tensor(DType::F32, {2, 2});
  fails(importTorchCell("lstm", t2, L0, "h", 2), "proj_size");
  t2 = torch;
  t2["rnn.weight_ih_l0"] = Tensor::i32({8, 3}, std::vector<int32_t>(24));
  fails(importTorchCell("lstm", t2, L0, "h", 2), "is i32[8,3]");
  t2["rnn.weight_ih_l0"] = Tensor(DType::F32, {8});
  fails(importTorchCell("lstm", t2, L0, "h", 2), "expected a matrix");

  auto ours = importTorchCell("lstm", torch, L0, "h", 2);
  ASSERT_TRUE(ours) << ours.error();
  TensorMap p = *ours;
  p.erase("h.bg");
  fails(exportTorchCell("lstm", p, "h", L0, 2), "missing tensor 'h.bg'");
  p = *ours;
  p["h.Uo"] = Tensor(DType::F32, {2, 3});
  fails(exportTorchCell("lstm", p, "h", L0, 2), "'h.Uo' is f32[2,3]");
  fails(exportTorchCell("lstm", *ours, "x", L0, 2), "missing tensor 'x.Wi'");
  fails(exportTorchCell("lstm", *ours, "h", L0, 3), "'h.Wi' is f32[2,3]");
  fails(exportTorchCell("gru", *ours, "h", L0, 2), "missing tensor 'h.Wr'");
}
