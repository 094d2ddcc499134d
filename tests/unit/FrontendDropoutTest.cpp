//===- tests/unit/FrontendDropoutTest.cpp - Dropout in the training lowering =//
//
// Lowered with LowerOptions::training, each dropout site takes its mask as an
// argument (role "dropout_mask", `<site>.mask`, after the states and before
// the parameters) and multiplies by it; lowered for inference it is the
// identity with no argument. The numbers are checked two ways: an all-ones
// mask must give exactly the inference function's results, and a random
// inverted-dropout mask must match a plain-loop reference written here (two
// stacked LSTMs in PyTorch's formulation, last(), linear) that applies the
// same mask by hand.
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

constexpr int64_t kI = 3, kH = 4, kC = 2;
constexpr double kP1 = 0.25, kP2 = 0.5;

// One dropout on a sequence between two LSTMs (positional p), one on a
// per-sequence value (keyword p), named by their assignments.
const char *kModel = R"(model m(I = 3, H = 4, C = 2) {
  input x: seq[f32[I]]
  h1 = lstm(x, H=H)
  d1 = dropout(h1, 0.25)
  h2 = lstm(d1, H=H)
  z = dropout(last(h2), p = 0.5)
  out = linear(z, C)
  output out
}
)";

struct Compiled {
  LoweredProgram lowered;
  const ir::Function *fn = nullptr;
  const ModelInfo *info = nullptr;
};

Compiled compile(const std::string &source, bool training) {
  ir::Diagnostics diags;
  LowerOptions options;
  options.training = training;
  auto lowered = compileSource("test.rnn", source, options, diags);
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

std::vector<int64_t> concreteShape(const ir::TensorType &type, int64_t T,
                                   int64_t B) {
  std::vector<int64_t> shape;
  for (const ir::Dim &d : type.dims())
    shape.push_back(d.isStatic() ? d.size : d.sym == "B" ? B : T);
  return shape;
}

/// The arguments of `info`, in order, looked up by name in `data`.
std::vector<Tensor>
bindArgs(const ModelInfo &info,
         const std::map<std::string, std::vector<float>> &data,
         const std::vector<int32_t> &lengths, int64_t T, int64_t B) {
  std::vector<Tensor> args;
  for (const SlotInfo &a : info.args) {
    auto shape = concreteShape(a.type, T, B);
    if (a.role == "lengths")
      args.push_back(Tensor::i32(shape, lengths));
    else
      args.push_back(Tensor::f32(shape, data.at(a.name)));
  }
  return args;
}

TEST(FrontendDropout, TrainingAddsMaskArgumentsInOrder) {
  Compiled train = compile(kModel, /*training=*/true);
  Compiled infer = compile(kModel, /*training=*/false);
  ASSERT_TRUE(train.fn && infer.fn);

  // Inference: no mask arguments, sites recorded without one.
  for (const SlotInfo &a : infer.info->args)
    EXPECT_NE(a.role, "dropout_mask") << a.name;
  ASSERT_EQ(infer.info->dropouts.size(), 2u);
  EXPECT_TRUE(infer.info->dropouts[0].maskArg.empty());

  // Training: the inference arguments plus two masks between the states and
  // the parameters.
  std::vector<std::string> names, roles;
  for (const SlotInfo &a : train.info->args) {
    names.push_back(a.name);
    roles.push_back(a.role);
  }
  std::vector<std::string> expectedHead = {
      "x", "lengths", "h1.h0", "h1.c0", "h2.h0", "h2.c0", "d1.mask", "z.mask"};
  ASSERT_GT(names.size(), expectedHead.size());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 8),
            expectedHead);
  EXPECT_EQ(roles[6], "dropout_mask");
  EXPECT_EQ(roles[7], "dropout_mask");
  EXPECT_EQ(roles[5], "state");
  EXPECT_EQ(roles[8], "param");
  const SlotInfo &m1 = train.info->args[6], &m2 = train.info->args[7];
  EXPECT_EQ(m1.type.str(), "f32[T,B,4]");
  EXPECT_EQ(m2.type.str(), "f32[B,4]");
  // The IR function's own arguments carry the names and roles too.
  EXPECT_EQ(train.fn->arg(6)->name(), "d1.mask");
  EXPECT_EQ(train.fn->arg(7)->type().str(), "f32[B,4]");
  EXPECT_EQ(std::get<std::string>(train.fn->argAttrs(7).at("role")),
            "dropout_mask");
  EXPECT_FALSE(train.fn->argAttrs(7).count("param"));

  ASSERT_EQ(train.info->dropouts.size(), 2u);
  const DropoutSite &s1 = train.info->dropouts[0],
                    &s2 = train.info->dropouts[1];
  EXPECT_EQ(s1.name, "d1");
  EXPECT_EQ(s1.p, kP1);
  EXPECT_EQ(s1.maskArg, "d1.mask");
  EXPECT_EQ(s1.maskType.str(), "f32[T,B,4]");
  EXPECT_EQ(s2.name, "z");
  EXPECT_EQ(s2.p, kP2);
  EXPECT_EQ(s2.maskArg, "z.mask");
  EXPECT_EQ(train.info->argIndex(s2.maskArg), 7);

  // Apart from the masks, both lowerings have the same arguments.
  std::vector<std::string> withoutMasks;
  for (const SlotInfo &a : train.info->args)
    if (a.role != "dropout_mask")
      withoutMasks.push_back(a.name + ":" + a.type.str() + ":" + a.role);
  std::vector<std::string> inferNames;
  for (const SlotInfo &a : infer.info->args)
    inferNames.push_back(a.name + ":" + a.type.str() + ":" + a.role);
  EXPECT_EQ(withoutMasks, inferNames);

  std::string text = train.info->str();
  EXPECT_NE(text.find("arg d1.mask: f32[T,B,4] role=dropout_mask\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("dropout z p=0.5 mask=z.mask\n"), std::string::npos)
      << text;
  EXPECT_EQ(infer.info->str().find("mask"), std::string::npos);
}

TEST(FrontendDropout, DropoutInACellIsRejectedInBothModes) {
  const char *src = R"(cell c(x: [I]) -> h: [H] {
  param W: [H, I]
  h = dropout(tanh(W @ x), 0.5)
}
model m {
  input x: seq[f32[2]]
  output c(x, H=3)
}
)";
  for (bool training : {false, true}) {
    ir::Diagnostics diags;
    LowerOptions options;
    options.training = training;
    EXPECT_FALSE(compileSource("test.rnn", src, options, diags));
    EXPECT_NE(diags.str().find("dropout"), std::string::npos) << diags.str();
  }
}

float sigm(float x) { return 1.0f / (1.0f + std::exp(-x)); }

using Rows = std::vector<std::vector<float>>; // [B][features]
using Seq = std::vector<Rows>;                // [T][B][features]

/// y = W x for a row-major [rows, cols] W.
std::vector<float> matvec(const std::vector<float> &w, int64_t rows,
                          int64_t cols, const std::vector<float> &x) {
  std::vector<float> y(rows, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      y[r] += w[r * cols + c] * x[c];
  return y;
}

/// One LSTM layer over each row's own length (PyTorch's equations); steps
/// past the length output 0. Returns the outputs; `hFinal`/`cFinal` get the
/// final states.
Seq refLstm(const std::map<std::string, std::vector<float>> &d,
            const std::string &layer, const Seq &in, int64_t in_dim,
            const std::vector<int32_t> &lengths, Rows &hFinal, Rows &cFinal) {
  int64_t T = in.size(), B = in[0].size();
  auto p = [&](const char *n) -> const std::vector<float> & {
    return d.at(layer + "." + n);
  };
  Seq out(T, Rows(B, std::vector<float>(kH, 0.0f)));
  hFinal.assign(B, {});
  cFinal.assign(B, {});
  for (int64_t b = 0; b < B; ++b) {
    std::vector<float> h(p("h0").begin() + b * kH,
                         p("h0").begin() + (b + 1) * kH);
    std::vector<float> c(p("c0").begin() + b * kH,
                         p("c0").begin() + (b + 1) * kH);
    for (int64_t t = 0; t < lengths[b]; ++t) {
      const std::vector<float> &x = in[t][b];
      auto xi = matvec(p("Wi"), kH, in_dim, x),
           xf = matvec(p("Wf"), kH, in_dim, x);
      auto xg = matvec(p("Wg"), kH, in_dim, x),
           xo = matvec(p("Wo"), kH, in_dim, x);
      auto hi = matvec(p("Ui"), kH, kH, h), hf = matvec(p("Uf"), kH, kH, h);
      auto hg = matvec(p("Ug"), kH, kH, h), ho = matvec(p("Uo"), kH, kH, h);
      for (int64_t j = 0; j < kH; ++j) {
        float i = sigm(xi[j] + hi[j] + p("bi")[j]);
        float f = sigm(xf[j] + hf[j] + p("bf")[j]);
        float g = std::tanh(xg[j] + hg[j] + p("bg")[j]);
        float o = sigm(xo[j] + ho[j] + p("bo")[j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * std::tanh(c[j]);
      }
      out[t][b] = h;
    }
    hFinal[b] = h;
    cFinal[b] = c;
  }
  return out;
}

TEST(FrontendDropout, MasksMatchInferenceAndPlainLoopReference) {
  Compiled train = compile(kModel, /*training=*/true);
  Compiled infer = compile(kModel, /*training=*/false);
  ASSERT_TRUE(train.fn && infer.fn);

  const int64_t T = 5, B = 3;
  std::vector<int32_t> lengths = {5, 2, 4}; // padded rows
  std::mt19937 rng(2024);
  std::uniform_real_distribution<float> uni(-0.7f, 0.7f);
  std::map<std::string, std::vector<float>> data;
  for (const SlotInfo &a : train.info->args) {
    if (a.role == "lengths")
      continue;
    int64_t n = 1;
    for (int64_t s : concreteShape(a.type, T, B))
      n *= s;
    std::vector<float> v(n);
    for (float &e : v)
      e = uni(rng);
    data[a.name] = std::move(v);
  }

  // 1. All-ones masks: exactly the inference function.
  auto ones = data;
  ones["d1.mask"].assign(T * B * kH, 1.0f);
  ones["z.mask"].assign(B * kH, 1.0f);
  auto inferOut =
      ir::interpret(*infer.fn, bindArgs(*infer.info, data, lengths, T, B));
  auto onesOut =
      ir::interpret(*train.fn, bindArgs(*train.info, ones, lengths, T, B));
  ASSERT_TRUE(inferOut) << inferOut.error();
  ASSERT_TRUE(onesOut) << onesOut.error();
  ASSERT_EQ(inferOut->size(), onesOut->size());
  for (size_t r = 0; r < inferOut->size(); ++r)
    EXPECT_EQ((*inferOut)[r].f32Vec(), (*onesOut)[r].f32Vec())
        << "result " << r;

  // 2. Inverted-dropout masks: 0 with probability p, else 1/(1-p).
  auto sample = [&](std::vector<float> &mask, double p) {
    std::bernoulli_distribution drop(p);
    for (float &e : mask)
      e = drop(rng) ? 0.0f : static_cast<float>(1.0 / (1.0 - p));
  };
  sample(data["d1.mask"], kP1);
  sample(data["z.mask"], kP2);
  auto out =
      ir::interpret(*train.fn, bindArgs(*train.info, data, lengths, T, B));
  ASSERT_TRUE(out) << out.error();

  // Reference: the same model, masks applied by hand.
  Seq x(T, Rows(B));
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b)
      x[t][b].assign(data["x"].begin() + (t * B + b) * kI,
                     data["x"].begin() + (t * B + b + 1) * kI);
  Rows h1f, c1f, h2f, c2f;
  Seq o1 = refLstm(data, "h1", x, kI, lengths, h1f, c1f);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < kH; ++j)
        o1[t][b][j] *= data["d1.mask"][(t * B + b) * kH + j];
  Seq o2 = refLstm(data, "h2", o1, kH, lengths, h2f, c2f);
  std::vector<float> expected;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<float> z = o2[lengths[b] - 1][b];
    for (int64_t j = 0; j < kH; ++j)
      z[j] *= data["z.mask"][b * kH + j];
    auto y = matvec(data["out.weight"], kC, kH, z);
    for (int64_t c = 0; c < kC; ++c)
      expected.push_back(y[c] + data["out.bias"][c]);
  }
  // Results: out [B,C], then final states h1.h, h1.c, h2.h, h2.c.
  ASSERT_EQ(out->size(), 5u);
  const Tensor &o = (*out)[0];
  ASSERT_EQ(o.numElements(), B * kC);
  for (int64_t i = 0; i < B * kC; ++i)
    EXPECT_NEAR(o.f32Data()[i], expected[i], 1e-5) << "out element " << i;
  const Rows *finals[] = {&h1f, &c1f, &h2f, &c2f};
  for (int r = 0; r < 4; ++r)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < kH; ++j)
        EXPECT_NEAR((*out)[r + 1].f32Data()[b * kH + j], (*finals[r])[b][j],
                    1e-5)
            << "final state " << r << " b=" << b << " j=" << j;
  // The masks dropped something: the output differs from inference's.
  EXPECT_NE(o.f32Vec(), (*inferOut)[0].f32Vec());
}

} // namespace
