//===- tools/rnnc/BenchModels.h - What `rnnc bench` measures ----*- C++ -*-===//
//
// The pieces of `rnnc bench` that are not the command itself: the
// configurations (--standard's list among them) and the .rnn text of the
// one-layer models it generates for the built-in cells (so they go through
// the same frontend, loadModel and optimization pipeline as any model
// file), random arguments for a model's calling convention, the matmul FLOP
// count of the IR that is compiled, and where the example models are.
// Everything here returns errors; BenchCommand.cpp prints and times.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_BENCHMODELS_H
#define RNNC_TOOLS_RNNC_BENCHMODELS_H

#include "ir/Function.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"
#include "tools/rnnc/LoadedModel.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rnnc::driver {

/// A model `bench_<cell>(I, H)` applying the prelude cell `cell` (lstm,
/// gru or rnn) once to `input x: seq[f32[I]]`. Inference returns the
/// output sequence h; for training the loss is mse(h, y) against
/// `target y: seq[f32[H]]`, so the gradient runs through the whole cell.
std::string benchCellSource(const std::string &cell, bool train);

/// The model of examples/custom_cell.rnn (`lm`: embedding 32, one layer,
/// linear to V, cross entropy) with the built-in lstm in place of the custom
/// cell, named `lm_lstm`: the baseline for the custom cell's cost.
std::string benchLmLstmSource();

/// One measured configuration: a model file with its sizes, the call's
/// batch and length, and what is timed.
struct BenchConfig {
  /// The JSON "cell": the built-in cell; empty: the model's name.
  std::string label;
  std::string file;
  std::map<std::string, int64_t> sizes;
  int64_t batch = 1, steps = 1;
  /// Time the gradient function instead of the model's.
  bool train = false;
  /// Time a whole optimizer step (gradient, clip, update); the JSON gets
  /// tokens_per_s.
  bool fullStep = false;
  /// The JSON "I" and "H"; -1: from the model (BenchCommand.cpp).
  int64_t reportI = -1, reportH = -1;
};

/// Where the generated model texts go: a folder in the temporary directory,
/// made on the first write and removed with this object.
class BenchSources {
public:
  BenchSources() = default;
  BenchSources(const BenchSources &) = delete;
  BenchSources &operator=(const BenchSources &) = delete;
  ~BenchSources();
  /// Writes `text` as `<name>.rnn` and returns its path.
  Result<std::string> write(const std::string &name, const std::string &text);

private:
  std::string dir;
};

/// A built-in cell (benchCellSource) at these sizes, written to `files`.
Result<BenchConfig> benchCellConfig(BenchSources &files,
                                    const std::string &cell, int64_t input,
                                    int64_t hidden, int64_t batch,
                                    int64_t steps, bool train);

/// The --standard configurations in their documented order
/// (docs/performance.md); `examples` holds charlm.rnn and custom_cell.rnn.
Result<std::vector<BenchConfig>>
standardBenchConfigs(BenchSources &files, const std::string &examples);

/// Arguments for one call of `model` on a batch of `batch` rows and
/// `steps` time steps: every symbolic dim is B = batch or otherwise a
/// length (T, S, ...) = steps; f32 inputs and targets ~ N(0, 1), token ids
/// uniform over their vocabulary (from the declared size in `declared`, or
/// from the embed / cross_entropy / one_hot that reads them), lengths =
/// steps (no padding), states their initial values, dropout masks sampled,
/// parameters copied from model.params. Fails if a token vocabulary cannot
/// be found.
Result<std::vector<Tensor>>
benchArguments(const LoadedModel &model,
               const std::vector<DeclaredData> &declared, int64_t batch,
               int64_t steps, uint64_t seed);

/// The value of every symbolic dim of fn's arguments in `args`.
std::map<std::string, int64_t> boundSymbols(const ir::Function &fn,
                                            const std::vector<Tensor> &args);

/// Floating-point operations of fn's matrix products in one call:
/// 2*M*N*K per matmul (M*N counting the result's leading dims), with
/// symbolic dims from `syms`, ops in a scan body counted once per step of
/// the scan (its first sequence operand's length). Other ops are not
/// counted. Fails on a dim that `syms` does not bind.
Result<double> matmulFlops(const ir::Function &fn,
                           const std::map<std::string, int64_t> &syms);

/// The vocabulary size of token argument `argIndex` of the model: its
/// declared size (token[V] with V a size parameter), else what the ops that
/// read it imply (embed table rows, cross_entropy logits, one_hot depth,
/// followed into scan bodies); 0 if nothing tells.
int64_t tokenVocab(const LoadedModel &model,
                   const std::vector<DeclaredData> &declared,
                   unsigned argIndex);

/// The folder holding the example models: `flag` when given, else the
/// nearest `examples/` above the running executable that has charlm.rnn
/// and custom_cell.rnn. The error names where it looked.
Result<std::string> findExamplesDir(const std::string &flag);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_BENCHMODELS_H
