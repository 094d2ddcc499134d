//===- codegen/Target.h - The machine code is generated for ---*- C++ -*-===//
//
// Which CPU generated code targets: by default the host, with its exact CPU
// name and feature list (on this machine znver3 with AVX2 and FMA), so the loop
// vectorizer picks 256-bit vectors. Both the TargetMachine and every generated
// function carry the CPU and features: the vectorizer reads the function
// attributes, the backend reads the TargetMachine, and leaving out either gives
// SSE2-width code.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_TARGET_H
#define RNNC_CODEGEN_TARGET_H

#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace llvm {
class Function;
}

namespace rnnc::codegen {

struct TargetSpec {
  std::string triple;
  std::string cpu;
  /// LLVM's feature string, e.g. "+avx2,+fma,-avx512f".
  std::string features;
};

/// The host's triple, CPU name and features.
TargetSpec hostTarget();

/// Initializes LLVM's native target, asm printer and parser once per process.
void initializeNativeTarget();

/// Initializes every target LLVM was built with (for cross-compiling an
/// object or printing another target's assembly) once per process.
void initializeAllTargets();

/// True when `triple` names another architecture than the host's.
bool isCrossTarget(const std::string &triple);

/// A TargetMachine for `spec` at the aggressive (O3) codegen level.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetSpec &spec);

/// Sets `target-cpu` and `target-features` on `fn`.
void applyTargetAttributes(llvm::Function &fn, const TargetSpec &spec);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_TARGET_H
