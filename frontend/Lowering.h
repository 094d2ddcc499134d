//===- frontend/Lowering.h - From the syntax tree to IR --------*- C++ -*-===//
//
// Lowers every model of a checked Program to one IR function (named after the
// model) and describes its calling convention in a ModelInfo (ModelInfo.h).
// Each application of a cell to a sequence becomes one `scan` whose body is the
// cell's step, instantiated with the sizes bound at that application; this is
// where shapes and sizes are checked, with notes saying where a size was bound.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_LOWERING_H
#define RNNC_FRONTEND_LOWERING_H

#include "frontend/AST.h"
#include "frontend/ModelInfo.h"
#include "ir/Diagnostics.h"
#include "ir/Function.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rnnc::frontend {

/// The largest size (feature dim) a model may use: 2^24. Two such dims still
/// multiply without overflow, and anything larger is a typo, not a model.
constexpr int64_t kMaxSize = int64_t(1) << 24;
/// The most f32 elements of one parameter, and of all of a model's
/// parameters together (2^31: 8 GiB).
constexpr double kMaxParamElems = double(int64_t(1) << 31);

struct LowerOptions {
  /// Size bindings from the command line (`--set V=65`); they override
  /// defaults in the model header.
  std::map<std::string, int64_t> sizes;
  /// Where a binding in `sizes` came from when not from `--set` ("recorded
  /// in ck.safetensors", "bound from the data in corpus.txt"): messages
  /// about the size say so instead of blaming the command line.
  std::map<std::string, std::string> sizeOrigins;
  /// `rnnc check`: a size with no value (one the data binds) gets a
  /// stand-in (97, 89, 83, ...: distinct primes, unlikely to equal another
  /// size by chance) and a note, so the rest of the model is still checked.
  bool standInSizes = false;
  /// Lower for training: each dropout site becomes `x * mask` with the mask a
  /// function argument (role "dropout_mask", ModelInfo.h). Off, dropout is
  /// the identity and adds no argument, so inference never sees masks.
  bool training = false;
};

struct LoweredProgram {
  std::unique_ptr<ir::Module> module;
  /// One per model, in source order, matching the module's functions.
  std::vector<ModelInfo> models;
};

/// Lowers `program` (already through checkProgram). Returns nothing if any
/// error was reported.
std::optional<LoweredProgram> lowerProgram(const Program &program,
                                           const LowerOptions &options,
                                           ir::Diagnostics &diags);

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_LOWERING_H
