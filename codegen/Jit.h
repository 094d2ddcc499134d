//===- codegen/Jit.h - An ORC LLJIT for compiled rnnc functions -*- C++ -*-===//
//
// A thin wrapper over llvm::orc::LLJIT: built for a TargetSpec (the host by
// default) with the runtime functions of RuntimeSymbols.h defined as absolute
// symbols, it takes optimized modules and hands back function addresses. One
// Jit owns the code of the modules added to it; addresses stay valid while it
// lives.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_JIT_H
#define RNNC_CODEGEN_JIT_H

#include "codegen/Target.h"

#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/IR/Module.h"

#include <memory>

namespace rnnc::codegen {

class Jit {
public:
  static llvm::Expected<std::unique_ptr<Jit>> create(const TargetSpec &spec);

  const TargetSpec &target() const { return spec; }
  /// The TargetMachine to optimize modules for (same CPU and features as the
  /// JIT's code generator).
  llvm::TargetMachine &targetMachine() { return *tm; }
  /// The data layout modules must carry.
  const llvm::DataLayout &dataLayout() const { return jit->getDataLayout(); }

  /// Compiles and links `module` (already optimized).
  llvm::Error addModule(std::unique_ptr<llvm::Module> module,
                        std::unique_ptr<llvm::LLVMContext> context);
  /// Links a relocatable object (from emitMachineCode or the object cache)
  /// produced for this Jit's target; a malformed object is an error.
  llvm::Error addObject(llvm::StringRef bytes, llvm::StringRef name);
  /// The address of a defined function.
  llvm::Expected<void *> lookup(llvm::StringRef name);

private:
  Jit() = default;
  TargetSpec spec;
  std::unique_ptr<llvm::TargetMachine> tm;
  std::unique_ptr<llvm::orc::LLJIT> jit;
};

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_JIT_H
