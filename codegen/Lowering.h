//===- codegen/Lowering.h - ir::Function -> LLVM IR ------------*- C++ -*-===//
//
// Lowers one ir::Function to one LLVM function with the rnnc calling
// convention (docs/codegen.md has the full ABI):
//
//   void @<symbol>(ptr %args, ptr %syms, ptr %results, ptr %ctx)
//
//   args    : one data pointer per function argument (row-major, f32 or i32)
//   syms    : one int64 per symbolic dim, in LoweredSignature::symbols order
//   results : one data pointer per returned value, preallocated by the caller
//             with the shapes the result types give under the bound symbols
//   ctx     : the rnnc_context (runtime/ExecContext.h): the arena for
//             intermediate buffers and the first run-time error
//
// Static dims become constants, so every loop is specialized to the feature
// sizes; symbolic dims (B, T, S, ...) are read from `syms` on entry.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_LOWERING_H
#define RNNC_CODEGEN_LOWERING_H

#include "codegen/Target.h"
#include "ir/Function.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace rnnc::codegen {

/// What a caller needs to know to call a lowered function.
struct LoweredSignature {
  /// The LLVM symbol of the function.
  std::string symbol;
  /// Symbolic dims in `syms` order: each first appears in an argument type,
  /// in argument order, so the caller binds them from the argument shapes.
  std::vector<std::string> symbols;
  std::vector<ir::TensorType> argTypes;
  std::vector<ir::TensorType> resultTypes;
};

/// The C type of a lowered function.
using LoweredFnPtr = void (*)(void *const *args, const int64_t *syms,
                              void *const *results, void *ctx);

/// Adds the lowering of `fn` to `module`. Fails (never crashes) on IR it
/// cannot lower, e.g. a symbolic dim no argument binds. `fuse` false turns
/// elementwise fusion off (FusionPlan.h): one loop and buffer per op.
llvm::Expected<LoweredSignature> lowerFunction(const ir::Function &fn,
                                               llvm::Module &module,
                                               const TargetSpec &target,
                                               bool fuse = true);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_LOWERING_H
