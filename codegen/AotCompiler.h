//===- codegen/AotCompiler.h - Objects with a C API for a model -*- C++ -*-===//
//
// `rnnc compile`: one model becomes a relocatable object and a C header. The
// object holds
//   - the model function, lowered and optimized exactly as for the JIT (with
//     internal linkage, so several models link into one program);
//   - a JSON descriptor of its calling convention (runtime/AotRuntime.h);
//   - the weights as 64-byte aligned constant arrays (unless weights come
//     from a safetensors file at run time);
//   - exported functions named after the model: <p>_create, _destroy,
//     _error, _run, _step, _reset, each a few instructions forwarding to the
//     runtime library's rnnc_aot_* with the model's descriptor.
// The typed signatures of _run and _step (one size argument per symbolic
// dim, one pointer per input and output) are generated from the model, so a
// C caller gets type checking and the header documents every shape.
// docs/aot.md is the user's reference.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_AOTCOMPILER_H
#define RNNC_CODEGEN_AOTCOMPILER_H

#include "codegen/CompiledFunction.h"
#include "ir/Function.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace rnnc::codegen {

/// One argument or result, as frontend::ModelInfo describes it (the roles
/// are the same strings: input, lengths, target, state, param; loss,
/// output, final_state).
struct AotSlot {
  std::string name;
  std::string role;
  ir::TensorType type;
  /// States: the initial value.
  double init = 0;
};

struct AotOptions {
  /// The C identifier prefix of the API (the model's name).
  std::string prefix;
  std::vector<AotSlot> args, results;
  /// One tensor per "param" argument, in argument order; empty: the weights
  /// are loaded from a safetensors file at run time.
  std::vector<const Tensor *> weights;
  /// The model's sizes (V, H, ...), written to the header as macros.
  std::map<std::string, int64_t> sizes;
  /// Where the model came from, for the header's banner.
  std::string source;
  /// Target and optimization level (cacheDir and keepLLVMIR are ignored).
  CompileOptions compile;
};

struct AotArtifacts {
  std::string object;
  std::string header;
  /// Whether <p>_step works, and if not why.
  bool streamable = false;
  std::string streamError;
  /// Bytes of embedded weights.
  size_t weightBytes = 0;
};

/// Compiles `fn` (a model's function; `options` describes its convention)
/// to an object and header. Invalid IR or a convention that does not match
/// the function is an error.
Result<AotArtifacts> compileAot(const ir::Function &fn,
                                const AotOptions &options);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_AOTCOMPILER_H
