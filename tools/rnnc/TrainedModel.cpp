//===- tools/rnnc/TrainedModel.cpp - A model with its trained weights -----===//
#include "tools/rnnc/TrainedModel.h"

#include "tools/rnnc/Checkpoint.h"

#include <iostream>

namespace rnnc::driver {

std::optional<TrainedModel> loadTrained(ModelOptions opts,
                                        const std::string &weightsPath) {
  // One read of the file: metadata for the sizes, tensors for the weights.
  auto ck = readCheckpoint(weightsPath);
  if (!ck) {
    std::cerr << "rnnc: error: " << ck.error() << "\n";
    return std::nullopt;
  }
  auto info = checkpointInfo(ck->metadata, weightsPath);
  if (!info) {
    std::cerr << "rnnc: error: " << info.error() << "\n";
    return std::nullopt;
  }
  info->adoptSizes(opts.sizes);
  TrainedModel t;
  t.vocab = info->vocab;
  auto model = loadModel(opts, info->model);
  if (!model)
    return std::nullopt;
  t.model = std::move(*model);
  auto report = loadTensorsInto(t.model.params, ck->params, weightsPath);
  if (!report) {
    std::cerr << "rnnc: error: " << report.error() << "\n";
    return std::nullopt;
  }
  return t;
}

} // namespace rnnc::driver
