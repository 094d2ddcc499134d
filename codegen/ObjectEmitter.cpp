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
  // LLVM only warns on stderr about an unknown CPU or feature and then
  // generates code without it; refuse them instead so a typo is noticed.
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple.str(), "", ""));
  if (sti && !spec.cpu.empty() && spec.cpu != "generic" &&
      !sti->isCPUStringValid(spec.cpu))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "unknown CPU '" + spec.cpu +
                                       "' for target '" + spec.triple + "'");
  if (sti && !spec.features.empty()) {
    llvm::SmallVector<llvm::StringRef, 16> items;
    llvm::StringRef(spec.features).split(items, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef item : items) {
      llvm::StringRef name = item.drop_front(1);
      bool known = false;
      for (const llvm::SubtargetFeatureKV &f : sti->getAllProcessorFeatures())
        known |= name == f.Key;
      // LLVM reads a name without a sign as disabling it: say so.
      if (!item.starts_with("+") && !item.starts_with("-"))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "feature '" + item.str() +
                "' needs a sign: +name enables it, -name disables it");
      if (!known)
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       "unknown feature '" + name.str() +
                                           "' for target '" + spec.triple +
                                           "'");
    }
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
