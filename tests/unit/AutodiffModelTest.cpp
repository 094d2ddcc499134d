//===- tests/unit/AutodiffModelTest.cpp - Gradients of lowered models ----===//
//
// Models written in the .rnn language (the prelude's rnn, lstm, gru, the
// custom cell of examples/custom_cell.rnn, stacked and reverse layers, and
// each example model: char-LM, classifier with last/first, forecaster with
// mse, seq2seq with attention over a captured encoder sequence), lowered by
// the frontend, differentiated w.r.t. every param, and checked against
// central finite differences in the interpreter (tolerance justified in
// AutodiffTestUtil.h), at small sizes with padded rows (lengths < T).
//
//===----------------------------------------------------------------------===//
#include "AutodiffTestUtil.h"
#include "ModelTestUtil.h"

#include "frontend/Frontend.h"

#include <fstream>
#include <functional>
#include <sstream>

using namespace rnnc;
using namespace rnnc::test;

namespace {

struct Lowered {
  frontend::LoweredProgram program;
  const ir::Function *fn = nullptr;
  const frontend::ModelInfo *info = nullptr;
};

Lowered lower(const std::string &source, std::map<std::string, int64_t> sizes,
              bool training = false) {
  ir::Diagnostics diags;
  frontend::LowerOptions opts;
  opts.sizes = std::move(sizes);
  opts.training = training;
  auto p = frontend::compileSource("test.rnn", source, opts, diags);
  EXPECT_TRUE(p) << diags.str();
  Lowered l;
  if (!p)
    return l;
  l.program = std::move(*p);
  l.fn = l.program.module->functions().at(0).get();
  l.info = &l.program.models.at(0);
  return l;
}

/// Arguments by role: token ids below `vocab(name)`, lengths from `lens`
/// (and `srcLens` for an argument named src_lengths), f32 values scaled to
/// keep the cells out of saturation.
std::vector<Tensor>
makeArgs(const Lowered &l, std::map<std::string, int64_t> dims,
         const std::function<int32_t(const std::string &)> &vocab,
         std::vector<int32_t> lens, std::vector<int32_t> srcLens = {}) {
  std::vector<Tensor> args;
  unsigned salt = 11;
  for (unsigned a = 0; a < l.fn->numArgs(); ++a) {
    const ir::TensorType &t = l.fn->arg(a)->type();
    const frontend::SlotInfo &slot = l.info->args[a];
    std::vector<int64_t> shape;
    for (const ir::Dim &d : t.dims())
      shape.push_back(d.isStatic() ? d.size : dims.at(d.sym));
    int64_t n = 1;
    for (int64_t s : shape)
      n *= s;
    if (t.dtype() == DType::I32) {
      std::vector<int32_t> v(n);
      if (slot.role == "lengths")
        v = slot.name == "src_lengths" ? srcLens : lens;
      else
        for (int64_t k = 0; k < n; ++k)
          v[k] = static_cast<int32_t>((k * 7 + salt) % vocab(slot.name));
      args.push_back(Tensor::i32(shape, v));
    } else {
      std::vector<float> v = pseudoRandom(n, salt);
      float scale = slot.role == "param"   ? 0.6f
                    : slot.role == "state" ? 0.4f
                                           : 1.0f;
      for (float &x : v)
        x *= scale;
      if (slot.role == "dropout_mask") // inverted dropout, p = 0.5
        for (float &x : v)
          x = x < 0 ? 0.0f : 2.0f;
      args.push_back(Tensor::f32(shape, v));
    }
    ++salt;
  }
  return args;
}

GradCheckOptions modelCheck() {
  GradCheckOptions co;
  co.maxElements = 6; // per param; the directional check covers the rest
  return co;
}

std::string lmSource(const std::string &layers) {
  return "model m(V = 7, H = 4) {\n"
         "  input x: seq[token[V]]\n"
         "  target y: seq[token[V]]\n"
         "  e = embed(x, 3)\n"
         "  h = " +
         layers +
         "\n"
         "  loss cross_entropy(linear(h, V), y)\n"
         "}\n";
}

void checkLM(const std::string &layers, bool recompute = false) {
  SCOPED_TRACE(layers);
  Lowered l = lower(lmSource(layers), {});
  ASSERT_TRUE(l.fn);
  auto args = makeArgs(l, {{"T", 5}, {"B", 3}},
                       [](const std::string &) { return 7; }, {5, 3, 1});
  passes::GradientOptions go;
  go.recompute = recompute;
  EXPECT_TRUE(checkGradient(*l.fn, args, go, modelCheck()));
}

TEST(AutodiffModel, Rnn) { checkLM("rnn(e, H=H)"); }
TEST(AutodiffModel, Lstm) { checkLM("lstm(e, H=H)"); }
TEST(AutodiffModel, LstmRecompute) { checkLM("lstm(e, H=H)", true); }
TEST(AutodiffModel, Gru) { checkLM("gru(e, H=H)"); }
TEST(AutodiffModel, Stacked) { checkLM("lstm(gru(e, H=H), H=H)"); }
TEST(AutodiffModel, Reverse) {
  checkLM("concat(rnn(e, H=H), lstm(e, H=H, reverse=true))");
}

TEST(AutodiffModel, CustomCell) {
  Lowered l = lower(readExample("custom_cell.rnn"), {{"V", 7}, {"H", 4}});
  ASSERT_TRUE(l.fn);
  auto args = makeArgs(l, {{"T", 5}, {"B", 3}},
                       [](const std::string &) { return 7; }, {5, 2, 4});
  EXPECT_TRUE(checkGradient(*l.fn, args, {}, modelCheck()));
}

TEST(AutodiffModel, CharLM) {
  Lowered l = lower(readExample("charlm.rnn"), {{"V", 7}, {"H", 4}, {"E", 3}});
  ASSERT_TRUE(l.fn);
  for (int64_t B : {1, 3}) {
    auto args = makeArgs(
        l, {{"T", 6}, {"B", B}}, [](const std::string &) { return 7; },
        B == 1 ? std::vector<int32_t>{4} : std::vector<int32_t>{6, 2, 5});
    EXPECT_TRUE(checkGradient(*l.fn, args, {}, modelCheck())) << "B = " << B;
  }
}

TEST(AutodiffModel, InitialStatesOfReverseLayers) {
  // d loss / d initial state through forward and reverse layers with padded
  // rows: a reverse layer's initial state enters each row at its own last
  // element, a forward one's at step 0.
  Lowered l =
      lower(lmSource("concat(gru(e, H=H), lstm(e, H=H, reverse=true))"), {});
  ASSERT_TRUE(l.fn);
  passes::GradientOptions go;
  for (unsigned a = 0; a < l.fn->numArgs(); ++a)
    if (l.info->args[a].role == "state" || l.info->args[a].role == "param")
      go.wrt.push_back(a);
  auto args = makeArgs(l, {{"T", 5}, {"B", 3}},
                       [](const std::string &) { return 7; }, {5, 2, 3});
  EXPECT_TRUE(checkGradient(*l.fn, args, go, modelCheck()));
}

TEST(AutodiffModel, Classify) {
  // Bidirectional, stacked, last/first pooling, a per-sequence target.
  Lowered l =
      lower(readExample("classify.rnn"), {{"V", 7}, {"C", 3}, {"H", 4}});
  ASSERT_TRUE(l.fn);
  auto args = makeArgs(l, {{"T", 5}, {"B", 3}},
                       [](const std::string &n) { return n == "y" ? 3 : 7; },
                       {5, 2, 3});
  EXPECT_TRUE(checkGradient(*l.fn, args, {}, modelCheck()));
}

TEST(AutodiffModel, Forecast) {
  Lowered l = lower(readExample("forecast.rnn"), {{"H", 4}});
  ASSERT_TRUE(l.fn);
  auto args = makeArgs(l, {{"T", 6}, {"B", 2}},
                       [](const std::string &) { return 1; }, {6, 3});
  EXPECT_TRUE(checkGradient(*l.fn, args, {}, modelCheck()));
}

TEST(AutodiffModel, Seq2SeqAttention) {
  // The decoder's scan captures the encoder's outputs (f32[S,B,2H]) and their
  // lengths; the capture's gradient is a carried accumulator.
  Lowered l =
      lower(readExample("seq2seq.rnn"), {{"Vs", 6}, {"Vt", 5}, {"H", 3}});
  ASSERT_TRUE(l.fn);
  auto args = makeArgs(l, {{"T", 4}, {"S", 5}, {"B", 2}},
                       [](const std::string &n) { return n == "src" ? 6 : 5; },
                       {4, 2}, {3, 5});
  EXPECT_TRUE(checkGradient(*l.fn, args, {}, modelCheck()));
}

TEST(AutodiffModel, DotProductAttentionSeq2Seq) {
  // examples/dot_attention.rnn: the decoder cell scores the captured encoder
  // sequence by mem @ h (Luong dot-product attention), masked by S lengths.
  Lowered l =
      lower(readExample("dot_attention.rnn"), {{"Vs", 6}, {"Vt", 5}, {"H", 3}});
  ASSERT_TRUE(l.fn);
  auto args = makeArgs(l, {{"T", 4}, {"S", 5}, {"B", 2}},
                       [](const std::string &n) { return n == "src" ? 6 : 5; },
                       {4, 2}, {3, 5});
  EXPECT_TRUE(checkGradient(*l.fn, args, {}, modelCheck()));
}

TEST(AutodiffModel, TrainingLoweringWithDropout) {
  // Dropout between stacked layers and on a pooled value: under training it
  // is x * mask with the mask an argument, which gets no gradient.
  Lowered l = lower("model m(V = 7, H = 4) {\n"
                    "  input x: seq[token[V]]\n"
                    "  target y: token[V]\n"
                    "  h1 = lstm(embed(x, 3), H=H)\n"
                    "  d1 = dropout(h1, 0.5)\n"
                    "  z = dropout(last(gru(d1, H=H)), p = 0.5)\n"
                    "  loss cross_entropy(linear(z, V), y)\n"
                    "}\n",
                    {}, /*training=*/true);
  ASSERT_TRUE(l.fn);
  bool hasMask = false;
  for (const auto &a : l.info->args)
    hasMask |= a.role == "dropout_mask";
  EXPECT_TRUE(hasMask);
  auto args = makeArgs(l, {{"T", 5}, {"B", 3}},
                       [](const std::string &) { return 7; }, {5, 2, 4});
  EXPECT_TRUE(checkGradient(*l.fn, args, {}, modelCheck()));
}

} // namespace
