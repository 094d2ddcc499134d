//===- tools/rnnc/TrainTask.h - What rnnc train trains on -------*- C++ -*-===//
//
// `rnnc train` is one loop (gradient, clipping, optimizer, schedule,
// validation, checkpoints, resume; TrainCommand.cpp) over a TrainTask: the
// part that knows the data. A task
//   1. reads the data and binds the sizes it determines (a vocabulary, a
//      number of classes) before the model is lowered,
//   2. checks the lowered model's calling convention fits the data,
//   3. fills the data slots of the argument vector batch by batch, saying
//      whether the carried state continues (truncated BPTT over a text) or
//      starts afresh (independent sequences),
//   4. evaluates the forward function on its held-out part,
//   5. saves what a later `rnnc sample/eval/run` needs (vocabulary, labels,
//      normalization) in the checkpoint's metadata, and checks it on resume.
// makeTrainTask picks the task from the model's convention and the data.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_TRAINTASK_H
#define RNNC_TOOLS_RNNC_TRAINTASK_H

#include "codegen/CompiledFunction.h"
#include "frontend/ModelInfo.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"
#include "tools/rnnc/Command.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/ModelArgs.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rnnc::driver {

/// How a task's batches are shaped, from the train block and flags.
struct BatchShape {
  int64_t batch = 32;
  /// Window length for streams (truncated BPTT); sequence tasks ignore it.
  int64_t bptt = 64;
  double valFraction = 0.1;
  uint64_t seed = 1;
};

struct EvalResult {
  /// Mean loss per unit (token, step or example), as the model computes it.
  double loss = 0;
  /// Fraction of argmax predictions equal to the target (classification
  /// and language models); NaN where it means nothing (regression).
  double accuracy = 0;
  int64_t units = 0;
};

/// The class a row of `n` logits (or scores) predicts: the index of the
/// largest, the first of equals. Every accuracy the tasks report uses it.
inline int64_t argmaxRow(const float *row, int64_t n) {
  return std::max_element(row, row + n) - row;
}

/// Sets the state slots of `args` to the model's initial states for a
/// batch of `rows`: every batch of independent sequences starts so.
inline void bindInitialStates(const ModelArgs &layout,
                              std::vector<Tensor> &args, int64_t rows) {
  std::vector<Tensor> states = layout.initialStates(rows);
  for (size_t s = 0; s < states.size(); ++s)
    args[layout.states()[s]] = std::move(states[s]);
}

/// The outputs of one held-out batch and the loss among them.
struct HeldoutRun {
  std::vector<Tensor> out;
  double loss = 0;
};

/// Runs `forward` on one held-out batch and reads its loss. A loss that is
/// not finite fails, naming the batch ("<what> <index>"), so that no
/// evaluation averages a NaN into its mean.
inline Result<HeldoutRun>
runHeldoutBatch(const codegen::CompiledFunction &forward,
                const ModelArgs &layout, const std::vector<Tensor> &args,
                const char *what, int64_t index) {
  auto out = forward.run(args);
  if (!out)
    return makeError(out.error());
  HeldoutRun r;
  r.loss = (*out)[layout.lossResult()].f32Data()[0];
  if (!std::isfinite(r.loss))
    return makeError("the loss is " + std::to_string(r.loss) + " on " + what +
                     " " + std::to_string(index));
  r.out = out.take();
  return r;
}

struct TaskBatch {
  /// Rows in this batch (the last batch of an epoch may be smaller).
  int64_t rows = 0;
  /// Tokens, steps or examples the loss averages over, for throughput.
  int64_t units = 0;
  /// True when the carried state must start from the initial state (a new
  /// epoch of a stream, or every batch of independent sequences).
  bool resetState = true;
};

class TrainTask {
public:
  virtual ~TrainTask();

  /// What one unit of loss is ("char", "step", "example").
  virtual std::string unit() const = 0;
  /// How the loss reads in messages: "nats/char" for cross-entropy (the
  /// default, "nats/" + unit()), e.g. "normalized mse" for a regression.
  virtual std::string lossLabel() const { return "nats/" + unit(); }
  /// Whether the loss is a cross-entropy in nats (then bits are shown).
  virtual bool lossInNats() const { return true; }
  /// A one-line description of the data for the log.
  virtual std::string describe() const = 0;

  /// Binds the sizes the data determines into `sizes` (keeping ones the
  /// user set, if they hold the data). Called before lowering.
  virtual Status bindSizes(const std::string &modelFile,
                           std::map<std::string, int64_t> &sizes) = 0;
  /// Checks the model's convention fits the data and prepares batching.
  virtual Status attach(const frontend::ModelInfo &info,
                        const ModelArgs &layout, const BatchShape &shape) = 0;

  /// Fills the data slots (inputs, targets, lengths) of `args` with the
  /// next training batch.
  virtual TaskBatch next(std::vector<Tensor> &args) = 0;
  /// Batches returned so far (over all epochs); seek() restores it.
  virtual int64_t position() const = 0;
  virtual void seek(int64_t position) = 0;
  virtual int64_t epoch() const = 0;
  virtual int64_t batchesPerEpoch() const = 0;
  /// The positions (rows times steps) every training batch holds, where
  /// that is fixed (a text stream's batch * bptt); 0 where batches vary.
  /// Sizes the training passes (passes::trainingForward).
  virtual int64_t positionsPerBatch() const { return 0; }

  /// Loss (and accuracy) of `forward` on the held-out part; at most
  /// `maxBatches` batches (0: all). `args` has the parameters bound.
  /// Nothing to evaluate on gives units == 0.
  virtual Result<EvalResult> evaluate(const codegen::CompiledFunction &forward,
                                      const ModelArgs &layout,
                                      std::vector<Tensor> args,
                                      int64_t maxBatches) = 0;

  /// `rnnc eval`: the held-out metrics as text for the user (this default
  /// prints evaluate()'s loss and accuracy). A task may write pictures
  /// (e.g. a confusion matrix) to files named `artifactPrefix` + suffix
  /// and mention them in the text.
  virtual Result<std::string> report(const codegen::CompiledFunction &forward,
                                     const ModelArgs &layout,
                                     std::vector<Tensor> args,
                                     const std::string &artifactPrefix);

  /// Metadata the checkpoint keeps for later commands (vocabulary, ...).
  virtual std::map<std::string, std::string> metadata() const = 0;
  /// On resume and in `rnnc eval`: the checkpoint's metadata must describe
  /// the same data (a task may also adopt what it recorded, e.g. the
  /// normalization fitted in training).
  virtual Status checkResume(const std::map<std::string, std::string> &meta) = 0;
};

/// task.bindSizes on `opts.sizes`, noting each size it adds as bound from
/// the data at `dataPath` (for the frontend's messages about it).
Status bindDataSizes(TrainTask &task, ModelOptions &opts,
                     const std::string &dataPath);

/// Picks and constructs the task for the model in `opts.file` (from its
/// declared inputs and targets) and the data at `dataPath`; fails naming
/// the file or the mismatch. TrainTask.cpp lists the kinds.
Result<std::unique_ptr<TrainTask>> makeTrainTask(const std::string &dataPath,
                                                 const ModelOptions &opts,
                                                 double valFraction);

/// The task kinds (one file each). `decls` are the model's declared inputs
/// and targets.
Result<std::unique_ptr<TrainTask>>
makeTextLmTask(const std::string &dataPath,
               const std::vector<DeclaredData> &decls, double valFraction);
/// Sequence -> class: a directory of one file per class, a
/// sentence<TAB>label file, or frame sequences (ClassifyTask.cpp).
Result<std::unique_ptr<TrainTask>>
makeClassifyTask(const std::string &dataPath,
                 const std::vector<DeclaredData> &decls, double valFraction);
/// f32 sequence -> f32 sequence from a CSV time series (ForecastTask.cpp).
Result<std::unique_ptr<TrainTask>>
makeForecastTask(const std::string &dataPath,
                 const std::vector<DeclaredData> &decls, double valFraction);
/// Source sequence -> target sequence from sentence pairs
/// (Seq2SeqTask.cpp).
Result<std::unique_ptr<TrainTask>>
makeSeq2SeqTask(const std::string &dataPath,
                const std::vector<DeclaredData> &decls, double valFraction);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_TRAINTASK_H
