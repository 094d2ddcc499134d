//===- tools/rnnc/Checkpoint.cpp - Training checkpoints -------------------===//
#include "tools/rnnc/Checkpoint.h"

#include <charconv>

namespace rnnc::driver {

static const std::string kOptimizerPrefix = "optimizer/";
static const std::string kStatePrefix = "state/";

std::string Checkpoint::meta(const std::string &key) const {
  auto it = metadata.find(key);
  return it == metadata.end() ? "" : it->second;
}

Status writeCheckpoint(const std::string &path, const ParameterStore &params,
                       const TensorMap &optimizer, const TensorMap &states,
                       const std::map<std::string, std::string> &metadata) {
  TensorMap all = params.toMap();
  for (const auto &[name, t] : optimizer)
    all[kOptimizerPrefix + name] = t;
  for (const auto &[name, t] : states)
    all[kStatePrefix + name] = t;
  std::map<std::string, std::string> meta = metadata;
  meta[kMetaFormat] = kMetaFormatValue;
  return writeSafetensors(path, all, meta);
}

Result<Checkpoint> readCheckpoint(const std::string &path) {
  auto file = readSafetensors(path);
  if (!file)
    return makeError(file.error());
  Checkpoint ck;
  ck.metadata = std::move(file->metadata);
  for (auto &[name, t] : file->tensors) {
    if (name.rfind(kOptimizerPrefix, 0) == 0)
      ck.optimizer.emplace(name.substr(kOptimizerPrefix.size()), std::move(t));
    else if (name.rfind(kStatePrefix, 0) == 0)
      ck.states.emplace(name.substr(kStatePrefix.size()), std::move(t));
    else
      ck.params.emplace(name, std::move(t));
  }
  return ck;
}

Result<CheckpointInfo> readCheckpointInfo(const std::string &path) {
  auto file = readSafetensors(path);
  if (!file)
    return makeError(file.error());
  return checkpointInfo(file->metadata, path);
}

Result<CheckpointInfo>
checkpointInfo(const std::map<std::string, std::string> &metadata,
               const std::string &path) {
  CheckpointInfo info;
  auto meta = [&](const char *key) {
    auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  };
  info.model = meta(kMetaModel);
  if (!meta(kMetaSizes).empty()) {
    auto sizes = parseSizes(meta(kMetaSizes));
    if (!sizes)
      return makeError(path + ": " + sizes.error());
    info.sizes = std::move(*sizes);
  }
  if (!meta(kMetaVocab).empty()) {
    auto vocab = CharVocab::parse(meta(kMetaVocab));
    if (!vocab)
      return makeError(path + ": malformed vocabulary in its metadata: " +
                       vocab.error());
    info.vocab = std::move(*vocab);
  }
  return info;
}

void adoptCheckpointSizes(ModelOptions &opts,
                          const std::map<std::string, int64_t> &sizes,
                          const std::string &path) {
  for (const auto &[k, v] : sizes)
    if (opts.sizes.emplace(k, v).second)
      opts.sizeOrigins[k] = "recorded in " + path;
}

void CheckpointInfo::adopt(ModelOptions &opts, const std::string &path) const {
  adoptCheckpointSizes(opts, sizes, path);
  if (!model.empty())
    opts.modelNamedBy = path;
}

Status adoptCheckpoint(ModelOptions &opts,
                       const std::map<std::string, std::string> &metadata,
                       const std::string &path) {
  auto get = [&](const char *key) {
    auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  };
  // The vocabulary is not parsed: its format is the task's (checkResume).
  auto sizes = parseSizes(get(kMetaSizes));
  if (!sizes)
    return makeError(path + ": " + sizes.error());
  CheckpointInfo info{get(kMetaModel), std::move(*sizes), std::nullopt};
  info.adopt(opts, path);
  return Status::ok();
}

Result<int64_t> parseMetaCount(const std::string &path, const std::string &key,
                               const std::string &value) {
  int64_t v = 0;
  const char *end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end || v < 0)
    return makeError(path + ": malformed " + key + " '" + value +
                     "' in its metadata (expected a whole number >= 0)");
  return v;
}

std::string formatSizes(const std::map<std::string, int64_t> &sizes) {
  std::string s;
  for (const auto &[name, value] : sizes) {
    if (!s.empty())
      s += ",";
    s += name + "=" + std::to_string(value);
  }
  return s;
}

Result<std::map<std::string, int64_t>> parseSizes(const std::string &text) {
  std::map<std::string, int64_t> sizes;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(pos, comma == std::string::npos
                                            ? std::string::npos
                                            : comma - pos);
    size_t eq = item.find('=');
    int64_t v = 0;
    auto [p, ec] =
        eq == std::string::npos
            ? std::from_chars_result{nullptr, std::errc::invalid_argument}
            : std::from_chars(item.data() + eq + 1, item.data() + item.size(),
                              v);
    if (eq == 0 || ec != std::errc() || p != item.data() + item.size())
      return makeError(
          "malformed sizes '" + text + "' (expected NAME=N,...)");
    sizes[item.substr(0, eq)] = v;
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return sizes;
}

} // namespace rnnc::driver
