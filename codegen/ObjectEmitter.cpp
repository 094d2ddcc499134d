//===- codegen/ObjectEmitter.cpp - Modules to machine code ----------------===//
#include "codegen/ObjectEmitter.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

namespace rnnc::codegen {

llvm::Expected<std::string> emitMachineCode(llvm::Module &module,
                                            llvm::TargetMachine &tm,
                                            llvm::CodeGenFileType type) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  // The code generator still runs on the legacy pass manager in LLVM 19.
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, type))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the target '" + tm.getTargetTriple().str() +
            "' cannot emit this kind of file");
  pm.run(module);
  return std::string(buffer.begin(), buffer.end());
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createObjectTargetMachine(const TargetSpec &spec) {
  initializeAllTargets();
  std::string error;
  llvm::Triple triple(spec.triple);
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple.str(), error);
  if (!target)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown target '" + spec.triple +
                                       "': " + error);
  if (!spec.cpu.empty() && spec.cpu != "generic") {
    // LLVM only warns on stderr about an unknown CPU and then generates
    // baseline code; refuse it instead so a typo is noticed.
    std::unique_ptr<llvm::MCSubtargetInfo> sti(
        target->createMCSubtargetInfo(triple.str(), "", ""));
    if (sti && !sti->isCPUStringValid(spec.cpu))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "unknown CPU '" + spec.cpu +
                                         "' for target '" + spec.triple +
                                         "'");
  }
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple.str(), spec.cpu, spec.features, options, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot create a target machine for '" +
                                       spec.triple + "'");
  return tm;
}

} // namespace rnnc::codegen
