//===- codegen/CompiledFunction.cpp - A JIT-compiled ir::Function ---------===//
#include "codegen/CompiledFunction.h"

#include "codegen/Jit.h"
#include "codegen/Optimizer.h"
#include "ir/Verifier.h"
#include "runtime/ExecContext.h"

#include "llvm/Support/raw_ostream.h"

#include <map>

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

Result<std::string> emitLLVMIR(const ir::Function &fn,
                               const CompileOptions &options) {
  if (Status s = verifyForCodegen(fn); !s)
    return makeError(s.error());
  TargetSpec target = resolveTarget(options.target);
  auto tm = createTargetMachine(target);
  if (!tm)
    return makeError("cannot create the target machine: " +
                     llvm::toString(tm.takeError()));
  llvm::LLVMContext context;
  llvm::Module module("rnnc." + fn.name(), context);
  module.setTargetTriple(target.triple);
  module.setDataLayout((*tm)->createDataLayout());
  auto sig = lowerFunction(fn, module, target);
  if (!sig)
    return makeError(llvm::toString(sig.takeError()));
  if (llvm::Error err = optimizeModule(module, **tm, options.optLevel))
    return makeError(llvm::toString(std::move(err)));
  return moduleText(module);
}

Result<std::unique_ptr<CompiledFunction>>
compile(const ir::Function &fn, const CompileOptions &options) {
  if (Status s = verifyForCodegen(fn); !s)
    return makeError(s.error());
  TargetSpec target = resolveTarget(options.target);
  auto jit = Jit::create(target);
  if (!jit)
    return makeError("cannot create the JIT: " +
                     llvm::toString(jit.takeError()));

  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("rnnc." + fn.name(), *context);
  module->setTargetTriple(target.triple);
  module->setDataLayout((*jit)->dataLayout());

  std::unique_ptr<CompiledFunction> cf(new CompiledFunction());
  auto sig = lowerFunction(fn, *module, target);
  if (!sig)
    return makeError(llvm::toString(sig.takeError()));
  cf->sig = std::move(*sig);
  if (options.keepLLVMIR)
    cf->irBefore = moduleText(*module);
  if (llvm::Error err =
          optimizeModule(*module, (*jit)->targetMachine(), options.optLevel))
    return makeError(llvm::toString(std::move(err)));
  if (options.keepLLVMIR)
    cf->irAfter = moduleText(*module);
  if (llvm::Error err =
          (*jit)->addModule(std::move(module), std::move(context)))
    return makeError("JIT: " + llvm::toString(std::move(err)));
  auto addr = (*jit)->lookup(cf->sig.symbol);
  if (!addr)
    return makeError("JIT lookup: " + llvm::toString(addr.takeError()));
  cf->entry = reinterpret_cast<LoweredFnPtr>(*addr);
  cf->jit = std::move(*jit);
  return cf;
}

Result<std::vector<Tensor>>
CompiledFunction::run(const std::vector<Tensor> &args) const {
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
    size_t stored =
        t.dtype() == DType::F32 ? t.f32Vec().size() : t.i32Vec().size();
    if (static_cast<int64_t>(stored) != t.numElements())
      return mismatch(" (storage holds " + std::to_string(stored) +
                      " elements)");
  }
  std::vector<int64_t> syms;
  for (const std::string &s : sig.symbols)
    syms.push_back(bound.at(s));

  std::vector<Tensor> results;
  for (const ir::TensorType &type : sig.resultTypes) {
    std::vector<int64_t> shape;
    for (const ir::Dim &d : type.dims())
      shape.push_back(d.isStatic() ? d.size : bound.at(d.sym));
    results.emplace_back(type.dtype(), shape);
  }
  // Generated code only reads and writes through these pointers; const_cast
  // is safe because arguments are never written.
  std::vector<void *> argPtrs, resultPtrs;
  for (const Tensor &t : args)
    argPtrs.push_back(
        t.dtype() == DType::F32
            ? static_cast<void *>(const_cast<float *>(t.f32Data()))
            : const_cast<int32_t *>(t.i32Data()));
  for (Tensor &t : results)
    resultPtrs.push_back(t.dtype() == DType::F32
                             ? static_cast<void *>(t.f32Data())
                             : t.i32Data());
  ExecContext ctx;
  entry(argPtrs.data(), syms.data(), resultPtrs.data(), ctx.handle());
  if (Status s = ctx.status(); !s)
    return makeError(s.error());
  return results;
}

} // namespace rnnc::codegen
