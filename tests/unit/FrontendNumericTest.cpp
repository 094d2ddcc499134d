//===- tests/unit/FrontendNumericTest.cpp - Lowered cells vs plain loops --===//
//
// The prelude's rnn, lstm and gru, lowered and run in the reference
// interpreter, must match an independent reference written here with plain
// loops from the published equations (PyTorch's formulation): for random
// weights, inputs and initial states, B in {1, 3}, T in {1, 7}, forward and
// reverse, with padded rows (lengths < T), and stacked layers.
//
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "ir/Interpreter.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

using namespace rnnc;
using namespace rnnc::frontend;

namespace {

constexpr int64_t kI = 3, kH = 4;

struct Compiled {
  LoweredProgram lowered;
  const ir::Function *fn = nullptr;
  const ModelInfo *info = nullptr;
};

Compiled compile(const std::string &source) {
  ir::Diagnostics diags;
  auto lowered = compileSource("test.rnn", source, {}, diags);
  EXPECT_TRUE(lowered) << diags.str();
  Compiled c;
  if (!lowered)
    return c;
  c.lowered = std::move(*lowered);
  c.fn = c.lowered.module->functions().at(0).get();
  c.info = &c.lowered.models.at(0);
  EXPECT_TRUE(ir::verifyFunction(*c.fn, diags)) << diags.str();
  return c;
}

/// A dense row-major matrix/vector view for the reference.
struct Mat {
  std::vector<float> d;
  int64_t rows = 0, cols = 0;
  float operator()(int64_t r, int64_t c) const { return d[r * cols + c]; }
};

float sigm(float x) { return 1.0f / (1.0f + std::exp(-x)); }

/// y[r] = sum_c W[r,c] x[c]
std::vector<float> matvec(const Mat &w, const std::vector<float> &x) {
  std::vector<float> y(w.rows, 0.0f);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c)
      y[r] += w(r, c) * x[c];
  return y;
}

/// One reference step of `cell` for one row; `p` maps param names to data;
/// state[0] is h, state[1] is c (lstm).
void refStep(const std::string &cell, std::map<std::string, Mat> &p,
             const std::vector<float> &x, std::vector<std::vector<float>> &st) {
  std::vector<float> &h = st[0];
  std::vector<float> next(kH);
  auto wx = [&](const char *n) { return matvec(p[n], x); };
  auto uh = [&](const char *n) { return matvec(p[n], h); };
  if (cell == "rnn") {
    auto a = wx("W"), b = uh("U");
    for (int64_t j = 0; j < kH; ++j)
      next[j] = std::tanh(a[j] + b[j] + p["b"].d[j]);
    h = next;
    return;
  }
  if (cell == "lstm") {
    std::vector<float> &c = st[1];
    auto xi = wx("Wi"), xf = wx("Wf"), xg = wx("Wg"), xo = wx("Wo");
    auto hi = uh("Ui"), hf = uh("Uf"), hg = uh("Ug"), ho = uh("Uo");
    for (int64_t j = 0; j < kH; ++j) {
      float i = sigm(xi[j] + hi[j] + p["bi"].d[j]);
      float f = sigm(xf[j] + hf[j] + p["bf"].d[j]);
      float g = std::tanh(xg[j] + hg[j] + p["bg"].d[j]);
      float o = sigm(xo[j] + ho[j] + p["bo"].d[j]);
      c[j] = f * c[j] + i * g;
      next[j] = o * std::tanh(c[j]);
    }
    h = next;
    return;
  }
  // GRU, PyTorch: r = s(W_ir x + b_ir + W_hr h + b_hr), z likewise,
  // n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.
  auto xr = wx("Wr"), xz = wx("Wz"), xn = wx("Wn");
  auto hr = uh("Ur"), hz = uh("Uz"), hn = uh("Un");
  for (int64_t j = 0; j < kH; ++j) {
    float r = sigm(xr[j] + hr[j] + p["br"].d[j]);
    float z = sigm(xz[j] + hz[j] + p["bz"].d[j]);
    float n = std::tanh(xn[j] + p["bn"].d[j] + r * (hn[j] + p["cn"].d[j]));
    next[j] = (1 - z) * n + z * h[j];
  }
  h = next;
}

struct Case {
  std::string cell;
  int64_t B, T;
  bool reverse;
  bool padded;
  int layers;
};

std::string caseName(const testing::TestParamInfo<Case> &info) {
  const Case &c = info.param;
  return c.cell + "_B" + std::to_string(c.B) + "_T" + std::to_string(c.T) +
         (c.reverse ? "_rev" : "") + (c.padded ? "_padded" : "") +
         (c.layers > 1 ? "_stacked" : "");
}

class CellNumeric : public testing::TestWithParam<Case> {};

TEST_P(CellNumeric, MatchesPlainLoopReference) {
  const Case &tc = GetParam();
  std::string rev = tc.reverse ? ", reverse=true" : "";
  std::string src = "model m(I = 3, H = 4) {\n  input x: seq[f32[I]]\n";
  src += "  h1 = " + tc.cell + "(x, H=H" + rev + ")\n";
  std::string last = "h1";
  if (tc.layers > 1) {
    src += "  h2 = " + tc.cell + "(h1, H=H" + rev + ")\n";
    last = "h2";
  }
  src += "  output " + last + "\n}\n";
  Compiled c = compile(src);
  ASSERT_TRUE(c.fn);

  std::mt19937 rng(1234 + tc.B * 7 + tc.T * 13 + tc.reverse + tc.layers * 3);
  std::uniform_real_distribution<float> uni(-0.6f, 0.6f);
  const int64_t B = tc.B, T = tc.T;
  std::vector<Tensor> args;
  std::vector<int32_t> lengths(B, static_cast<int32_t>(T));
  if (tc.padded)
    for (int64_t b = 0; b < B; ++b)
      lengths[b] = static_cast<int32_t>(1 + (b * 5 + 2) % T);
  // layer -> param name -> data, and layer -> initial states.
  std::map<std::string, std::map<std::string, Mat>> params;
  std::map<std::string, std::vector<std::vector<std::vector<float>>>> init;
  std::vector<float> xs(T * B * kI);
  for (float &v : xs)
    v = uni(rng);
  for (const SlotInfo &a : c.info->args) {
    std::vector<int64_t> shape;
    for (const ir::Dim &d : a.type.dims())
      shape.push_back(d.isStatic() ? d.size : d.sym == "B" ? B : T);
    if (a.role == "input") {
      args.push_back(Tensor::f32(shape, xs));
    } else if (a.role == "lengths") {
      args.push_back(Tensor::i32(shape, lengths));
    } else {
      Tensor t(DType::F32, shape);
      for (float &v : t.f32Vec())
        v = uni(rng);
      std::string layer = a.name.substr(0, a.name.find('.'));
      std::string name = a.name.substr(a.name.find('.') + 1);
      if (a.role == "param") {
        Mat m{t.f32Vec(), shape[0], shape.size() > 1 ? shape[1] : 1};
        params[layer][name] = m;
      } else {
        ASSERT_EQ(a.role, "state");
        // Row-major [B,H]: split per row.
        auto &rows = init[layer];
        size_t slot = rows.empty() ? 0 : rows[0].size();
        if (rows.empty())
          rows.resize(B);
        for (int64_t b = 0; b < B; ++b) {
          rows[b].resize(slot + 1);
          rows[b][slot].assign(t.f32Vec().begin() + b * kH,
                               t.f32Vec().begin() + (b + 1) * kH);
        }
      }
      args.push_back(std::move(t));
    }
  }
  auto out = ir::interpret(*c.fn, args);
  ASSERT_TRUE(out) << out.error();

  // Reference: each layer walks each row over its own length; steps past
  // the length produce 0 and leave the state alone.
  std::vector<std::vector<std::vector<float>>> seq(
      T, std::vector<std::vector<float>>(B));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b)
      seq[t][b].assign(xs.begin() + (t * B + b) * kI,
                       xs.begin() + (t * B + b + 1) * kI);
  std::vector<std::vector<float>> finals; // per layer, row, state
  for (int l = 0; l < tc.layers; ++l) {
    std::string layer = "h" + std::to_string(l + 1);
    auto next = std::vector<std::vector<std::vector<float>>>(
        T, std::vector<std::vector<float>>(B, std::vector<float>(kH, 0.0f)));
    for (int64_t b = 0; b < B; ++b) {
      auto st = init[layer][b];
      for (int64_t k = 0; k < lengths[b]; ++k) {
        int64_t t = tc.reverse ? lengths[b] - 1 - k : k;
        refStep(tc.cell, params[layer], seq[t][b], st);
        next[t][b] = st[0];
      }
      for (auto &s : st)
        finals.push_back(s);
    }
    seq = next;
  }
  // Output sequence.
  const Tensor &h = (*out)[0];
  ASSERT_EQ(h.numElements(), T * B * kH);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < kH; ++j)
        EXPECT_NEAR(h.f32Data()[(t * B + b) * kH + j], seq[t][b][j], 1e-5)
            << "t=" << t << " b=" << b << " j=" << j;
  // Final states: results after the output, per layer: h then c, each [B,H].
  size_t perRow = tc.cell == "lstm" ? 2 : 1;
  size_t result = 1;
  for (int l = 0; l < tc.layers; ++l)
    for (size_t s = 0; s < perRow; ++s, ++result) {
      const Tensor &f = (*out)[result];
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < kH; ++j)
          EXPECT_NEAR(f.f32Data()[b * kH + j],
                      finals[(l * B + b) * perRow + s][j], 1e-5)
              << "layer " << l << " state " << s << " b=" << b;
    }
}

std::vector<Case> allCases() {
  std::vector<Case> cases;
  for (const char *cell : {"rnn", "lstm", "gru"})
    for (int64_t B : {1, 3})
      for (int64_t T : {1, 7})
        for (bool reverse : {false, true}) {
          cases.push_back({cell, B, T, reverse, false, 1});
          if (B == 3 && T == 7) {
            cases.push_back({cell, B, T, reverse, true, 1});
            cases.push_back({cell, B, T, reverse, true, 2});
          }
        }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Prelude, CellNumeric, testing::ValuesIn(allCases()),
                         caseName);

/// last / first / mean over padded rows pick each row's own steps.
TEST(PoolingNumeric, RespectsEachRowsLength) {
  Compiled c = compile("model m {\n  input x: seq[f32[2]]\n"
                       "  output last(x)\n  output first(x)\n"
                       "  output mean(x)\n}\n");
  ASSERT_TRUE(c.fn);
  const int64_t T = 4, B = 3, F = 2;
  std::vector<float> xs(T * B * F);
  for (size_t i = 0; i < xs.size(); ++i)
    xs[i] = static_cast<float>(i) * 0.5f - 3.0f;
  std::vector<int32_t> lengths{4, 1, 3};
  auto out = ir::interpret(
      *c.fn, {Tensor::f32({T, B, F}, xs), Tensor::i32({B}, lengths)});
  ASSERT_TRUE(out) << out.error();
  ASSERT_EQ(out->size(), 3u);
  auto at = [&](int64_t t, int64_t b, int64_t f) {
    return xs[(t * B + b) * F + f];
  };
  for (int64_t b = 0; b < B; ++b)
    for (int64_t f = 0; f < F; ++f) {
      float sum = 0;
      for (int64_t t = 0; t < lengths[b]; ++t)
        sum += at(t, b, f);
      EXPECT_NEAR((*out)[0].f32Data()[b * F + f], at(lengths[b] - 1, b, f),
                  1e-6);
      EXPECT_NEAR((*out)[1].f32Data()[b * F + f], at(0, b, f), 1e-6);
      EXPECT_NEAR((*out)[2].f32Data()[b * F + f], sum / lengths[b], 1e-5);
    }
}

/// Additive attention over a source sequence with its own lengths: padded
/// source positions get no weight, padded target steps hold the state.
TEST(AttentionNumeric, MasksSourcePositionsPastEachRowsLength) {
  Compiled c = compile(R"(
cell att(x: [E], mem: seq[[K]]) -> h: [H] {
  param Wq: [A, H], Wk: [A, K], v: [A], W: [H, E + K], U: [H, H]
  score = v @ tanh(Wk @ mem + Wq @ h)
  ctx = softmax(score) @ mem
  h = tanh(W @ concat(x, ctx) + U @ h)
}
model m(E = 2, K = 3, H = 4, A = 5) {
  input src: seq[f32[K], S]
  input x: seq[f32[E]]
  output att(x, mem=src, H=H, A=A)
}
)");
  ASSERT_TRUE(c.fn);
  const int64_t E = 2, K = 3, H = 4, A = 5, B = 3, S = 4, T = 3;
  std::vector<int32_t> tgtLen{3, 1, 2}, srcLen{4, 2, 1};
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> uni(-0.8f, 0.8f);
  std::map<std::string, Tensor> byName;
  std::vector<Tensor> args;
  for (const SlotInfo &a : c.info->args) {
    std::vector<int64_t> shape;
    for (const ir::Dim &d : a.type.dims())
      shape.push_back(d.isStatic()   ? d.size
                      : d.sym == "B" ? B
                      : d.sym == "S" ? S
                                     : T);
    Tensor t(a.type.dtype(), shape);
    if (a.name == "lengths")
      t = Tensor::i32(shape, tgtLen);
    else if (a.name == "src_lengths")
      t = Tensor::i32(shape, srcLen);
    else
      for (float &f : t.f32Vec())
        f = uni(rng);
    byName[a.name] = t;
    args.push_back(t);
  }
  ASSERT_EQ(c.info->args[2].name, "lengths");
  ASSERT_EQ(c.info->args[3].name, "src_lengths");
  auto out = ir::interpret(*c.fn, args);
  ASSERT_TRUE(out) << out.error();

  auto P = [&](const char *n) { return byName.at(std::string("att_1.") + n); };
  const Tensor &mem = byName.at("src"), &xs = byName.at("x");
  const Tensor &h0 = byName.at("att_1.h0");
  for (int64_t b = 0; b < B; ++b) {
    std::vector<float> h(h0.f32Data() + b * H, h0.f32Data() + (b + 1) * H);
    for (int64_t t = 0; t < tgtLen[b]; ++t) {
      std::vector<float> e(srcLen[b]);
      float mx = -1e30f;
      for (int64_t s = 0; s < srcLen[b]; ++s) {
        float sum = 0;
        for (int64_t a = 0; a < A; ++a) {
          float pre = 0;
          for (int64_t k = 0; k < K; ++k)
            pre += P("Wk").f32Data()[a * K + k] *
                   mem.f32Data()[(s * B + b) * K + k];
          for (int64_t j = 0; j < H; ++j)
            pre += P("Wq").f32Data()[a * H + j] * h[j];
          sum += P("v").f32Data()[a] * std::tanh(pre);
        }
        e[s] = sum;
        mx = std::max(mx, sum);
      }
      float z = 0;
      for (float &v : e)
        z += (v = std::exp(v - mx));
      std::vector<float> in(E + K, 0.0f);
      for (int64_t i = 0; i < E; ++i)
        in[i] = xs.f32Data()[(t * B + b) * E + i];
      for (int64_t s = 0; s < srcLen[b]; ++s)
        for (int64_t k = 0; k < K; ++k)
          in[E + k] += e[s] / z * mem.f32Data()[(s * B + b) * K + k];
      std::vector<float> next(H);
      for (int64_t j = 0; j < H; ++j) {
        float acc = 0;
        for (int64_t i = 0; i < E + K; ++i)
          acc += P("W").f32Data()[j * (E + K) + i] * in[i];
        for (int64_t i = 0; i < H; ++i)
          acc += P("U").f32Data()[j * H + i] * h[i];
        next[j] = std::tanh(acc);
      }
      h = next;
      for (int64_t j = 0; j < H; ++j)
        EXPECT_NEAR((*out)[0].f32Data()[(t * B + b) * H + j], h[j], 1e-5)
            << "t=" << t << " b=" << b;
    }
    for (int64_t j = 0; j < H; ++j)
      EXPECT_NEAR((*out)[1].f32Data()[b * H + j], h[j], 1e-5) << "b=" << b;
  }
}

/// layernorm over the last axis: (x - mean) / sqrt(var + 1e-5) * w + b with
/// the biased variance, as PyTorch's LayerNorm.
TEST(LayerNormNumeric, MatchesDefinition) {
  Compiled c = compile("model m {\n  input x: seq[f32[5]]\n"
                       "  y = layernorm(x)\n  output y\n}\n");
  ASSERT_TRUE(c.fn);
  ASSERT_EQ(c.info->args.size(), 4u);
  EXPECT_EQ(c.info->args[2].name, "y.weight");
  EXPECT_EQ(c.info->args[3].name, "y.bias");
  const int64_t T = 2, B = 2, F = 5;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uni(-2.0f, 2.0f);
  std::vector<float> xs(T * B * F), w(F), bias(F);
  for (float &v : xs)
    v = uni(rng);
  for (float &v : w)
    v = uni(rng);
  for (float &v : bias)
    v = uni(rng);
  auto out = ir::interpret(
      *c.fn, {Tensor::f32({T, B, F}, xs), Tensor::i32({B}, {2, 2}),
              Tensor::f32({F}, w), Tensor::f32({F}, bias)});
  ASSERT_TRUE(out) << out.error();
  for (int64_t r = 0; r < T * B; ++r) {
    double mean = 0, var = 0;
    for (int64_t f = 0; f < F; ++f)
      mean += xs[r * F + f] / double(F);
    for (int64_t f = 0; f < F; ++f)
      var += (xs[r * F + f] - mean) * (xs[r * F + f] - mean) / double(F);
    for (int64_t f = 0; f < F; ++f)
      EXPECT_NEAR((*out)[0].f32Data()[r * F + f],
                  (xs[r * F + f] - mean) / std::sqrt(var + 1e-5) * w[f] +
                      bias[f],
                  1e-5);
  }
}

} // namespace
