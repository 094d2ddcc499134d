//===- codegen/ObjectEmitter.h - Modules to machine code -------*- C++ -*-===//
//
// The step after optimization when the JIT's own compiler is not used: an
// optimized llvm::Module becomes a relocatable object or assembly text in
// memory. compile() uses it so the object can go to the on-disk cache before
// the JIT links it (the same TargetMachine the JIT would use, so the code is
// the same); `rnnc compile` and `rnnc ir --emit=asm` use it with a
// TargetMachine for any registered target, position-independent so the
// object links into PIE executables and shared libraries.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_OBJECTEMITTER_H
#define RNNC_CODEGEN_OBJECTEMITTER_H

#include "codegen/Target.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace rnnc::codegen {

/// Runs `tm`'s code generator over `module` (already optimized, with tm's
/// data layout) and returns the object file or assembly text.
llvm::Expected<std::string> emitMachineCode(llvm::Module &module,
                                            llvm::TargetMachine &tm,
                                            llvm::CodeGenFileType type);

/// A TargetMachine for ahead-of-time code: PIC, aggressive codegen, any
/// target LLVM was built with (AArch64 included in Debian's libLLVM 19).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createObjectTargetMachine(const TargetSpec &spec);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_OBJECTEMITTER_H
