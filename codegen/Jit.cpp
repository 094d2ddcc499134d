//===- codegen/Jit.cpp - An ORC LLJIT for compiled rnnc functions ---------===//
#include "codegen/Jit.h"

#include "codegen/RuntimeSymbols.h"

#include "llvm/ExecutionEngine/Orc/Core.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/TargetParser/SubtargetFeature.h"

namespace rnnc::codegen {

llvm::Expected<std::unique_ptr<Jit>> Jit::create(const TargetSpec &spec) {
  initializeNativeTarget();
  std::unique_ptr<Jit> self(new Jit());
  self->spec = spec;
  auto tm = createTargetMachine(spec);
  if (!tm)
    return tm.takeError();
  self->tm = std::move(*tm);

  llvm::orc::JITTargetMachineBuilder jtmb{llvm::Triple(spec.triple)};
  jtmb.setCPU(spec.cpu);
  jtmb.addFeatures(llvm::SubtargetFeatures(spec.features).getFeatures());
  jtmb.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto jit = llvm::orc::LLJITBuilder()
                 .setJITTargetMachineBuilder(std::move(jtmb))
                 .create();
  if (!jit)
    return jit.takeError();
  self->jit = std::move(*jit);

  // The runtime ABI, bound explicitly: no search of the process's symbols.
  llvm::orc::SymbolMap symbols;
  for (const RuntimeSymbol &sym : runtimeSymbols())
    symbols[self->jit->mangleAndIntern(sym.name)] = {
        llvm::orc::ExecutorAddr::fromPtr(sym.address),
        llvm::JITSymbolFlags::Exported | llvm::JITSymbolFlags::Callable};
  if (llvm::Error err = self->jit->getMainJITDylib().define(
          llvm::orc::absoluteSymbols(std::move(symbols))))
    return err;
  return self;
}

llvm::Error Jit::addModule(std::unique_ptr<llvm::Module> module,
                           std::unique_ptr<llvm::LLVMContext> context) {
  return jit->addIRModule(
      llvm::orc::ThreadSafeModule(std::move(module), std::move(context)));
}

llvm::Error Jit::addObject(llvm::StringRef bytes, llvm::StringRef name) {
  return jit->addObjectFile(llvm::MemoryBuffer::getMemBufferCopy(bytes, name));
}

llvm::Expected<void *> Jit::lookup(llvm::StringRef name) {
  auto addr = jit->lookup(name);
  if (!addr)
    return addr.takeError();
  return addr->toPtr<void *>();
}

} // namespace rnnc::codegen
