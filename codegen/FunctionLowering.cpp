//===- codegen/FunctionLowering.cpp - Driver and shared helpers -----------===//
//
// The skeleton of a lowered function:
//
//   entry:  load the symbol values, argument and result pointers
//   alloc:  every arena allocation (appended while ops are lowered), then
//           `if (rnnc_has_error(ctx)) return`
//   start:  the ops, in order; scans nest loops here
//           copies of returned values not already in their result buffer
//   exit:   ret void
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"

#include "ir/Block.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"

namespace rnnc::codegen {

FunctionLowering::FunctionLowering(const ir::Function &fn, llvm::Module &module,
                                   const TargetSpec &target, bool fuse)
    : ctx(module.getContext()), module(module), b(module.getContext()), fn(fn),
      target(target), allocB(module.getContext()), fuse(fuse) {}

llvm::Type *FunctionLowering::elemType(DType dtype) {
  return dtype == DType::F32 ? static_cast<llvm::Type *>(b.getFloatTy())
                             : b.getInt32Ty();
}

llvm::Error FunctionLowering::fail(const ir::Operation &op,
                                   const llvm::Twine &message) {
  std::string where = op.loc().isKnown() ? op.loc().str() + ": " : "";
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 where + "cannot lower '" +
                                     std::string(op.name()) +
                                     "': " + message.str());
}

// --- Symbols and buffers -------------------------------------------------

llvm::Error FunctionLowering::collectSymbols() {
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    for (const ir::Dim &d : fn.arg(i)->type().dims())
      if (!d.isStatic() && !symbolValues.count(d.sym)) {
        symbolValues[d.sym] = nullptr;
        symbolOrder.push_back(d.sym);
      }
  // Every other symbol must be one of these: the caller binds symbols from
  // argument shapes only.
  std::string unbound;
  auto check = [&](const ir::Value *v) {
    for (const ir::Dim &d : v->type().dims())
      if (!d.isStatic() && !symbolValues.count(d.sym) && unbound.empty())
        unbound = d.sym;
  };
  const_cast<ir::Function &>(fn).walk([&](ir::Operation *op) {
    for (ir::Value *r : op->results())
      check(r);
    for (unsigned k = 0; k < op->numRegions(); ++k)
      for (ir::Value *a : op->region(k)->arguments())
        check(a);
  });
  if (!unbound.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "symbolic dim " + unbound +
                                       " is not bound by any argument of @" +
                                       fn.name());
  return llvm::Error::success();
}

void FunctionLowering::placeResults() {
  const ir::Operation *ret = fn.returnOp();
  for (unsigned k = 0; k < ret->numOperands(); ++k) {
    const ir::Value *v = ret->operand(k);
    const ir::Operation *def = v->definingOp();
    // Views and constants keep their own storage; a value returned twice is
    // placed once and copied for the other slot.
    if (!def || def->parentBlock() != &fn.body() ||
        def->kind() == ir::OpKind::Reshape ||
        def->kind() == ir::OpKind::Constant || resultSlot.count(v))
      continue;
    resultSlot[v] = k;
  }
}

std::vector<llvm::Value *>
FunctionLowering::dimsOf(const ir::TensorType &type) {
  std::vector<llvm::Value *> dims;
  for (const ir::Dim &d : type.dims())
    dims.push_back(d.isStatic() ? i64(d.size) : symbolValues.at(d.sym));
  return dims;
}

llvm::Value *FunctionLowering::product(llvm::IRBuilderBase &builder,
                                       llvm::ArrayRef<llvm::Value *> dims,
                                       size_t begin, size_t end) {
  end = std::min(end, dims.size());
  llvm::Value *p = builder.getInt64(1);
  for (size_t k = begin; k < end; ++k)
    p = builder.CreateMul(p, dims[k], "", /*HasNUW=*/true, /*HasNSW=*/true);
  return p;
}

llvm::Value *FunctionLowering::product(llvm::ArrayRef<llvm::Value *> dims,
                                       size_t begin, size_t end) {
  return product(b, dims, begin, end);
}

const Buffer &FunctionLowering::bufferOf(const ir::Value *v) const {
  auto it = buffers.find(v);
  assert(it != buffers.end() && "value used before it is lowered");
  return it->second;
}

llvm::Value *FunctionLowering::allocate(llvm::Value *elems, DType dtype,
                                        const llvm::Twine &name) {
  llvm::Value *bytes =
      allocB.CreateMul(elems, allocB.getInt64(4), "", true, true);
  return allocB.CreateCall(runtime(RuntimeFn::Alloc), {ctxArg, bytes}, name);
}

const Buffer &FunctionLowering::define(const ir::Value *v) {
  Buffer buf;
  buf.dims = dimsOf(v->type());
  buf.dtype = v->type().dtype();
  auto slot = resultSlot.find(v);
  auto place = placed.find(v);
  if (place != placed.end()) {
    buf.data = place->second;
  } else if (slot != resultSlot.end()) {
    buf.data = resultPtrs[slot->second];
  } else if (rowPart) {
    // The whole batch's buffer, allocated once on entry (allocB may see
    // only the outer function's values); this part uses its rows of it.
    std::vector<llvm::Value *> whole = buf.dims;
    const bool rows = hasRowsOf(v->type(), rowPart->sym);
    if (rows)
      whole[0] = rowPart->batch;
    buf.data = allocate(product(allocB, whole), buf.dtype, v->name());
    if (rows)
      buf.data = elemPtr(buf.dtype, buf.data,
                         b.CreateMul(rowPart->first, product(buf.dims, 1)));
  } else {
    llvm::Value *elems = product(allocB, buf.dims);
    buf.data = allocate(elems, buf.dtype, v->name());
  }
  return buffers[v] = std::move(buf);
}

const Buffer &FunctionLowering::bind(const ir::Value *v, llvm::Value *data) {
  Buffer buf;
  buf.dims = dimsOf(v->type());
  buf.dtype = v->type().dtype();
  buf.data = data;
  return buffers[v] = std::move(buf);
}

// --- Code helpers ----------------------------------------------------------

llvm::Value *FunctionLowering::elemPtr(DType dtype, llvm::Value *base,
                                       llvm::Value *index) {
  return b.CreateInBoundsGEP(elemType(dtype), base, index);
}

llvm::Value *FunctionLowering::load(DType dtype, llvm::Value *base,
                                    llvm::Value *index) {
  return b.CreateLoad(elemType(dtype), elemPtr(dtype, base, index));
}

void FunctionLowering::store(DType dtype, llvm::Value *val, llvm::Value *base,
                             llvm::Value *index) {
  b.CreateStore(val, elemPtr(dtype, base, index));
}

void FunctionLowering::emitLoop(llvm::Value *n, const llvm::Twine &name,
                                llvm::function_ref<void(llvm::Value *)> body,
                                unsigned interleave) {
  llvm::BasicBlock *pre = b.GetInsertBlock();
  llvm::BasicBlock *header =
      llvm::BasicBlock::Create(ctx, name + ".header", llvmFn);
  llvm::BasicBlock *bodyBB =
      llvm::BasicBlock::Create(ctx, name + ".body", llvmFn);
  llvm::BasicBlock *exit =
      llvm::BasicBlock::Create(ctx, name + ".exit", llvmFn);
  b.CreateBr(header);
  b.SetInsertPoint(header);
  llvm::PHINode *iv = b.CreatePHI(i64Ty(), 2, name);
  iv->addIncoming(i64(0), pre);
  b.CreateCondBr(b.CreateICmpSLT(iv, n), bodyBB, exit);
  b.SetInsertPoint(bodyBB);
  body(iv);
  llvm::Value *next = b.CreateAdd(iv, i64(1), name + ".next", true, true);
  iv->addIncoming(next, b.GetInsertBlock());
  llvm::BranchInst *latch = b.CreateBr(header);
  if (interleave > 1) {
    // A self-referential loop ID with the hint (LangRef, "llvm.loop").
    llvm::Metadata *hint[] = {
        llvm::MDString::get(ctx, "llvm.loop.interleave.count"),
        llvm::ConstantAsMetadata::get(b.getInt32(interleave))};
    llvm::Metadata *ops[] = {nullptr, llvm::MDNode::get(ctx, hint)};
    llvm::MDNode *id = llvm::MDNode::getDistinct(ctx, ops);
    id->replaceOperandWith(0, id);
    latch->setMetadata(llvm::LLVMContext::MD_loop, id);
  }
  b.SetInsertPoint(exit);
}

void FunctionLowering::emitIf(llvm::Value *cond,
                              llvm::function_ref<void()> then) {
  llvm::BasicBlock *thenBB = llvm::BasicBlock::Create(ctx, "then", llvmFn);
  llvm::BasicBlock *cont = llvm::BasicBlock::Create(ctx, "endif", llvmFn);
  b.CreateCondBr(cond, thenBB, cont);
  b.SetInsertPoint(thenBB);
  then();
  b.CreateBr(cont);
  b.SetInsertPoint(cont);
}

llvm::AllocaInst *FunctionLowering::entryAlloca(llvm::Type *type,
                                                const llvm::Twine &name) {
  llvm::IRBuilder<> eb(entryBB, entryBB->getFirstInsertionPt());
  return eb.CreateAlloca(type, nullptr, name);
}

void FunctionLowering::copy(DType dtype, llvm::Value *dst, llvm::Value *src,
                            llvm::Value *elems) {
  if (dst == src)
    return;
  b.CreateMemCpy(dst, llvm::Align(4), src, llvm::Align(4),
                 b.CreateMul(elems, i64(4), "", true, true));
}

void FunctionLowering::fill(DType dtype, llvm::Value *dst, llvm::Value *value,
                            llvm::Value *elems) {
  // Zeros (+0.0 and 0 are all zero bits) are a memset, not a loop: LLVM
  // would find the idiom anyway, but a loop per fill costs its loop passes
  // time, and a scan body can hold hundreds of them.
  if (auto *c = llvm::dyn_cast<llvm::Constant>(value); c && c->isNullValue()) {
    b.CreateMemSet(dst, b.getInt8(0),
                   b.CreateMul(elems, i64(4), "", true, true), llvm::Align(4));
    return;
  }
  emitLoop(elems, "fill", [&](llvm::Value *i) { store(dtype, value, dst, i); });
}

void FunctionLowering::reportError(int32_t code, llvm::Value *a,
                                   llvm::Value *bound) {
  b.CreateCall(runtime(RuntimeFn::ReportError),
               {ctxArg, b.getInt32(code), b.CreateSExtOrTrunc(a, i64Ty()),
                b.CreateSExtOrTrunc(bound, i64Ty())});
}

void FunctionLowering::emitParallelLoop(
    llvm::Value *n, llvm::Value *work, const llvm::Twine &name,
    llvm::function_ref<void(llvm::Value *, llvm::Value *)> body) {
  // Certainly too small to split: inline, as lowerGroup decides for
  // elementwise loops.
  if (auto *c = llvm::dyn_cast<llvm::ConstantInt>(work);
      c && c->getSExtValue() < kOutlineWork) {
    body(i64(0), n);
    return;
  }
  OutlinedScope loop = enterOutlined("." + name);
  body(loop.fn->getArg(1), loop.fn->getArg(2));
  leaveOutlined(loop);
  llvm::Value *env = passOuterValues(loop.fn);
  b.CreateCall(runtime(RuntimeFn::ParallelFor), {loop.fn, env, n, work});
}

FunctionLowering::OutlinedScope
FunctionLowering::enterOutlined(const llvm::Twine &suffix) {
  auto *fnTy = llvm::FunctionType::get(b.getVoidTy(),
                                       {b.getPtrTy(), i64Ty(), i64Ty()}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::Function::InternalLinkage,
                                    llvmFn->getName() + suffix, module);
  applyTargetAttributes(*fn, target);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  OutlinedScope scope{fn, llvmFn, entryBB, b.saveIP()};
  llvmFn = fn;
  entryBB = llvm::BasicBlock::Create(ctx, "entry", fn);
  b.SetInsertPoint(entryBB);
  return scope;
}

void FunctionLowering::leaveOutlined(const OutlinedScope &scope) {
  b.CreateRetVoid();
  llvmFn = scope.outerFn;
  entryBB = scope.outerEntry;
  b.restoreIP(scope.ip);
}

void FunctionLowering::emitRange(llvm::Value *begin, llvm::Value *end,
                                 const llvm::Twine &name,
                                 llvm::function_ref<void(llvm::Value *)> body) {
  emitLoop(b.CreateSub(end, begin, "", true, true), name, [&](llvm::Value *i) {
    body(b.CreateAdd(i, begin, "", true, true));
  });
}

llvm::Value *FunctionLowering::passOuterValues(llvm::Function *inner) {
  llvm::Function *outer = b.GetInsertBlock()->getParent();
  // Any function's value but inner's: inner may be nested in a function
  // that is itself outlined later (a parallel loop in a row-split scan's
  // part), whose own passOuterValues then passes on what this one stores.
  auto isOuter = [&](const llvm::Value *v) {
    if (const auto *i = llvm::dyn_cast<llvm::Instruction>(v))
      return i->getFunction() != inner;
    if (const auto *a = llvm::dyn_cast<llvm::Argument>(v))
      return a->getParent() != inner;
    return false;
  };
  std::vector<llvm::Value *> used;
  llvm::DenseSet<llvm::Value *> seen;
  for (llvm::BasicBlock &bb : *inner)
    for (llvm::Instruction &i : bb)
      for (llvm::Value *v : i.operands())
        if (isOuter(v) && seen.insert(v).second)
          used.push_back(v);
  // One 8-byte slot per value: pointers, i64s and the odd i32 or i1.
  llvm::Type *envTy =
      llvm::ArrayType::get(i64Ty(), std::max<size_t>(used.size(), 1));
  llvm::IRBuilder<> eb(&outer->getEntryBlock(),
                       outer->getEntryBlock().getFirstInsertionPt());
  llvm::AllocaInst *env = eb.CreateAlloca(envTy, nullptr, "env");
  llvm::BasicBlock &innerEntry = inner->getEntryBlock();
  llvm::IRBuilder<> ib(&innerEntry, innerEntry.getFirstInsertionPt());
  for (size_t n = 0; n < used.size(); ++n) {
    llvm::Value *v = used[n];
    b.CreateStore(v, b.CreateConstInBoundsGEP2_64(envTy, env, 0, n));
    llvm::Value *there = ib.CreateLoad(
        v->getType(),
        ib.CreateConstInBoundsGEP2_64(envTy, inner->getArg(0), 0, n),
        v->getName());
    v->replaceUsesWithIf(there, [&](llvm::Use &u) {
      auto *user = llvm::dyn_cast<llvm::Instruction>(u.getUser());
      return user && user->getFunction() == inner;
    });
  }
  return env;
}

// --- Ops with no family file ---------------------------------------------

llvm::Error FunctionLowering::lowerConstant(const ir::Operation &op) {
  const ir::Value *r = op.result(0);
  DType dtype = r->type().dtype();
  if (const ir::DenseFloats *dense = op.getDense("values")) {
    int64_t n = r->type().staticNumElements();
    if (n != static_cast<int64_t>(dense->values.size()))
      return fail(op, "dense constant of " + r->type().str() + " has " +
                          llvm::Twine(dense->values.size()) + " values");
    // Read-only data: no op ever writes into an operand's buffer.
    std::vector<llvm::Constant *> elems;
    for (double v : dense->values)
      elems.push_back(
          dtype == DType::F32
              ? static_cast<llvm::Constant *>(llvm::ConstantFP::get(f32Ty(), v))
              : b.getInt32(static_cast<int32_t>(v)));
    auto *arrTy = llvm::ArrayType::get(elemType(dtype), elems.size());
    auto *global = new llvm::GlobalVariable(
        module, arrTy, /*isConstant=*/true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantArray::get(arrTy, elems), "const");
    global->setAlignment(llvm::Align(64));
    bind(r, global);
    return llvm::Error::success();
  }
  if (!op.hasAttr("value"))
    return fail(op, "has neither 'value' nor 'values'");
  double v = op.getFloat("value");
  const Buffer &out = define(r);
  llvm::Value *splat =
      dtype == DType::F32
          ? f32(v)
          : static_cast<llvm::Value *>(b.getInt32(static_cast<int32_t>(v)));
  fill(dtype, out.data, splat, product(out.dims));
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerCast(const ir::Operation &op) {
  const Buffer &x = bufferOf(op.operand(0));
  const Buffer &out = define(op.result(0));
  llvm::Value *n = product(out.dims);
  if (x.dtype == out.dtype) {
    copy(x.dtype, out.data, x.data, n);
    return llvm::Error::success();
  }
  emitLoop(n, "cast", [&](llvm::Value *i) {
    llvm::Value *v = load(x.dtype, x.data, i);
    if (out.dtype == DType::F32) {
      store(DType::F32, b.CreateSIToFP(v, f32Ty()), out.data, i);
      return;
    }
    // f32 -> i32 truncates; NaN, infinities and values outside i32 have no
    // result, so they are reported (and 0 stored) rather than made poison.
    llvm::Value *ok = b.CreateAnd(b.CreateFCmpOGE(v, f32(-2147483648.0)),
                                  b.CreateFCmpOLT(v, f32(2147483648.0)));
    emitIf(b.CreateNot(ok), [&] { reportError(RNNC_ERR_CAST, i, i64(0)); });
    llvm::Value *safe = b.CreateSelect(ok, v, f32(0.0));
    store(DType::I32, b.CreateFPToSI(safe, b.getInt32Ty()), out.data, i);
  });
  return llvm::Error::success();
}

// --- Dispatch ------------------------------------------------------------

llvm::Error FunctionLowering::lowerOp(const ir::Operation &op) {
  using ir::OpKind;
  OpKind kind = op.kind();
  if (ir::isElementwise(kind) || kind == OpKind::Select)
    return lowerElementwise(op);
  switch (kind) {
  case OpKind::Constant:
    return lowerConstant(op);
  case OpKind::Cast:
    return lowerCast(op);
  case OpKind::MatMul:
    return lowerMatMul(op);
  case OpKind::Concat:
    return lowerConcat(op);
  case OpKind::Split:
  case OpKind::Slice:
    return lowerSplitOrSlice(op);
  case OpKind::Reshape:
    return lowerReshape(op);
  case OpKind::Transpose:
    return lowerTranspose(op);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
    return lowerReduce(op);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return lowerSoftmax(op);
  case OpKind::Embed:
    return lowerEmbed(op);
  case OpKind::EmbedGrad:
    return lowerEmbedGrad(op);
  case OpKind::OneHot:
    return lowerOneHot(op);
  case OpKind::LengthMask:
    return lowerLengthMask(op);
  case OpKind::CrossEntropy:
    return lowerCrossEntropy(op);
  case OpKind::Mse:
    return lowerMse(op);
  case OpKind::Scan:
    return lowerScan(op);
  default:
    return fail(op, "unexpected op here");
  }
}

llvm::Error FunctionLowering::lowerBlock(const ir::Block &block) {
  FusionPlan plan = planFusion(block, fuse);
  size_t index = 0;
  for (const auto &op : block.ops()) {
    for (unsigned g : plan.emitBefore[index++])
      if (llvm::Error err = lowerGroup(plan.groups[g]))
        return err;
    if (ir::isTerminator(op->kind())) {
      lastPacked.reset();
      return llvm::Error::success();
    }
    if (plan.fused.count(op.get()) || preLowered.count(op.get()))
      continue;
    for (const ir::Value *v : op->operands())
      if (!buffers.count(v) &&
          !(v->definingOp() && isContractedSum(*v->definingOp())))
        return fail(*op, "an operand is not defined before it");
    // A view emits no code and a constant reads no buffer, so a product
    // before them may still run the loop after them (lastPacked); any other
    // op may read the product's result.
    const bool view = plan.views.count(op.get()) != 0;
    const bool keeps = view || op->kind() == ir::OpKind::Constant;
    if (!keeps)
      lastPacked.reset();
    // (A scan's body, lowered by lowerOp, leaves lastPacked clear: every
    // lowerBlock does on its way out.)
    llvm::Error err = view ? lowerView(*op) : lowerOp(*op);
    if (err)
      return err;
  }
  for (unsigned g : plan.emitBefore[index])
    if (llvm::Error err = lowerGroup(plan.groups[g]))
      return err;
  lastPacked.reset();
  return llvm::Error::success();
}

llvm::Expected<LoweredSignature> FunctionLowering::run() {
  const ir::Operation *ret = fn.returnOp();
  if (!ret || ret->kind() != ir::OpKind::Return)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "@" + fn.name() + " has no return");
  if (llvm::Error err = collectSymbols())
    return err;

  LoweredSignature sig;
  sig.symbol = "rnnc." + fn.name();
  sig.symbols = symbolOrder;
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    sig.argTypes.push_back(fn.arg(i)->type());
  for (const ir::Value *v : ret->operands())
    sig.resultTypes.push_back(v->type());

  llvm::Type *ptr = b.getPtrTy();
  auto *fnTy =
      llvm::FunctionType::get(b.getVoidTy(), {ptr, ptr, ptr, ptr}, false);
  llvmFn = llvm::Function::Create(fnTy, llvm::Function::ExternalLinkage,
                                  sig.symbol, module);
  applyTargetAttributes(*llvmFn, target);
  llvmFn->addFnAttr(llvm::Attribute::NoUnwind);
  const char *argNames[] = {"args", "syms", "results", "ctx"};
  for (unsigned i = 0; i < 4; ++i)
    llvmFn->getArg(i)->setName(argNames[i]);
  ctxArg = llvmFn->getArg(3);
  mainFn = llvmFn;

  entryBB = llvm::BasicBlock::Create(ctx, "entry", llvmFn);
  allocBB = llvm::BasicBlock::Create(ctx, "alloc", llvmFn);
  llvm::BasicBlock *startBB = llvm::BasicBlock::Create(ctx, "start", llvmFn);
  llvm::BasicBlock *exitBB = llvm::BasicBlock::Create(ctx, "exit", llvmFn);

  b.SetInsertPoint(entryBB);
  for (size_t k = 0; k < symbolOrder.size(); ++k)
    symbolValues[symbolOrder[k]] = b.CreateLoad(
        i64Ty(), b.CreateConstInBoundsGEP1_64(i64Ty(), llvmFn->getArg(1), k),
        symbolOrder[k]);
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    llvm::Value *p = b.CreateLoad(
        ptr, b.CreateConstInBoundsGEP1_64(ptr, llvmFn->getArg(0), i),
        fn.arg(i)->name());
    bind(fn.arg(i), p);
  }
  for (unsigned k = 0; k < ret->numOperands(); ++k)
    resultPtrs.push_back(b.CreateLoad(
        ptr, b.CreateConstInBoundsGEP1_64(ptr, llvmFn->getArg(2), k),
        "result" + llvm::Twine(k)));
  b.CreateBr(allocBB);
  allocB.SetInsertPoint(allocBB);
  placeResults();

  b.SetInsertPoint(startBB);
  if (llvm::Error err = lowerBlock(fn.body()))
    return err;
  for (unsigned k = 0; k < ret->numOperands(); ++k) {
    const ir::Value *v = ret->operand(k);
    if (!buffers.count(v))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "return uses an undefined value");
    auto slot = resultSlot.find(v);
    if (slot != resultSlot.end() && slot->second == k)
      continue;
    const Buffer &src = bufferOf(v);
    copy(src.dtype, resultPtrs[k], src.data, product(src.dims));
  }
  b.CreateBr(exitBB);

  // Close the alloc block: any failed allocation ends the call before a
  // buffer is touched.
  llvm::Value *failed =
      allocB.CreateCall(runtime(RuntimeFn::HasError), {ctxArg});
  allocB.CreateCondBr(allocB.CreateICmpNE(failed, allocB.getInt32(0)), exitBB,
                      startBB);
  b.SetInsertPoint(exitBB);
  b.CreateRetVoid();
  return sig;
}

llvm::Expected<LoweredSignature> lowerFunction(const ir::Function &fn,
                                               llvm::Module &module,
                                               const TargetSpec &target,
                                               bool fuse) {
  FunctionLowering lowering(fn, module, target, fuse);
  return lowering.run();
}

} // namespace rnnc::codegen
