//===- tools/rnnc/TrainedModel.cpp - A model with its trained weights -----===//
#include "tools/rnnc/TrainedModel.h"

#include "tools/rnnc/Checkpoint.h"

#include <iostream>

namespace rnnc::driver {

std::optional<TrainedModel> loadTrained(ModelOptions opts,
                                        const std::string &weightsPath) {
  auto info = readCheckpointInfo(weightsPath);
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
  if (!fillParameters(t.model, weightsPath, 0))
    return std::nullopt;
  return t;
}

} // namespace rnnc::driver
