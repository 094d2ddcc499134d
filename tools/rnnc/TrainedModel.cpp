//===- tools/rnnc/TrainedModel.cpp - A model with its trained weights -----===//
#include "tools/rnnc/TrainedModel.h"

#include "runtime/Safetensors.h"
#include "tools/rnnc/Checkpoint.h"

#include <iostream>

namespace rnnc::driver {

std::optional<TrainedModel> loadTrained(ModelOptions opts,
                                        const std::string &weightsPath) {
  auto file = readSafetensors(weightsPath);
  if (!file) {
    std::cerr << "rnnc: error: " << file.error() << "\n";
    return std::nullopt;
  }
  TrainedModel t;
  auto meta = [&](const char *key) -> std::string {
    auto it = file->metadata.find(key);
    return it == file->metadata.end() ? "" : it->second;
  };
  if (!meta(kMetaSizes).empty()) {
    auto sizes = parseSizes(meta(kMetaSizes));
    if (!sizes) {
      std::cerr << "rnnc: error: " << weightsPath << ": " << sizes.error()
                << "\n";
      return std::nullopt;
    }
    for (const auto &[k, v] : *sizes)
      opts.sizes.emplace(k, v);
  }
  if (!meta(kMetaVocab).empty()) {
    auto vocab = CharVocab::parse(meta(kMetaVocab));
    if (!vocab) {
      std::cerr << "rnnc: error: " << weightsPath
                << ": the vocabulary in its metadata is malformed: "
                << vocab.error() << "\n";
      return std::nullopt;
    }
    t.vocab = std::move(*vocab);
  }
  auto model = loadModel(opts, meta(kMetaModel));
  if (!model)
    return std::nullopt;
  t.model = std::move(*model);
  if (!fillParameters(t.model, weightsPath, 0))
    return std::nullopt;
  return t;
}

} // namespace rnnc::driver
