//===- codegen/Target.cpp - The machine code is generated for -------------===//
#include "codegen/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Function.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

namespace rnnc::codegen {

TargetSpec hostTarget() {
  TargetSpec spec;
  spec.triple = llvm::sys::getProcessTriple();
  spec.cpu = llvm::sys::getHostCPUName().str();
  std::string features;
  for (const auto &f : llvm::sys::getHostCPUFeatures()) {
    if (!features.empty())
      features += ',';
    features += (f.second ? "+" : "-") + f.first().str();
  }
  spec.features = features;
  return spec;
}

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

void initializeAllTargets() {
  initializeNativeTarget();
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
  });
}

bool isCrossTarget(const std::string &triple) {
  return llvm::Triple(triple).getArch() !=
         llvm::Triple(llvm::sys::getProcessTriple()).getArch();
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetSpec &spec) {
  if (isCrossTarget(spec.triple))
    initializeAllTargets();
  else
    initializeNativeTarget();
  llvm::orc::JITTargetMachineBuilder builder{llvm::Triple(spec.triple)};
  builder.setCPU(spec.cpu);
  llvm::SubtargetFeatures features(spec.features);
  builder.addFeatures(features.getFeatures());
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return builder.createTargetMachine();
}

void applyTargetAttributes(llvm::Function &fn, const TargetSpec &spec) {
  fn.addFnAttr("target-cpu", spec.cpu);
  fn.addFnAttr("target-features", spec.features);
}

} // namespace rnnc::codegen
