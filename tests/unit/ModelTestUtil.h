//===- tests/unit/ModelTestUtil.h - Example models against a reference -*- C++
//-*-===//
//
// Shared by the tests that run an example model two ways (JIT against the
// interpreter, optimized against as lowered): reading an example, making its
// arguments by role, and comparing results with a tolerance scaled to each
// result tensor.
//
// Tolerance. The JIT computes in f32 with its own exp/tanh/sigmoid (accurate
// to a few ulps, MathApproxTest) and sums in another order than the
// interpreter, which accumulates in double; the forward example models agree
// to rtol 2e-4 (CodegenExamplesTest). A gradient is a sum of T*B products of
// such values, so its absolute error scales with the size of the largest
// gradient entries, not of each one (an entry that cancels to ~0 has the
// same absolute error as the large ones): we require
//   |got - want| <= 1e-4 * |want| + 1e-5 * max_k |want_k|
// per result tensor, which a wrong or missing term (an O(1) relative error)
// cannot pass.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TESTS_UNIT_MODELTESTUTIL_H
#define RNNC_TESTS_UNIT_MODELTESTUTIL_H

#include "AutodiffTestUtil.h"
#include "codegen/CompiledFunction.h"
#include "frontend/Frontend.h"
#include "frontend/ModelInfo.h"
#include "passes/Autodiff.h"
#include "passes/Pipeline.h"

#include <fstream>
#include <map>
#include <sstream>

namespace rnnc::test {

inline std::string readExample(const std::string &name) {
  std::ifstream in(std::string(RNNC_SOURCE_DIR) + "/examples/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// `source` (named `file` in diagnostics) lowered with `sizes`; the
/// diagnostics as the error when it does not lower.
inline Result<frontend::LoweredProgram>
lowerSource(const std::string &file, const std::string &source,
            std::map<std::string, int64_t> sizes) {
  ir::Diagnostics diags;
  frontend::LowerOptions lo;
  lo.sizes = std::move(sizes);
  auto p = frontend::compileSource(file, source, lo, diags);
  if (!p)
    return makeError(diags.str());
  return std::move(*p);
}

/// An example's model optimized, and its gradient built and optimized as
/// `rnnc train` builds it.
struct TrainGradient {
  frontend::LoweredProgram program;
  std::unique_ptr<ir::Function> grad;
  const ir::Function &model() const {
    return *program.module->functions().at(0);
  }
};
inline Result<TrainGradient>
trainGradient(const std::string &file, std::map<std::string, int64_t> sizes) {
  auto p = lowerSource(file, readExample(file), std::move(sizes));
  if (!p)
    return makeError(p.error());
  ir::Diagnostics diags;
  if (!passes::optimizeModule(*p->module, diags))
    return makeError(diags.str());
  auto grad = passes::buildGradient(*p->module->functions().at(0));
  if (!grad)
    return makeError(grad.error());
  std::unique_ptr<ir::Function> g = grad.take();
  if (!passes::optimizeFunction(g, diags))
    return makeError(diags.str());
  return TrainGradient{std::move(*p), std::move(g)};
}

/// `fn` JIT-compiled (default options) and run on `args`.
inline Result<std::vector<Tensor>> jitRun(const ir::Function &fn,
                                          const std::vector<Tensor> &args) {
  auto compiled = codegen::compile(fn);
  if (!compiled)
    return makeError(compiled.error());
  return (*compiled)->run(args);
}

struct Measured {
  double worstRel = 0; // max |got - want| / (|want| + max|want|)
};

/// As many results as `want`, each of its dtype and shape.
inline ::testing::AssertionResult sameTypes(const std::vector<Tensor> &got,
                                            const std::vector<Tensor> &want) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure() << "result counts differ";
  for (size_t r = 0; r < want.size(); ++r)
    if (got[r].shape() != want[r].shape() || got[r].dtype() != want[r].dtype())
      return ::testing::AssertionFailure() << "result " << r << " type";
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult sameResults(const std::vector<Tensor> &got,
                                              const std::vector<Tensor> &want,
                                              Measured &m) {
  if (auto types = sameTypes(got, want); !types)
    return types;
  for (size_t r = 0; r < want.size(); ++r) {
    const Tensor &g = got[r], &w = want[r];
    double scale = 0;
    for (int64_t k = 0; k < w.numElements(); ++k)
      scale = std::max(scale, std::fabs(w.at(k)));
    for (int64_t k = 0; k < w.numElements(); ++k) {
      double d = std::fabs(g.at(k) - w.at(k));
      m.worstRel =
          std::max(m.worstRel, d / (std::fabs(w.at(k)) + scale + 1e-30));
      if (!(d <= 1e-4 * std::fabs(w.at(k)) + 1e-5 * scale))
        return ::testing::AssertionFailure()
               << "result " << r << " element " << k << ": got " << g.at(k)
               << ", want " << w.at(k) << " (largest " << scale << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

/// An example model at small sizes, with the dims, vocabulary and lengths
/// argsFor takes.
struct ExampleCase {
  const char *file;
  std::map<std::string, int64_t> sizes;
  std::map<std::string, int64_t> dims;
  int32_t vocab;
  std::vector<int32_t> lens;
};

/// The examples whose gradients the JIT tests compare: ragged lengths
/// below T (and, for seq2seq, below S) in every batch.
inline std::vector<ExampleCase> gradientExampleCases() {
  return {
      {"custom_cell.rnn",
       {{"V", 7}, {"H", 8}},
       {{"T", 6}, {"B", 3}},
       7,
       {6, 2, 4}},
      {"classify.rnn",
       {{"V", 7}, {"C", 3}, {"H", 8}},
       {{"T", 6}, {"B", 3}},
       3,
       {6, 2, 4}},
      {"forecast.rnn", {{"H", 8}}, {{"T", 6}, {"B", 3}}, 1, {6, 2, 4}},
      {"seq2seq.rnn",
       {{"Vs", 6}, {"Vt", 5}, {"H", 4}},
       {{"T", 4}, {"S", 4}, {"B", 2}},
       5,
       {4, 3}},
  };
}

/// Arguments by role for a lowered model with token inputs below `vocab`.
inline std::vector<Tensor> argsFor(const ir::Function &fn,
                                   const frontend::ModelInfo &info,
                                   std::map<std::string, int64_t> dims,
                                   int32_t vocab,
                                   const std::vector<int32_t> &lens) {
  std::vector<Tensor> args;
  unsigned salt = 5;
  for (unsigned a = 0; a < fn.numArgs(); ++a) {
    const ir::TensorType &t = fn.arg(a)->type();
    std::vector<int64_t> shape;
    int64_t n = 1;
    for (const ir::Dim &d : t.dims()) {
      shape.push_back(d.isStatic() ? d.size : dims.at(d.sym));
      n *= shape.back();
    }
    if (t.dtype() == DType::I32) {
      std::vector<int32_t> v(n);
      if (info.args[a].role == "lengths")
        v = lens;
      else
        for (int64_t k = 0; k < n; ++k)
          v[k] = static_cast<int32_t>((k * 5 + salt) % vocab);
      args.push_back(Tensor::i32(shape, v));
    } else {
      std::vector<float> v = pseudoRandom(n, salt);
      for (float &x : v)
        x *= 0.3f;
      args.push_back(Tensor::f32(shape, v));
    }
    ++salt;
  }
  return args;
}

} // namespace rnnc::test

#endif // RNNC_TESTS_UNIT_MODELTESTUTIL_H
