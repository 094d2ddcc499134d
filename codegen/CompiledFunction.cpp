//===- codegen/CompiledFunction.cpp - A JIT-compiled ir::Function ---------===//
#include "codegen/CompiledFunction.h"

#include "codegen/Jit.h"
#include "codegen/ObjectCache.h"
#include "codegen/ObjectEmitter.h"
#include "codegen/Optimizer.h"
#include "codegen/PartitionedCompile.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "runtime/ExecContext.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <map>
#include <sstream>

namespace rnnc::codegen {

CompiledFunction::~CompiledFunction() = default;

static std::string moduleText(const llvm::Module &m) {
  std::string s;
  llvm::raw_string_ostream os(s);
  m.print(os, nullptr);
  return os.str();
}

TargetSpec resolveTarget(const TargetSpec &requested) {
  TargetSpec target = requested;
  TargetSpec host = hostTarget();
  if (target.triple.empty())
    target.triple = host.triple;
  if (isCrossTarget(target.triple)) {
    // Another architecture: the host's CPU name and features mean nothing
    // there, so an unnamed CPU is the target's baseline.
    if (target.cpu.empty())
      target.cpu = "generic";
    return target;
  }
  if (target.cpu.empty()) {
    target.cpu = host.cpu;
    if (target.features.empty())
      target.features = host.features;
  }
  return target;
}

/// Lowering trusts the IR's structure (operand counts, types, scan layout);
/// the verifier is what makes that safe for IR from any source.
static Status verifyForCodegen(const ir::Function &fn) {
  ir::Diagnostics diags;
  if (!ir::verifyFunction(fn, diags))
    return makeError("cannot compile invalid IR:\n" + diags.str());
  return Status::ok();
}

/// Lowers and optimizes `fn` into a fresh module for `tm`.
static Result<std::unique_ptr<llvm::Module>>
lowerAndOptimize(const ir::Function &fn, const TargetSpec &target,
                 llvm::TargetMachine &tm, const CompileOptions &options,
                 llvm::LLVMContext &context) {
  auto module = std::make_unique<llvm::Module>("rnnc." + fn.name(), context);
  module->setTargetTriple(target.triple);
  module->setDataLayout(tm.createDataLayout());
  auto sig = lowerFunction(fn, *module, target, options.fuseElementwise);
  if (!sig)
    return makeError(llvm::toString(sig.takeError()));
  if (llvm::Error err = optimizeModule(*module, tm, options.optLevel))
    return makeError(llvm::toString(std::move(err)));
  return module;
}

/// Verifies, lowers and optimizes `fn` for options.target, then gives the
/// module and its TargetMachine to `emit` (the context lives only as long as
/// this call, so `emit` returns text, not IR).
static Result<std::string> withOptimizedModule(
    const ir::Function &fn, const CompileOptions &options,
    const std::function<Result<std::string>(llvm::Module &,
                                            llvm::TargetMachine &)> &emit) {
  if (Status s = verifyForCodegen(fn); !s)
    return makeError(s.error());
  TargetSpec target = resolveTarget(options.target);
  auto tm = createObjectTargetMachine(target);
  if (!tm)
    return makeError(llvm::toString(tm.takeError()));
  llvm::LLVMContext context;
  auto module = lowerAndOptimize(fn, target, **tm, options, context);
  if (!module)
    return makeError(module.error());
  return emit(**module, **tm);
}

Result<std::string> emitLLVMIR(const ir::Function &fn,
                               const CompileOptions &options) {
  return withOptimizedModule(fn, options,
                             [](llvm::Module &m, llvm::TargetMachine &) {
                               return Result<std::string>(moduleText(m));
                             });
}

Result<std::string> emitAssembly(const ir::Function &fn,
                                 const CompileOptions &options) {
  return withOptimizedModule(
      fn, options,
      [](llvm::Module &m, llvm::TargetMachine &tm) -> Result<std::string> {
        auto text = emitMachineCode(m, tm, llvm::CodeGenFileType::AssemblyFile);
        if (!text)
          return makeError(llvm::toString(text.takeError()));
        return *text;
      });
}

static std::string printedIR(const ir::Function &fn) {
  std::ostringstream os;
  ir::printFunction(fn, os);
  return os.str();
}

Result<std::unique_ptr<CompiledFunction>>
compile(const ir::Function &fn, const CompileOptions &options) {
  if (Status s = verifyForCodegen(fn); !s)
    return makeError(s.error());
  TargetSpec target = resolveTarget(options.target);
  if (isCrossTarget(target.triple))
    return makeError("cannot JIT-compile for '" + target.triple +
                     "' on this host; write an object instead");
  auto jit = Jit::create(target);
  if (!jit)
    return makeError("cannot create the JIT: " +
                     llvm::toString(jit.takeError()));

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("rnnc." + fn.name(), *context);
  module->setTargetTriple(target.triple);
  module->setDataLayout((*jit)->dataLayout());

  std::unique_ptr<CompiledFunction> cf(new CompiledFunction());
  auto sig = lowerFunction(fn, *module, target, options.fuseElementwise);
  if (!sig)
    return makeError(llvm::toString(sig.takeError()));
  cf->sig = std::move(*sig);
  if (options.keepLLVMIR)
    cf->irBefore = moduleText(*module);

  // The key covers the lowered LLVM IR, so a change in lowering never
  // reuses a stale object; lowering is cheap next to O3 and codegen.
  bool useCache = !options.cacheDir.empty() && !options.keepLLVMIR;
  ObjectCache cache(options.cacheDir);
  std::string key;
  if (useCache) {
    std::string rnncIR = printedIR(fn);
    std::string lowered = moduleText(*module);
    std::string level = std::to_string(options.optLevel);
    key = ObjectCache::makeKey({kCodegenVersion, LLVM_VERSION_STRING,
                                target.triple, target.cpu, target.features,
                                level, rnncIR, lowered});
    std::string blob;
    std::vector<std::string> objects;
    CacheLookup found = cache.load(key, blob);
    if (found == CacheLookup::Hit && !splitObjects(blob, objects))
      found = CacheLookup::Corrupt;
    if (found == CacheLookup::Hit) {
      llvm::Error err = llvm::Error::success();
      for (size_t i = 0; i < objects.size() && !err; ++i)
        err = (*jit)->addObject(objects[i], key + "#" + std::to_string(i));
      if (!err) {
        auto addr = (*jit)->lookup(cf->sig.symbol);
        if (addr) {
          cf->entry = reinterpret_cast<LoweredFnPtr>(*addr);
          cf->jit = std::move(*jit);
          cf->hit = true;
          cf->note = "hit " + cache.entryPath(key);
          return cf;
        }
        llvm::consumeError(addr.takeError());
      } else {
        llvm::consumeError(std::move(err));
      }
      // The object passed its checksum but does not link (written by a
      // different build?): start again with a fresh JIT and replace it.
      found = CacheLookup::Corrupt;
      jit = Jit::create(target);
      if (!jit)
        return makeError("cannot create the JIT: " +
                         llvm::toString(jit.takeError()));
    }
    cf->note =
        found == CacheLookup::Corrupt ? "corrupt entry, rebuilt" : "miss";
  }

  // keepLLVMIR compiles in one partition: one optimized module to print.
  unsigned threads =
      options.compileThreads ? options.compileThreads : defaultCompileThreads();
  auto objects = compileInPartitions(
      *module, (*jit)->targetMachine(), target, options.optLevel, threads,
      options.keepLLVMIR ? &cf->irAfter : nullptr);
  if (!objects)
    return makeError(llvm::toString(objects.takeError()));
  cf->parts = static_cast<unsigned>(objects->size());
  if (useCache) {
    // A cache that cannot be written only costs speed next time.
    Status stored = cache.store(key, bundleObjects(*objects));
    cf->note += stored ? " (stored " + cache.entryPath(key) + ")"
                       : " (not stored: " + stored.error() + ")";
  }
  for (size_t i = 0; i < objects->size(); ++i)
    if (llvm::Error err = (*jit)->addObject(
            (*objects)[i], "rnnc." + fn.name() + "#" + std::to_string(i)))
      return makeError("JIT: " + llvm::toString(std::move(err)));
  auto addr = (*jit)->lookup(cf->sig.symbol);
  if (!addr)
    return makeError("JIT lookup: " + llvm::toString(addr.takeError()));
  cf->entry = reinterpret_cast<LoweredFnPtr>(*addr);
  cf->jit = std::move(*jit);
  return cf;
}

PackedArgs::PackedArgs(const std::vector<Tensor> &args,
                       const std::vector<unsigned> &which) {
  std::vector<unsigned> packedArgs;
  std::vector<const std::vector<float> *> parts;
  for (unsigned i : which)
    if (i < args.size() && args[i].dtype() == DType::F32) {
      packedArgs.push_back(i);
      parts.push_back(&args[i].f32Vec());
    }
  // Out of memory: nothing packed, run() reads the tensors.
  if (!storage.pack(parts))
    return;
  for (size_t k = 0; k < packedArgs.size(); ++k) {
    unsigned i = packedArgs[k];
    if (slot.size() <= i)
      slot.resize(i + 1, {0, -1});
    slot[i] = {storage.offsets[k], static_cast<int64_t>(parts[k]->size())};
  }
}

const float *PackedArgs::data(unsigned i, int64_t &elements) const {
  if (i >= slot.size() || slot[i].elements < 0)
    return nullptr;
  elements = slot[i].elements;
  return storage.data.data() + slot[i].offset;
}

Result<std::vector<Tensor>>
CompiledFunction::run(const std::vector<Tensor> &args,
                      const PackedArgs *packed) const {
  std::vector<Tensor> results;
  if (Status s = runInto(args, results, packed); !s)
    return Error{s.error()};
  return results;
}

Status CompiledFunction::runInto(const std::vector<Tensor> &args,
                                 std::vector<Tensor> &results,
                                 const PackedArgs *packed) const {
  if (args.size() != sig.argTypes.size())
    return makeError("function takes " + std::to_string(sig.argTypes.size()) +
                     " argument(s), got " + std::to_string(args.size()));
  // Bind symbolic dims from the argument shapes and check every shape.
  std::map<std::string, int64_t> bound;
  for (size_t i = 0; i < args.size(); ++i) {
    const ir::TensorType &type = sig.argTypes[i];
    const Tensor &t = args[i];
    auto mismatch = [&](const std::string &why) {
      return makeError("argument " + std::to_string(i) + ": expected " +
                       type.str() + ", got " + t.typeString() + why);
    };
    if (t.dtype() != type.dtype() || t.shape().size() != type.rank())
      return mismatch("");
    for (size_t k = 0; k < type.rank(); ++k) {
      const ir::Dim &d = type.dim(k);
      int64_t n = t.dim(k);
      if (n < 0)
        return mismatch(" (negative dim)");
      if (d.isStatic()) {
        if (n != d.size)
          return mismatch("");
        continue;
      }
      auto [it, inserted] = bound.emplace(d.sym, n);
      if (!inserted && it->second != n)
        return mismatch(" (" + d.sym + " = " + std::to_string(it->second) +
                        ")");
    }
    if (t.storedElements() != t.numElements())
      return mismatch(" (storage holds " + std::to_string(t.storedElements()) +
                      " elements)");
  }
  std::vector<int64_t> syms;
  for (const std::string &s : sig.symbols)
    syms.push_back(bound.at(s));

  results.resize(sig.resultTypes.size());
  for (size_t r = 0; r < sig.resultTypes.size(); ++r) {
    const ir::TensorType &type = sig.resultTypes[r];
    std::vector<int64_t> shape;
    for (const ir::Dim &d : type.dims())
      shape.push_back(d.isStatic() ? d.size : bound.at(d.sym));
    Tensor &t = results[r];
    if (t.dtype() != type.dtype() || t.shape() != shape ||
        t.storedElements() != t.numElements())
      t = Tensor(type.dtype(), shape);
  }
  // Generated code only reads and writes through these pointers; const_cast
  // is safe because arguments are never written.
  std::vector<void *> argPtrs, resultPtrs;
  for (unsigned i = 0; i < args.size(); ++i) {
    const Tensor &t = args[i];
    int64_t elements = 0;
    if (const float *p = packed ? packed->data(i, elements) : nullptr) {
      if (elements != t.numElements())
        return makeError("argument " + std::to_string(i) +
                         ": the packed copy has " + std::to_string(elements) +
                         " elements, the tensor " +
                         std::to_string(t.numElements()));
      argPtrs.push_back(const_cast<float *>(p));
      continue;
    }
    argPtrs.push_back(
        t.dtype() == DType::F32
            ? static_cast<void *>(const_cast<float *>(t.f32Data()))
            : const_cast<int32_t *>(t.i32Data()));
  }
  for (Tensor &t : results)
    resultPtrs.push_back(t.dtype() == DType::F32
                             ? static_cast<void *>(t.f32Data())
                             : t.i32Data());
  ExecContext ctx;
  entry(argPtrs.data(), syms.data(), resultPtrs.data(), ctx.handle());
  if (Status s = ctx.status(); !s)
    return makeError(s.error());
  return Status::ok();
}

} // namespace rnnc::codegen
