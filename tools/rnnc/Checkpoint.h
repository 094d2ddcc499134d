//===- tools/rnnc/Checkpoint.h - Training checkpoints -----------*- C++ -*-===//
//
// A checkpoint is one .safetensors file, so the weights load anywhere that
// reads safetensors: the parameters under their model names (`h1.Wi`), the
// optimizer's state under "optimizer/", the state carried across truncated
// BPTT windows under "state/", and in the metadata everything else a resumed
// run needs to continue exactly where it stopped (step, data position, the
// sizes the model was compiled with, the character vocabulary, the seed).
// Writing goes through a temporary file and a rename (runtime/Safetensors.h),
// so an interrupted write never replaces a good checkpoint with half a file.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_CHECKPOINT_H
#define RNNC_TOOLS_RNNC_CHECKPOINT_H

#include "runtime/ParameterStore.h"
#include "runtime/Result.h"
#include "runtime/Safetensors.h"
#include "runtime/TextCorpus.h"
#include "tools/rnnc/Command.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace rnnc::driver {

/// Metadata keys.
inline constexpr const char *kMetaFormat = "rnnc.format";
inline constexpr const char *kMetaModel = "rnnc.model";
inline constexpr const char *kMetaSizes = "rnnc.sizes";
inline constexpr const char *kMetaVocab = "rnnc.vocab";
inline constexpr const char *kMetaStep = "rnnc.step";
inline constexpr const char *kMetaDataPos = "rnnc.data_position";
inline constexpr const char *kMetaSeed = "rnnc.seed";
inline constexpr const char *kMetaOptimizer = "rnnc.optimizer";
inline constexpr const char *kMetaFormatValue = "rnnc-checkpoint-1";

struct Checkpoint {
  TensorMap params;
  /// Without the "optimizer/" and "state/" prefixes.
  TensorMap optimizer;
  TensorMap states;
  std::map<std::string, std::string> metadata;

  /// A metadata value, or "" when absent.
  std::string meta(const std::string &key) const;
};

/// Writes params, optimizer state, carried state and metadata atomically.
Status writeCheckpoint(const std::string &path, const ParameterStore &params,
                       const TensorMap &optimizer, const TensorMap &states,
                       const std::map<std::string, std::string> &metadata);

/// Reads a checkpoint (any safetensors file: one without rnnc metadata has
/// only params).
Result<Checkpoint> readCheckpoint(const std::string &path);

/// What a checkpoint's metadata says about rebuilding its model: the model
/// name, the sizes it was compiled with, and for text models the character
/// vocabulary (all empty for a plain safetensors file).
struct CheckpointInfo {
  std::string model;
  std::map<std::string, int64_t> sizes;
  std::optional<CharVocab> vocab;

  /// Adds the recorded sizes to `opts.sizes` where the user set none
  /// (noting that they came from the checkpoint at `path`), and has
  /// `opts` name `path` as the source of the model name.
  void adopt(ModelOptions &opts, const std::string &path) const;
};

/// Reads the metadata of the checkpoint at `path`; a malformed entry is an
/// error naming the file.
Result<CheckpointInfo> readCheckpointInfo(const std::string &path);
/// The same from metadata already read (`path` names it in errors).
Result<CheckpointInfo>
checkpointInfo(const std::map<std::string, std::string> &metadata,
               const std::string &path);

/// Adds `sizes` (a checkpoint's, at `path`) to `opts.sizes` where the user
/// set none, recording where they came from.
void adoptCheckpointSizes(ModelOptions &opts,
                          const std::map<std::string, int64_t> &sizes,
                          const std::string &path);
/// The same from the checkpoint's `metadata` (rnnc.sizes, an error naming
/// `path` when malformed), and when it names its model, has `opts` say so
/// (LoadedModel's "has no model named" then blames the checkpoint).
Status adoptCheckpoint(ModelOptions &opts,
                       const std::map<std::string, std::string> &metadata,
                       const std::string &path);

/// A whole number >= 0 stored under `key` in the metadata of the checkpoint
/// at `path`; anything else is an error naming the file and the key.
Result<int64_t> parseMetaCount(const std::string &path, const std::string &key,
                               const std::string &value);

/// "E=64,H=256,V=65" and back; a malformed string is an error naming it.
std::string formatSizes(const std::map<std::string, int64_t> &sizes);
Result<std::map<std::string, int64_t>> parseSizes(const std::string &text);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_CHECKPOINT_H
