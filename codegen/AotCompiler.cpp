//===- codegen/AotCompiler.cpp - Objects with a C API for a model ---------===//
#include "codegen/AotCompiler.h"

#include "codegen/ObjectEmitter.h"
#include "codegen/Optimizer.h"
#include "ir/Verifier.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"

#include <cctype>
#include <set>
#include <sstream>

namespace rnnc::codegen {

namespace {

const char *kStreamSymbol = "T";

std::string jsonString(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string jsonSlot(const AotSlot &s, const std::string &counts) {
  std::ostringstream os;
  os << "{\"name\":" << jsonString(s.name) << ",\"role\":" << jsonString(s.role)
     << ",\"dtype\":\"" << (s.type.dtype() == DType::F32 ? "f32" : "i32")
     << "\",\"dims\":[";
  for (size_t k = 0; k < s.type.rank(); ++k) {
    const ir::Dim &d = s.type.dim(k);
    os << (k ? "," : "")
       << (d.isStatic() ? std::to_string(d.size) : jsonString(d.sym));
  }
  os << "]";
  if (s.role == "state") {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", s.init);
    os << ",\"init\":" << buf;
  }
  if (!counts.empty())
    os << ",\"counts\":" << jsonString(counts);
  os << "}";
  return os.str();
}

/// The symbol a lengths argument counts (as the driver's `rnnc run`):
/// `x_lengths` the leading dim of input x, `lengths` T.
std::string lengthsSymbol(const AotOptions &o, const AotSlot &slot) {
  const std::string suffix = "_lengths";
  if (slot.name.size() > suffix.size() && slot.name.ends_with(suffix)) {
    std::string base = slot.name.substr(0, slot.name.size() - suffix.size());
    for (const AotSlot &a : o.args)
      if (a.name == base && a.type.rank() > 0 && !a.type.dim(0).isStatic())
        return a.type.dim(0).sym;
  }
  return kStreamSymbol;
}

/// Why the model cannot be advanced one step at a time, or "" when it can:
/// every scan runs forward, every sequence is a [T,...] input, and every
/// declared output is per step. (An op mixing time steps outside a scan
/// would also break streaming; the frontend's models only do that through
/// pooling, whose outputs are not per step.)
std::string streamProblem(const ir::Function &fn, const AotOptions &o,
                          const std::vector<std::string> &symbols) {
  if (std::find(symbols.begin(), symbols.end(), kStreamSymbol) == symbols.end())
    return "it has no time dimension T";
  bool reverse = false;
  const_cast<ir::Function &>(fn).walk([&](ir::Operation *op) {
    if (op->kind() == ir::OpKind::Scan && op->getBool("reverse"))
      reverse = true;
  });
  if (reverse)
    return "a scan runs backwards in time (reverse = true)";
  for (const AotSlot &a : o.args) {
    if (a.role == "param" || a.role == "lengths")
      continue;
    for (size_t k = 0; k < a.type.rank(); ++k) {
      const ir::Dim &d = a.type.dim(k);
      if (d.isStatic() || d.sym == "B")
        continue;
      if (d.sym != kStreamSymbol || k != 0)
        return a.role + " '" + a.name + "' " + a.type.str() +
               " is not a [T,...] sequence";
    }
  }
  for (const AotSlot &r : o.results)
    if (r.role == "output" && (r.type.rank() == 0 || r.type.dim(0).isStatic() ||
                               r.type.dim(0).sym != kStreamSymbol))
      return "output '" + r.name + "' " + r.type.str() + " is not per step";
  return "";
}

std::string cIdent(const std::string &s) {
  std::string out;
  for (char c : s)
    out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])))
    out = "_" + out;
  return out;
}

std::string upper(std::string s) {
  for (char &c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string cShape(const ir::TensorType &t, bool dropLeading) {
  std::string s;
  for (size_t k = dropLeading ? 1 : 0; k < t.rank(); ++k)
    s += "[" + t.dim(k).str() + "]";
  return s.empty() ? "[1]" : s;
}

} // namespace

Result<AotArtifacts> compileAot(const ir::Function &fn, const AotOptions &o) {
  {
    ir::Diagnostics diags;
    if (!ir::verifyFunction(fn, diags))
      return makeError("cannot compile invalid IR:\n" + diags.str());
  }
  std::vector<ir::TensorType> resultTypes = fn.resultTypes();
  if (o.args.size() != fn.numArgs() || o.results.size() != resultTypes.size())
    return makeError("the calling convention does not match function '" +
                     fn.name() + "'");
  for (size_t i = 0; i < o.args.size(); ++i)
    if (o.args[i].type != fn.arg(i)->type())
      return makeError("argument '" + o.args[i].name +
                       "' does not match the function's type");
  size_t numParams = 0;
  for (const AotSlot &a : o.args)
    numParams += a.role == "param";
  if (!o.weights.empty() && o.weights.size() != numParams)
    return makeError("expected " + std::to_string(numParams) +
                     " weight tensors, got " +
                     std::to_string(o.weights.size()));

  TargetSpec target = resolveTarget(o.compile.target);
  auto tm = createObjectTargetMachine(target);
  if (!tm)
    return makeError(llvm::toString(tm.takeError()));
  llvm::LLVMContext context;
  llvm::Module module(o.prefix, context);
  module.setTargetTriple(target.triple);
  module.setDataLayout((*tm)->createDataLayout());
  auto sig = lowerFunction(fn, module, target, o.compile.fuseElementwise);
  if (!sig)
    return makeError(llvm::toString(sig.takeError()));
  // Optimized as an external function, exactly as for the JIT: internal
  // linkage before O3 would let interprocedural passes treat the function
  // (whose only use, its address in <p>_create, is added below) as dead.
  if (llvm::Error err = optimizeModule(module, **tm, o.compile.optLevel))
    return makeError(llvm::toString(std::move(err)));
  llvm::Function *entry = module.getFunction(sig->symbol);
  if (!entry)
    return makeError("internal error: the optimizer removed '" + sig->symbol +
                     "'");
  // Internal now, so several models link into one program.
  entry->setLinkage(llvm::GlobalValue::InternalLinkage);

  AotArtifacts out;
  out.streamError = streamProblem(fn, o, sig->symbols);
  out.streamable = out.streamError.empty();

  // The descriptor.
  std::ostringstream desc;
  desc << "{\"abi\":1,\"model\":" << jsonString(o.prefix) << ",\"symbols\":[";
  for (size_t k = 0; k < sig->symbols.size(); ++k)
    desc << (k ? "," : "") << jsonString(sig->symbols[k]);
  desc << "],\"stream\":" << jsonString(out.streamable ? kStreamSymbol : "")
       << ",\"stream_error\":" << jsonString(out.streamError) << ",\"args\":[";
  for (size_t i = 0; i < o.args.size(); ++i)
    desc << (i ? "," : "")
         << jsonSlot(o.args[i], o.args[i].role == "lengths"
                                    ? lengthsSymbol(o, o.args[i])
                                    : "");
  desc << "],\"results\":[";
  for (size_t r = 0; r < o.results.size(); ++r)
    desc << (r ? "," : "") << jsonSlot(o.results[r], "");
  desc << "]}";

  llvm::Type *ptr = llvm::PointerType::getUnqual(context);
  llvm::Type *i64 = llvm::Type::getInt64Ty(context);
  llvm::Type *i32 = llvm::Type::getInt32Ty(context);
  llvm::Type *voidTy = llvm::Type::getVoidTy(context);
  auto *descData = llvm::ConstantDataArray::getString(context, desc.str());
  auto *descVar = new llvm::GlobalVariable(module, descData->getType(), true,
                                           llvm::GlobalValue::PrivateLinkage,
                                           descData, o.prefix + ".descriptor");

  llvm::Constant *table =
      llvm::ConstantPointerNull::get(llvm::PointerType::getUnqual(context));
  bool allF32 = !o.weights.empty();
  for (const Tensor *t : o.weights)
    allF32 = allF32 && t->dtype() == DType::F32;
  if (allF32) {
    // One array with every weight back to back in argument order, so that
    // concatenations of consecutive weights (the fused gate weights) are
    // used in place by the compiled code rather than copied per call; the
    // table points into it.
    std::vector<const std::vector<float> *> parts;
    for (const Tensor *t : o.weights)
      parts.push_back(&t->f32Vec());
    PackedFloats packed;
    if (!packed.pack(parts))
      return makeError("out of memory packing the weights");
    // An array of one zero when every weight is empty.
    const float zero = 0.0f;
    llvm::ArrayRef<float> all =
        packed.data.size()
            ? llvm::ArrayRef<float>(packed.data.data(), packed.data.size())
            : llvm::ArrayRef<float>(&zero, 1);
    const std::vector<size_t> &offsets = packed.offsets;
    llvm::Constant *data = llvm::ConstantDataArray::get(context, all);
    auto *g = new llvm::GlobalVariable(module, data->getType(), true,
                                       llvm::GlobalValue::PrivateLinkage, data,
                                       o.prefix + ".weights.data");
    g->setAlignment(llvm::Align(64));
    llvm::IRBuilder<> constants(context);
    std::vector<llvm::Constant *> entries;
    for (size_t p = 0; p < o.weights.size(); ++p) {
      // An IRBuilder folds a GEP of constants into a constant expression
      // (ConstantExpr::getInBoundsGetElementPtr directly trips GCC's
      // maybe-uninitialized warning on its optional argument under ASan).
      entries.push_back(
          llvm::cast<llvm::Constant>(constants.CreateConstInBoundsGEP2_64(
              data->getType(), g, 0, offsets[p])));
      out.weightBytes += static_cast<size_t>(o.weights[p]->numElements()) * 4;
    }
    auto *tableType = llvm::ArrayType::get(ptr, entries.size());
    table = new llvm::GlobalVariable(
        module, tableType, true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(tableType, entries), o.prefix + ".weights");
  } else if (!o.weights.empty()) {
    std::vector<llvm::Constant *> entries;
    for (size_t p = 0; p < o.weights.size(); ++p) {
      const Tensor &t = *o.weights[p];
      llvm::Constant *data =
          t.dtype() == DType::F32
              ? llvm::ConstantDataArray::get(context,
                                             llvm::ArrayRef<float>(t.f32Vec()))
              : llvm::ConstantDataArray::get(
                    context, llvm::ArrayRef<int32_t>(t.i32Vec()));
      if (t.numElements() == 0)
        data = llvm::ConstantAggregateZero::get(
            llvm::ArrayType::get(llvm::Type::getFloatTy(context), 1));
      auto *g = new llvm::GlobalVariable(
          module, data->getType(), true, llvm::GlobalValue::PrivateLinkage,
          data, o.prefix + ".weight." + std::to_string(p));
      g->setAlignment(llvm::Align(64));
      entries.push_back(g);
      out.weightBytes += static_cast<size_t>(t.numElements()) * 4;
    }
    auto *tableType = llvm::ArrayType::get(ptr, entries.size());
    table = new llvm::GlobalVariable(
        module, tableType, true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(tableType, entries), o.prefix + ".weights");
  }

  // The exported thunks.
  auto declare = [&](const char *name, llvm::Type *ret,
                     std::vector<llvm::Type *> params) {
    return module.getOrInsertFunction(
        name, llvm::FunctionType::get(ret, params, false));
  };
  auto fCreate = declare("rnnc_aot_create", ptr, {ptr, ptr, ptr, ptr});
  auto fDestroy = declare("rnnc_aot_destroy", voidTy, {ptr});
  auto fError = declare("rnnc_aot_error", ptr, {ptr});
  auto fRun = declare("rnnc_aot_run", i32, {ptr, ptr, ptr, ptr});
  auto fStep = declare("rnnc_aot_step", i32, {ptr, ptr, ptr, ptr});
  auto fReset = declare("rnnc_aot_reset", i32, {ptr});
  auto define = [&](const std::string &name, llvm::Type *ret,
                    std::vector<llvm::Type *> params) {
    auto *f = llvm::Function::Create(
        llvm::FunctionType::get(ret, params, false),
        llvm::GlobalValue::ExternalLinkage, o.prefix + "_" + name, module);
    f->setDoesNotThrow();
    llvm::BasicBlock::Create(context, "entry", f);
    return f;
  };
  {
    llvm::Function *f = define("create", ptr, {ptr});
    llvm::IRBuilder<> b(&f->getEntryBlock());
    b.CreateRet(b.CreateCall(fCreate, {descVar, table, entry, f->getArg(0)}));
  }
  for (auto [name, callee, ret] : {std::tuple{"destroy", fDestroy, voidTy},
                                   {"error", fError, ptr},
                                   {"reset", fReset, i32}}) {
    llvm::Function *f = define(name, ret, {ptr});
    llvm::IRBuilder<> b(&f->getEntryBlock());
    llvm::Value *v = b.CreateCall(callee, {f->getArg(0)});
    if (ret == voidTy)
      b.CreateRetVoid();
    else
      b.CreateRet(v);
  }

  std::vector<unsigned> runInputs, stepInputs, outputs;
  for (unsigned i = 0; i < o.args.size(); ++i) {
    if (o.args[i].role == "input" || o.args[i].role == "lengths")
      runInputs.push_back(i);
    if (o.args[i].role == "input")
      stepInputs.push_back(i);
  }
  for (unsigned r = 0; r < o.results.size(); ++r)
    if (o.results[r].role == "output")
      outputs.push_back(r);
  // (ctx, sizes..., inputs..., outputs...) -> rnnc_aot_run/step(ctx, sizes
  // array, inputs array, outputs array).
  auto marshal = [&](const std::string &name, llvm::FunctionCallee callee,
                     bool step, const std::vector<unsigned> &ins) {
    std::vector<unsigned> symIdx;
    for (unsigned k = 0; k < sig->symbols.size(); ++k)
      if (!step || sig->symbols[k] != kStreamSymbol)
        symIdx.push_back(k);
    std::vector<llvm::Type *> params{ptr};
    params.insert(params.end(), symIdx.size(), i64);
    params.insert(params.end(), ins.size() + outputs.size(), ptr);
    llvm::Function *f = define(name, i32, params);
    llvm::IRBuilder<> b(&f->getEntryBlock());
    auto array = [&](llvm::Type *elem, unsigned first, size_t n) {
      llvm::Value *a = b.CreateAlloca(elem, b.getInt32(std::max<size_t>(n, 1)));
      for (size_t k = 0; k < n; ++k)
        b.CreateStore(f->getArg(first + k), b.CreateConstGEP1_64(elem, a, k));
      return a;
    };
    unsigned at = 1;
    llvm::Value *sizes = array(i64, at, symIdx.size());
    at += symIdx.size();
    llvm::Value *inArr = array(ptr, at, ins.size());
    at += ins.size();
    llvm::Value *outArr = array(ptr, at, outputs.size());
    b.CreateRet(b.CreateCall(callee, {f->getArg(0), sizes, inArr, outArr}));
    return symIdx;
  };
  std::vector<unsigned> runSyms = marshal("run", fRun, false, runInputs);
  std::vector<unsigned> stepSyms = marshal("step", fStep, true, stepInputs);

  auto object =
      emitMachineCode(module, **tm, llvm::CodeGenFileType::ObjectFile);
  if (!object)
    return makeError(llvm::toString(object.takeError()));
  out.object = std::move(*object);

  // The header.
  const std::string p = o.prefix, P = upper(cIdent(o.prefix));
  std::ostringstream h;
  h << "/* " << p << ".h - the C API of model '" << p << "'"
    << (o.source.empty() ? "" : " (" + o.source + ")")
    << ".\n * Generated by rnnc compile; docs/aot.md describes the API. "
       "Target: "
    << target.triple << " (" << target.cpu << ").\n"
    << " * Weights: "
    << (o.weights.empty()
            ? "loaded at run time (" + p + "_create needs a safetensors file)"
            : "embedded (" + std::to_string(out.weightBytes) + " bytes)")
    << ".\n * Link: cc prog.c " << p
    << ".o librnnc_runtime.a -lstdc++ -lm\n */\n"
    << "#ifndef RNNC_MODEL_" << P << "_H\n#define RNNC_MODEL_" << P << "_H\n\n"
    << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const auto &[name, value] : o.sizes)
    h << "#define " << P << "_SIZE_" << upper(cIdent(name)) << " " << value
      << "\n";
  h << "#define " << P << "_STREAMABLE " << (out.streamable ? 1 : 0)
    << (out.streamable ? "" : " /* " + out.streamError + " */") << "\n\n";
  h << "typedef struct " << p << "_ctx " << p << "_ctx;\n\n"
    << "/* A new context; weights_path NULL uses the embedded weights. NULL "
       "only when\n * out of memory; otherwise check "
    << p << "_error(ctx) (like sqlite3_open). */\n"
    << p << "_ctx *" << p << "_create(const char *weights_path);\n"
    << "void " << p << "_destroy(" << p << "_ctx *ctx);\n"
    << "/* The last failed call's message, or NULL after a success. */\n"
    << "const char *" << p << "_error(" << p << "_ctx *ctx);\n\n";
  auto cType = [](const AotSlot &s, bool in) {
    return std::string(in ? "const " : "") +
           (s.type.dtype() == DType::F32 ? "float" : "int32_t") + " *";
  };
  auto proto = [&](const std::string &name, const std::vector<unsigned> &syms,
                   const std::vector<unsigned> &ins, bool step) {
    h << "/* "
      << (step ? "One time step with the carried state (T = 1):\n"
               : "Whole sequences from the initial state:\n");
    for (unsigned i : ins)
      h << " *   " << cIdent(o.args[i].name) << ": "
        << (o.args[i].type.dtype() == DType::F32 ? "float" : "int32_t")
        << cShape(o.args[i].type, step) << ", "
        << (o.args[i].role == "lengths" ? "steps per row (NULL: every row full)"
                                        : "input")
        << "\n";
    for (unsigned r : outputs)
      h << " *   " << cIdent(o.results[r].name) << ": "
        << (o.results[r].type.dtype() == DType::F32 ? "float" : "int32_t")
        << cShape(o.results[r].type, step) << ", written\n";
    h << " * Returns 0, or nonzero with " << p << "_error(ctx) set. */\n";
    h << "int " << p << "_" << name << "(" << p << "_ctx *ctx";
    for (unsigned k : syms)
      h << ", int64_t " << sig->symbols[k];
    for (unsigned i : ins)
      h << ", " << cType(o.args[i], true) << cIdent(o.args[i].name);
    for (unsigned r : outputs)
      h << ", " << cType(o.results[r], false) << cIdent(o.results[r].name);
    h << ");\n\n";
  };
  proto("run", runSyms, runInputs, false);
  proto("step", stepSyms, stepInputs, true);
  h << "/* Forgets the carried state; the next step starts afresh. */\n"
    << "int " << p << "_reset(" << p << "_ctx *ctx);\n\n"
    << "#ifdef __cplusplus\n}\n#endif\n\n#endif /* RNNC_MODEL_" << P
    << "_H */\n";
  out.header = h.str();
  return out;
}

} // namespace rnnc::codegen
