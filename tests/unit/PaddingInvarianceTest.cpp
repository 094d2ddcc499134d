//===- tests/unit/PaddingInvarianceTest.cpp - Padding never changes a result ===//
//
// A row inside a padded batch must give exactly what the same row gives
// alone: its outputs, and its share of the gradient. The padded steps hold
// junk token ids (not zeros), so a model that read them would be caught.
//
// For a loss that is a mean over rows (a classifier: one label per row),
//   L_batch = (1/B) sum_b L_b        =>  dL_batch = (1/B) sum_b dL_b;
// for a mean over valid tokens (a language model),
//   L_batch = sum_b n_b L_b / N      =>  dL_batch = sum_b (n_b/N) dL_b,
// with n_b the row's length and N = sum_b n_b. The per-row gradients come
// from running each row alone (B = 1, T = its length), so the expectation is
// computed independently of how the batch code masks its padding. Runs in
// the reference interpreter.
//
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "ir/Interpreter.h"
#include "passes/Autodiff.h"
#include "runtime/Initializers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace rnnc;

namespace {

struct Model {
  frontend::LoweredProgram program;
  const ir::Function *fn = nullptr;
  std::unique_ptr<ir::Function> grad;
  const frontend::ModelInfo *info = nullptr;
};

Model lowerExample(const std::string &file,
                   std::map<std::string, int64_t> sizes) {
  std::ifstream in(std::string(RNNC_SOURCE_DIR) + "/examples/" + file);
  std::stringstream ss;
  ss << in.rdbuf();
  ir::Diagnostics diags;
  frontend::LowerOptions opts;
  opts.sizes = std::move(sizes);
  auto p = frontend::compileSource(file, ss.str(), opts, diags);
  EXPECT_TRUE(p) << diags.str();
  Model m;
  if (!p)
    return m;
  m.program = std::move(*p);
  m.info = &m.program.models.back();
  m.fn = m.program.module->lookup(m.info->name);
  auto g = passes::buildGradient(*m.fn);
  EXPECT_TRUE(g) << g.error();
  if (g)
    m.grad = std::move(*g);
  return m;
}

/// Parameters: small random values, the same for every call.
std::vector<Tensor> params(const frontend::ModelInfo &info) {
  std::vector<Tensor> ps;
  Rng rng(7);
  for (const frontend::SlotInfo &s : info.args) {
    if (s.role != "param")
      continue;
    std::vector<int64_t> shape;
    for (const ir::Dim &d : s.type.dims())
      shape.push_back(d.size);
    Tensor t(DType::F32, shape);
    for (float &v : t.f32Vec())
      v = static_cast<float>(0.4 * (rng.nextDouble() - 0.5));
    ps.push_back(std::move(t));
  }
  return ps;
}

/// One sequence of token ids and its target: a label, or the next tokens.
struct Row {
  std::vector<int32_t> ids;
  std::vector<int32_t> next; // LM targets (same length as ids)
  int32_t label = 0;
};

/// The argument vector for `rows` padded to T with junk ids.
std::vector<Tensor> argsFor(const frontend::ModelInfo &info,
                            const std::vector<Row> &rows,
                            const std::vector<Tensor> &ps, int32_t vocab) {
  int64_t B = static_cast<int64_t>(rows.size()), T = 0;
  for (const Row &r : rows)
    T = std::max<int64_t>(T, static_cast<int64_t>(r.ids.size()));
  std::vector<Tensor> args;
  size_t p = 0;
  for (const frontend::SlotInfo &s : info.args) {
    if (s.role == "param") {
      args.push_back(ps[p++]);
    } else if (s.role == "lengths") {
      std::vector<int32_t> len;
      for (const Row &r : rows)
        len.push_back(static_cast<int32_t>(r.ids.size()));
      args.push_back(Tensor::i32({B}, len));
    } else if (s.role == "state") {
      args.push_back(Tensor(DType::F32, {B, s.type.dims().back().size}));
    } else if (s.type.rank() == 2) { // i32[T,B]: input ids or LM targets
      bool target = s.role == "target";
      std::vector<int32_t> v(T * B);
      for (int64_t t = 0; t < T; ++t)
        for (int64_t b = 0; b < B; ++b) {
          const Row &r = rows[b];
          bool real = t < static_cast<int64_t>(r.ids.size());
          // Junk in the padding: ids a model that read them would notice.
          v[t * B + b] = real ? (target ? r.next[t] : r.ids[t])
                              : static_cast<int32_t>((7 * t + 3 * b + 1) %
                                                     vocab);
        }
      args.push_back(Tensor::i32({T, B}, v));
    } else { // i32[B]: labels
      std::vector<int32_t> v;
      for (const Row &r : rows)
        v.push_back(r.label);
      args.push_back(Tensor::i32({B}, v));
    }
  }
  return args;
}

std::vector<Row> makeRows(int32_t vocab, int32_t classes) {
  std::vector<Row> rows;
  Rng rng(11);
  for (int64_t len : {5, 2, 4, 1}) {
    Row r;
    for (int64_t t = 0; t < len; ++t) {
      r.ids.push_back(static_cast<int32_t>(rng.next() % vocab));
      r.next.push_back(static_cast<int32_t>(rng.next() % vocab));
    }
    r.label = static_cast<int32_t>(rng.next() % classes);
    rows.push_back(r);
  }
  return rows;
}

/// Runs the gradient function on the batch and on each row alone, and
/// checks outputs and gradients as the file comment derives. `tokenMean`
/// selects the language-model weighting.
void checkInvariance(const Model &m, int32_t vocab, int32_t classes,
                     bool tokenMean) {
  ASSERT_TRUE(m.grad);
  std::vector<Row> rows = makeRows(vocab, classes);
  std::vector<Tensor> ps = params(*m.info);
  size_t numResults = m.info->results.size();
  auto batch = ir::interpret(*m.grad, argsFor(*m.info, rows, ps, vocab));
  ASSERT_TRUE(batch) << batch.error();
  int64_t B = static_cast<int64_t>(rows.size()), N = 0;
  for (const Row &r : rows)
    N += static_cast<int64_t>(r.ids.size());
  std::vector<std::vector<double>> expected(ps.size());
  for (size_t i = 0; i < ps.size(); ++i)
    expected[i].assign(ps[i].numElements(), 0.0);
  unsigned outputIdx = 1; // loss first, then the declared output
  for (int64_t b = 0; b < B; ++b) {
    auto alone = ir::interpret(*m.grad, argsFor(*m.info, {rows[b]}, ps, vocab));
    ASSERT_TRUE(alone) << alone.error();
    // The row's output inside the batch equals its output alone.
    const Tensor &ob = (*batch)[outputIdx], &oa = (*alone)[outputIdx];
    int64_t perRow = oa.numElements();
    if (ob.rank() == 2) { // [B, C]: per-sequence output
      for (int64_t j = 0; j < perRow; ++j)
        EXPECT_NEAR(ob.f32Data()[b * perRow + j], oa.f32Data()[j], 1e-5)
            << "row " << b << " output " << j;
    } else { // [T, B, V]: per-step outputs over the row's own steps
      int64_t V = ob.shape().back(), len = oa.dim(0);
      for (int64_t t = 0; t < len; ++t)
        for (int64_t v = 0; v < V; ++v)
          EXPECT_NEAR(ob.f32Data()[(t * B + b) * V + v],
                      oa.f32Data()[t * V + v], 1e-5)
              << "row " << b << " step " << t;
    }
    double w = tokenMean ? static_cast<double>(rows[b].ids.size()) / N
                         : 1.0 / static_cast<double>(B);
    for (size_t i = 0; i < ps.size(); ++i)
      for (int64_t k = 0; k < ps[i].numElements(); ++k)
        expected[i][k] += w * (*alone)[numResults + i].f32Data()[k];
  }
  for (size_t i = 0; i < ps.size(); ++i) {
    const Tensor &g = (*batch)[numResults + i];
    double scale = 1e-12;
    for (double e : expected[i])
      scale = std::max(scale, std::abs(e));
    // f32 sums of a few hundred terms: 1e-5 of the largest entry plus a
    // relative 1e-4 covers the rounding with margin.
    for (int64_t k = 0; k < g.numElements(); ++k)
      ASSERT_NEAR(g.f32Data()[k], expected[i][k],
                  1e-4 * std::abs(expected[i][k]) + 1e-5 * scale)
          << "param " << i << " element " << k;
  }
}

TEST(PaddingInvariance, BidirectionalStackedClassifier) {
  // examples/classify.rnn: stacked LSTMs each way, last/first pooling.
  Model m = lowerExample("classify.rnn", {{"V", 9}, {"C", 3}, {"H", 5}});
  checkInvariance(m, 9, 3, /*tokenMean=*/false);
}

TEST(PaddingInvariance, TwoLayerLanguageModel) {
  // examples/charlm.rnn: cross-entropy averaged over valid tokens.
  Model m = lowerExample("charlm.rnn", {{"V", 7}, {"H", 6}, {"E", 4}});
  checkInvariance(m, 7, 1, /*tokenMean=*/true);
}

} // namespace
