//===- codegen/PartitionedCompile.h - O3 and codegen on several threads -*- C++
//-*-===//
//
// A lowered rnnc function is one LLVM module of several functions: the entry
// point and the loops lowering outlined (row-split scan parts, parallel
// elementwise loops and reductions), which only the runtime calls, through
// their addresses. Nothing crosses between those functions that the
// optimizer could use (no inlining, no interprocedural constant), so they can
// be optimized and compiled apart: the module is cut into partitions of about
// equal size, each optimized and compiled to its own object on its own thread
// in its own LLVMContext, and the JIT links the objects together. On the
// char-LM gradient, whose backend dominates the cold start, two partitions
// take about half the time of one.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_PARTITIONEDCOMPILE_H
#define RNNC_CODEGEN_PARTITIONEDCOMPILE_H

#include "codegen/Target.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <string>
#include <vector>

namespace rnnc::codegen {

/// How many partitions compile() cuts a module into by default: the host's
/// hardware threads, at most 4.
unsigned defaultCompileThreads();

/// Optimizes `module` at `optLevel` and generates its machine code, in up to
/// `parts` partitions compiled at the same time; returns one relocatable
/// object per partition, which together define what the module did. Each
/// thread after the first makes its own TargetMachine for `target`; the
/// first uses `tm`. One partition (parts <= 1, a single function, functions
/// too unequal to balance, or a global the partitions could not each keep a
/// private copy of) is the plain optimize-then-emit of the whole module;
/// so is any call with `optimizedIR`, which then receives the optimized
/// module's text. The module is consumed: its functions may have lost their
/// local linkage.
llvm::Expected<std::vector<std::string>>
compileInPartitions(llvm::Module &module, llvm::TargetMachine &tm,
                    const TargetSpec &target, unsigned optLevel, unsigned parts,
                    std::string *optimizedIR = nullptr);

/// Several objects as one blob for the object cache (a single object is
/// kept as is), and back: splitObjects returns false for a blob that is
/// neither one object nor a well-formed bundle.
std::string bundleObjects(const std::vector<std::string> &objects);
bool splitObjects(const std::string &blob, std::vector<std::string> &objects);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_PARTITIONEDCOMPILE_H
