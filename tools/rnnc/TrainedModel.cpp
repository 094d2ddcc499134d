//===- tools/rnnc/TrainedModel.cpp - A model with its trained weights -----===//
#include "tools/rnnc/TrainedModel.h"

#include "tools/rnnc/Checkpoint.h"

#include <cmath>
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
  info->adopt(opts, weightsPath);
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
  // Generating from weights that hold NaN or Inf prints garbage with no
  // sign why (the softmax of NaN logits picks a fixed character); training
  // stops at the first non-finite loss, so such a file is someone else's
  // or damaged, and saying so is the useful answer.
  for (size_t i = 0; i < t.model.params.size(); ++i) {
    const Tensor &w = t.model.params.tensor(i);
    if (w.dtype() != DType::F32)
      continue;
    const float *d = w.f32Data();
    for (int64_t k = 0; k < w.storedElements(); ++k)
      if (!std::isfinite(d[k])) {
        std::cerr << "rnnc: error: " << weightsPath << ": parameter '"
                  << t.model.params.spec(i).name << "' holds "
                  << (std::isnan(d[k]) ? "NaN" : "Inf") << " (element " << k
                  << "); these weights cannot be used\n";
        return std::nullopt;
      }
  }
  return t;
}

} // namespace rnnc::driver
