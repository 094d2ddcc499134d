//===- codegen/CompiledFunction.h - A JIT-compiled ir::Function -*- C++ -*-===//
//
// The public face of codegen: compile() lowers an ir::Function to LLVM IR,
// verifies and optimizes it at O3 for the host CPU, JIT-compiles it, and
// returns a CompiledFunction whose run() mirrors ir::interpret: tensors in,
// tensors out, symbolic dims bound from the argument shapes, and every
// problem (a shape mismatch, an id out of range) a returned error. The
// compiled code does not depend on the ir::Function afterwards.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_COMPILEDFUNCTION_H
#define RNNC_CODEGEN_COMPILEDFUNCTION_H

#include "codegen/Lowering.h"
#include "ir/Function.h"
#include "runtime/AlignedFloats.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <memory>
#include <string>
#include <vector>

namespace rnnc::codegen {

class Jit;

struct CompileOptions {
  /// LLVM optimization level, 0..3.
  unsigned optLevel = 3;
  /// Keep the LLVM IR text before and after optimization (for
  /// `rnnc ir --emit=llvm` and for tests that inspect the vectorized code).
  bool keepLLVMIR = false;
  /// The target; empty fields mean the host's.
  TargetSpec target;
  /// The on-disk object cache (codegen/ObjectCache.h); empty: no cache. The
  /// driver passes defaultCacheDir() unless --no-cache. Ignored with
  /// keepLLVMIR, which needs the optimizer to run.
  std::string cacheDir;
  /// Elementwise fusion (codegen/FusionPlan.h); false gives one loop and
  /// one buffer per elementwise op, as `--no-optimize` does.
  bool fuseElementwise = true;
  /// How many threads optimize and compile the module's functions, in
  /// partitions of about equal size (codegen/PartitionedCompile.h); 0: the
  /// host's hardware threads, at most 4. keepLLVMIR compiles in one.
  unsigned compileThreads = 0;
};

/// Copies of some arguments (a model's parameters) packed back to back in
/// one buffer, in argument order. Given to run(), the generated code reads
/// those arguments from here, and a concatenation of consecutive ones (the
/// weights gate fusion joins: Wi, Wf, Wg, Wo) is used in place instead of
/// being copied on every call. For arguments that stay the same from call
/// to call, as the weights do when sampling: rebuild it after changing them.
class PackedArgs {
public:
  PackedArgs() = default;
  /// Packs args[i] for each i in `which` (in increasing order) that is f32.
  PackedArgs(const std::vector<Tensor> &args,
             const std::vector<unsigned> &which);
  /// The packed copy of argument i and its element count, or null.
  const float *data(unsigned i, int64_t &elements) const;

private:
  /// Per argument index: where its copy starts; elements -1: not packed.
  struct Slot {
    size_t offset;
    int64_t elements;
  };
  PackedFloats storage;
  std::vector<Slot> slot;
};

class CompiledFunction {
public:
  ~CompiledFunction();
  CompiledFunction(const CompiledFunction &) = delete;
  CompiledFunction &operator=(const CompiledFunction &) = delete;

  /// Runs the function on `args` (one tensor per argument, in order). With
  /// `packed`, the arguments it holds are read from there (their tensors
  /// in `args` still give the shapes, which must match).
  Result<std::vector<Tensor>> run(const std::vector<Tensor> &args,
                                  const PackedArgs *packed = nullptr) const;
  /// run() into `results`: a tensor already there with the result's dtype
  /// and shape is written in place (the generated code writes every
  /// element of every result), others are replaced by fresh ones. Calling
  /// it again with the same shapes allocates and zero-fills nothing, which
  /// is what a loop over batches wants. On error, `results` holds the
  /// right shapes but unspecified values.
  Status runInto(const std::vector<Tensor> &args, std::vector<Tensor> &results,
                 const PackedArgs *packed = nullptr) const;

  const LoweredSignature &signature() const { return sig; }
  /// The LLVM IR before / after optimization (empty unless keepLLVMIR).
  const std::string &llvmIRBefore() const { return irBefore; }
  const std::string &llvmIRAfter() const { return irAfter; }
  /// True when the code came from the object cache (no optimization or
  /// instruction selection ran).
  bool cacheHit() const { return hit; }
  /// What the cache did, for --verbose: "hit", "miss (stored)", "corrupt
  /// entry, rebuilt (stored)", "miss (not stored: ...)", or "" when off.
  const std::string &cacheNote() const { return note; }
  /// How many objects the code was compiled into (0 from the cache).
  unsigned objectParts() const { return parts; }

private:
  friend Result<std::unique_ptr<CompiledFunction>>
  compile(const ir::Function &fn, const CompileOptions &options);
  CompiledFunction() = default;

  std::unique_ptr<Jit> jit;
  LoweredSignature sig;
  LoweredFnPtr entry = nullptr;
  std::string irBefore, irAfter;
  bool hit = false;
  std::string note;
  unsigned parts = 0;
};

/// The target with empty fields filled from the host.
TargetSpec resolveTarget(const TargetSpec &requested);

/// The LLVM IR of `fn` as text, optimized at options.optLevel (0: as lowered,
/// verified only), without JIT-compiling it: what `rnnc ir --emit=llvm`
/// prints.
Result<std::string> emitLLVMIR(const ir::Function &fn,
                               const CompileOptions &options = {});

/// The target's assembly for `fn` (optimized at options.optLevel): what
/// `rnnc ir --emit=asm` prints. Any registered target, e.g. aarch64.
Result<std::string> emitAssembly(const ir::Function &fn,
                                 const CompileOptions &options = {});

/// Verifies, lowers, optimizes and JIT-compiles `fn`; invalid IR is an error.
Result<std::unique_ptr<CompiledFunction>>
compile(const ir::Function &fn, const CompileOptions &options = {});

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_COMPILEDFUNCTION_H
