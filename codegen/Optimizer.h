//===- codegen/Optimizer.h - Verify and optimize LLVM modules --*- C++ -*-===//
//
// The LLVM side of compilation between lowering and the JIT: verify the
// module (a lowering bug becomes an error message, never a miscompile), then
// run the new pass manager's default O3 pipeline built with the TargetMachine,
// so the loop and SLP vectorizers see the target's real vector width.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_OPTIMIZER_H
#define RNNC_CODEGEN_OPTIMIZER_H

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

namespace rnnc::codegen {

/// Checks `module` with llvm::verifyModule; the error lists what is wrong.
llvm::Error verifyModule(const llvm::Module &module);

/// Verifies `module`, then optimizes it in place at `optLevel` (0..3); level
/// 0 only verifies.
llvm::Error optimizeModule(llvm::Module &module, llvm::TargetMachine &tm,
                           unsigned optLevel = 3);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_OPTIMIZER_H
