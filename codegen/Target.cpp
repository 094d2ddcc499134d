//===- codegen/Target.cpp - The machine code is generated for -------------===//
#include "codegen/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/Function.h"
#include "llvm/Support/CommandLine.h"
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

namespace {

/// Turns off the backend's loop strength reduction, for every module this
/// process generates code for. It was a quarter of the backend's time on
/// the char-LM gradient (llc -time-passes: 155 of 653 ms, with IV Users
/// another 23; 741 -> 394 ms wall with -disable-lsr) and made no
/// measurable difference to the generated loops, whose addresses are base
/// + index * 4 that x86 addressing takes as is: rnnc-bench-lstm
/// --gates-only at B = 64 and the char-LM gradient ran within the run-to-
/// run spread either way. LLVM has no per-module switch for it, only this
/// option; a process that also uses LLVM for other code gets it too.
void disableLoopStrengthReduction() {
  llvm::StringMap<llvm::cl::Option *> &options =
      llvm::cl::getRegisteredOptions();
  auto it = options.find("disable-lsr");
  if (it != options.end())
    static_cast<llvm::cl::opt<bool> *>(it->second)->setValue(true);
}

} // namespace

void initializeNativeTarget() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
    disableLoopStrengthReduction();
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
