//===- codegen/RuntimeSymbols.h - Runtime functions code calls -*- C++ -*-===//
//
// One table of the runtime functions (runtime/KernelABI.h) that generated code
// calls: each entry has the C name, the host address the JIT binds it to and
// the LLVM signature lowering declares it with. The JIT registers the table
// with orc::absoluteSymbols instead of searching the process, so a function
// missing here is a link error at JIT time, and the table documents the ABI.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_RUNTIMESYMBOLS_H
#define RNNC_CODEGEN_RUNTIMESYMBOLS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/IR/Module.h"

namespace rnnc::codegen {

enum class RuntimeFn {
  Alloc,
  ReportError,
  HasError,
  MatMul,
  ParallelFor,
  PackB,
  MatMulPacked,
  MatMulPackedRows,
  ScanRows,
};

struct RuntimeSymbol {
  RuntimeFn fn;
  const char *name;
  void *address;
  /// The C signature, for documentation and error messages.
  const char *signature;
};

/// Every runtime function, in RuntimeFn order.
llvm::ArrayRef<RuntimeSymbol> runtimeSymbols();

/// Declares `fn` in `module` (once) with its LLVM signature.
llvm::FunctionCallee declareRuntimeFunction(llvm::Module &module, RuntimeFn fn);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_RUNTIMESYMBOLS_H
