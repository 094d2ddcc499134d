//===- tools/rnnc/TrainedModel.h - A model with its trained weights -*- C++ -*-===//
//
// `rnnc sample` and `rnnc eval` start from a checkpoint `rnnc train` wrote:
// its metadata holds the sizes the model was compiled with and the
// character vocabulary, so the user need not repeat them. --set still wins
// (and a conflicting size then fails as a shape mismatch naming the tensor).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_TRAINEDMODEL_H
#define RNNC_TOOLS_RNNC_TRAINEDMODEL_H

#include "runtime/TextCorpus.h"
#include "tools/rnnc/LoadedModel.h"

#include <optional>

namespace rnnc::driver {

struct TrainedModel {
  LoadedModel model;
  /// Present when the checkpoint records one.
  std::optional<CharVocab> vocab;
};

/// Loads `opts.file` with the sizes recorded in `weightsPath` (under
/// opts.sizes) and the weights. Prints errors; nothing on failure.
std::optional<TrainedModel> loadTrained(ModelOptions opts,
                                        const std::string &weightsPath);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_TRAINEDMODEL_H
