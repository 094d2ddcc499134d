//===- runtime/Safetensors.h - Reading and writing .safetensors -*- C++ -*-===//
//
// The weights format: a checkpoint is one .safetensors file, the format the
// Hugging Face ecosystem and recent PyTorch use, so weights trained elsewhere
// load without a converter and ours load elsewhere.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON
//   {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3],
//    "data_offsets": [begin, end]}, ...}
// then the data buffer; offsets are relative to the buffer's start.
//
// Reading accepts F32 and I32 directly, F64, F16 and BF16 (to f32; F64 values
// beyond f32's range are an error) and I64 (to i32, range checked). It is as
// strict as the reference implementation: the header must fit in the file,
// be a JSON object of well-formed entries without duplicate names, and the
// tensors' byte ranges must tile the buffer exactly (no gaps, no overlap, no
// trailing bytes), each as long as its shape and dtype require. Every error
// names the file and, where there is one, the tensor.
//
// Writing is deterministic: "__metadata__" first, then tensors sorted by
// name, data in the same order, the header padded with spaces to a multiple
// of 8 bytes as the reference implementation does. writeSafetensors writes a
// temporary file in the destination's directory and renames it into place,
// so a crash never leaves a truncated checkpoint under the real name.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_SAFETENSORS_H
#define RNNC_RUNTIME_SAFETENSORS_H

#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <map>
#include <string>
#include <string_view>

namespace rnnc {

/// Named tensors, sorted by name (the order they are written in).
using TensorMap = std::map<std::string, Tensor>;

/// The contents of a .safetensors file.
struct SafetensorsFile {
  TensorMap tensors;
  /// The optional "__metadata__" string map.
  std::map<std::string, std::string> metadata;
};

/// Decodes the bytes of a .safetensors file; `name` identifies it in errors.
Result<SafetensorsFile> parseSafetensors(std::string_view bytes,
                                         const std::string &name = "<memory>");

/// Encodes tensors and metadata as the bytes of a .safetensors file. Fails on
/// a name the format cannot hold (empty, "__metadata__", not valid UTF-8).
Result<std::string>
serializeSafetensors(const TensorMap &tensors,
                     const std::map<std::string, std::string> &metadata = {});

/// Reads the .safetensors file at `path`.
Result<SafetensorsFile> readSafetensors(const std::string &path);

/// Writes a .safetensors file at `path` atomically (temporary file + rename),
/// replacing any existing file.
Status
writeSafetensors(const std::string &path, const TensorMap &tensors,
                 const std::map<std::string, std::string> &metadata = {});

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, flushed to disk, then renamed over `path`. Shared by every
/// checkpoint writer.
Status writeFileAtomically(const std::string &path, std::string_view bytes);

} // namespace rnnc

#endif // RNNC_RUNTIME_SAFETENSORS_H
