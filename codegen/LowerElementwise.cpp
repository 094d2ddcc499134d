//===- codegen/LowerElementwise.cpp - Fused elementwise loops -------------===//
//
// A group of elementwise ops (FusionPlan.h) becomes one loop nest over their
// common result shape; a single op is a group of one. In the innermost body
// every op of the group is computed in order on registers, reading external
// operands from memory and storing only the values something outside the
// group reads.
//
// Each external operand is an *access*: a base pointer and one stride per
// result dim. Broadcasting is decided from the static types: an operand dim
// broadcasts (stride 0) when it is missing (right-aligned) or a static 1. A
// slice or split the plan made a view is read in place with its operand's
// strides. Adjacent result dims along which every access is contiguous are
// coalesced, so same-shape ops are one flat loop and a [H] bias on [B,H] is
// two. The innermost stride of every access is the constant 0 or 1, so the
// loop is unit-stride or invariant and the vectorizer widens it,
// transcendental functions included (they are inline IR, MathEmitter.h).
//
// Every access carries alias-scope metadata naming its buffer, so the
// vectorizer needs no run-time overlap checks between them: distinct
// buffers (arena blocks, arguments, results, constants) never overlap.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"
#include "codegen/MathEmitter.h"

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/MDBuilder.h"

#include <algorithm>
#include <functional>
#include <unordered_set>

namespace rnnc::codegen {

namespace {

/// The scalar computation of one elementwise op on loaded operands.
llvm::Value *applyOp(llvm::IRBuilderBase &b, ir::OpKind kind,
                     llvm::ArrayRef<llvm::Value *> x) {
  using ir::OpKind;
  llvm::Value *zero = llvm::ConstantFP::get(x[0]->getType(), 0.0);
  switch (kind) {
  case OpKind::Neg:
    return b.CreateFNeg(x[0]);
  case OpKind::Exp:
    return emitExp(b, x[0]);
  case OpKind::Log:
    return emitLog(b, x[0]);
  case OpKind::Tanh:
    return emitTanh(b, x[0]);
  case OpKind::Sigmoid:
    return emitSigmoid(b, x[0]);
  case OpKind::Relu:
    // x > 0 ? x : 0, so NaN gives 0 as in the reference.
    return b.CreateSelect(b.CreateFCmpOGT(x[0], zero), x[0], zero);
  case OpKind::Sqrt:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x[0]);
  case OpKind::Add:
    return b.CreateFAdd(x[0], x[1]);
  case OpKind::Sub:
    return b.CreateFSub(x[0], x[1]);
  case OpKind::Mul:
    return b.CreateFMul(x[0], x[1]);
  case OpKind::Div:
    return b.CreateFDiv(x[0], x[1]);
  case OpKind::Max: // NaN-propagating, like numpy.maximum
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, x[0], x[1]);
  case OpKind::Min:
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, x[0], x[1]);
  case OpKind::Select: // cond != 0 (NaN counts as true, as in the reference)
    return b.CreateSelect(b.CreateFCmpUNE(x[0], zero), x[1], x[2]);
  default:
    return nullptr;
  }
}

} // namespace

llvm::Error FunctionLowering::lowerElementwise(const ir::Operation &op) {
  FusionGroup single;
  single.ops.push_back(&op);
  return lowerGroup(single);
}

FunctionLowering::View FunctionLowering::viewOf(const ir::Value *v) {
  auto it = views.find(v);
  if (it != views.end())
    return it->second;
  const Buffer &buf = bufferOf(v);
  View view;
  view.base = buf.data;
  size_t rank = buf.dims.size();
  view.strides.resize(rank);
  view.contiguous.assign(rank, true);
  llvm::Value *s = i64(1);
  for (size_t d = rank; d-- > 0;) {
    view.strides[d] = s;
    s = b.CreateMul(s, buf.dims[d], "", true, true);
  }
  return view;
}

llvm::Error FunctionLowering::lowerView(const ir::Operation &op) {
  const ir::Value *x = op.operand(0);
  size_t rank = x->type().rank();
  int64_t axis = normalizedAxis(op, rank);
  if (axis < 0 || axis >= static_cast<int64_t>(rank))
    return fail(op, "axis out of range");
  View src = viewOf(x);
  const ir::Dim &whole = x->type().dim(axis);
  for (unsigned r = 0; r < op.numResults(); ++r) {
    const ir::Dim &part = op.result(r)->type().dim(axis);
    llvm::Value *start =
        op.kind() == ir::OpKind::Slice
            ? i64(op.getInt("start"))
            : b.CreateMul(i64(r), dimsOf(op.result(r)->type())[axis]);
    View view = src;
    view.base = elemPtr(DType::F32, src.base,
                        b.CreateMul(start, src.strides[axis], "", true, true));
    // A window of an axis breaks contiguity with the dim before it, unless
    // it is the whole axis.
    if (axis > 0 && !(part == whole))
      view.contiguous[axis - 1] = false;
    views[op.result(r)] = std::move(view);
  }
  return llvm::Error::success();
}

/// The family representative standing for `root`, or root itself.
static const llvm::Value *
familyRoot(const llvm::DenseMap<const llvm::Value *, const llvm::Value *> &f,
           const llvm::Value *root) {
  if (const auto *ld = llvm::dyn_cast<llvm::LoadInst>(root))
    if (auto it = f.find(ld->getPointerOperand()); it != f.end())
      return it->second;
  auto it = f.find(root);
  return it != f.end() ? it->second : root;
}

bool FunctionLowering::knownObject(const llvm::Value *root) const {
  // Arena blocks (each rnnc_alloc call is one allocation), constant
  // globals, and the pointers loaded from the argument and result arrays
  // (the ABI: results overlap neither each other nor the arguments).
  if (llvm::isa<llvm::GlobalVariable>(root))
    return true;
  if (const auto *call = llvm::dyn_cast<llvm::CallInst>(root))
    return call->getCalledFunction() &&
           call->getCalledFunction()->getName() ==
               runtimeSymbols()[static_cast<size_t>(RuntimeFn::Alloc)].name;
  if (const auto *ld = llvm::dyn_cast<llvm::LoadInst>(root)) {
    const llvm::Value *array =
        llvm::getUnderlyingObject(ld->getPointerOperand(), 0);
    return array == mainFn->getArg(0) || array == mainFn->getArg(2);
  }
  return false;
}

void FunctionLowering::shareAliasScope(llvm::ArrayRef<llvm::Value *> members,
                                       llvm::Value *slot) {
  std::vector<const llvm::Value *> roots;
  for (llvm::Value *m : members) {
    const llvm::Value *r = llvm::getUnderlyingObject(m, 0);
    if (!knownObject(r) || aliasFamily.count(r))
      return;
    roots.push_back(r);
  }
  if (roots.empty() || aliasFamily.count(slot))
    return;
  for (const llvm::Value *r : roots)
    aliasFamily[r] = roots.front();
  aliasFamily[slot] = roots.front();
}

void FunctionLowering::addToAliasFamily(llvm::Value *ptr,
                                        llvm::Value *memberOfFamily) {
  const llvm::Value *r = llvm::getUnderlyingObject(memberOfFamily, 0);
  if (auto it = aliasFamily.find(r); it != aliasFamily.end())
    aliasFamily[llvm::getUnderlyingObject(ptr, 0)] = it->second;
}

llvm::MDNode *FunctionLowering::aliasScopeOf(llvm::Value *ptr) {
  // Only objects known to be distinct get a scope (knownObject), or a
  // family of them that a scan carry moves between (shareAliasScope):
  // where a carry is now is a load of its slot, or a select among the
  // family, and gets the family's scope. Anything else gets none, which
  // only costs the vectorizer a run-time check, but too many of those and
  // it does not vectorize at all (the layer-normalized cell of
  // examples/custom_cell.rnn, once its carries moved between buffers).
  const llvm::Value *root =
      familyRoot(aliasFamily, llvm::getUnderlyingObject(ptr, 0));
  if (!knownObject(root))
    return nullptr;
  auto it = aliasScopes.find(root);
  if (it != aliasScopes.end())
    return it->second;
  llvm::MDBuilder md(ctx);
  if (!aliasDomain)
    aliasDomain = md.createAnonymousAliasScopeDomain("rnnc.buffers");
  return aliasScopes[root] = md.createAnonymousAliasScope(aliasDomain);
}

bool FunctionLowering::readsRowsOf(const FusionGroup &group,
                                   const ir::TensorType &outType,
                                   const ir::Value *c) const {
  const ir::TensorType &ct = c->type();
  if (outType.rank() != 2 || ct.rank() != 2 || !(ct.dim(0) == outType.dim(0)))
    return false;
  std::unordered_set<const ir::Operation *> members(group.ops.begin(),
                                                    group.ops.end());
  bool reads = false;
  for (const ir::Operation *op : group.ops)
    for (const ir::Value *v : op->operands()) {
      if (v->definingOp() && members.count(v->definingOp()))
        continue;
      // Back through the views (slices, split parts) to what holds memory;
      // a window of dim 0 would make row m of v another row of c.
      const ir::Value *root = v;
      bool windowsRows = false;
      while (views.count(root)) {
        const ir::Operation *def = root->definingOp();
        const ir::Value *x = def->operand(0);
        windowsRows =
            windowsRows || normalizedAxis(*def, x->type().rank()) == 0;
        root = x;
      }
      if (root != c)
        continue;
      if (windowsRows || v->type().rank() != 2 ||
          !(v->type().dim(0) == outType.dim(0)))
        return false;
      reads = true;
    }
  return reads;
}

llvm::Error FunctionLowering::lowerGroup(const FusionGroup &group) {
  // A packed product lowered just before this loop, which may run the loop
  // on its rows; no other loop may (this one could read the product).
  const std::optional<PendingProduct> before = std::exchange(lastPacked, {});
  const ir::TensorType &outType = group.ops.front()->result(0)->type();
  size_t rank = outType.rank();
  std::vector<llvm::Value *> dims = dimsOf(outType);
  std::unordered_set<const ir::Operation *> members(group.ops.begin(),
                                                    group.ops.end());

  // External operands in order of first use, each an access: a base and a
  // stride per result dim; joins[d]: dims d and d+1 coalesce for it.
  struct Access {
    llvm::Value *base;
    std::vector<llvm::Value *> stride;
    std::vector<bool> joins;
  };
  std::vector<Access> access;
  std::unordered_map<const ir::Value *, unsigned> accessOf;
  for (const ir::Operation *op : group.ops) {
    if (op->result(0)->type() != outType)
      return fail(*op, "fused with ops of another shape");
    for (const ir::Value *v : op->operands()) {
      const ir::Operation *def = v->definingOp();
      if ((def && members.count(def)) || accessOf.count(v))
        continue;
      if (!buffers.count(v) && !views.count(v))
        return fail(*op, "an operand is not defined before it");
      const ir::TensorType &t = v->type();
      if (t.dtype() != DType::F32)
        return fail(*op, "operands must be f32");
      if (t.rank() > rank)
        return fail(*op, "operand has a higher rank than the result");
      View view = viewOf(v);
      size_t lead = rank - t.rank();
      std::vector<bool> bcast(rank);
      Access a{view.base, std::vector<llvm::Value *>(rank),
               std::vector<bool>(rank, true)};
      for (size_t d = 0; d < rank; ++d) {
        bcast[d] = d < lead ||
                   (t.dim(d - lead).isStatic() && t.dim(d - lead).size == 1 &&
                    !(outType.dim(d).isStatic() && outType.dim(d).size == 1));
        a.stride[d] = bcast[d] ? i64(0) : view.strides[d - lead];
      }
      for (size_t d = 0; d + 1 < rank; ++d)
        a.joins[d] = bcast[d] != bcast[d + 1]
                         ? false
                         : bcast[d] || view.contiguous[d - lead];
      accessOf[v] = static_cast<unsigned>(access.size());
      access.push_back(std::move(a));
    }
  }

  // The values read outside the group get memory; the others stay in
  // registers.
  std::vector<const Buffer *> stored(group.ops.size(), nullptr);
  for (size_t i = 0; i < group.ops.size(); ++i) {
    const ir::Value *r = group.ops[i]->result(0);
    for (const ir::Use &use : r->uses())
      if (!members.count(use.user)) {
        stored[i] = &define(r);
        break;
      }
  }

  // Alias scopes: each access and store names its buffer's scope and
  // declares it disjoint from the others in this loop.
  std::vector<llvm::MDNode *> accessScope(access.size()),
      storeScope(group.ops.size());
  std::vector<llvm::Metadata *> allScopes;
  auto addScope = [&](llvm::MDNode *s) {
    if (s &&
        std::find(allScopes.begin(), allScopes.end(), s) == allScopes.end())
      allScopes.push_back(s);
    return s;
  };
  for (size_t i = 0; i < access.size(); ++i)
    accessScope[i] = addScope(aliasScopeOf(access[i].base));
  for (size_t i = 0; i < group.ops.size(); ++i)
    if (stored[i])
      storeScope[i] = addScope(aliasScopeOf(stored[i]->data));
  auto annotate = [&](llvm::Instruction *inst, llvm::MDNode *scope) {
    if (!scope || allScopes.size() < 2)
      return;
    std::vector<llvm::Metadata *> others;
    for (llvm::Metadata *s : allScopes)
      if (s != scope)
        others.push_back(s);
    inst->setMetadata(llvm::LLVMContext::MD_alias_scope,
                      llvm::MDNode::get(ctx, {scope}));
    inst->setMetadata(llvm::LLVMContext::MD_noalias,
                      llvm::MDNode::get(ctx, others));
  };

  // Coalesce result dims [begin, end) where every access is contiguous.
  std::vector<std::pair<size_t, size_t>> runs;
  for (size_t d = 0, begin = 0; d < rank; ++d) {
    bool joins = d + 1 < rank;
    for (const Access &a : access)
      joins = joins && a.joins[d];
    if (!joins) {
      runs.emplace_back(begin, d + 1);
      begin = d + 1;
    }
  }
  size_t numRuns = runs.size();

  // What the loop nest reads from outside it: the accesses' bases and their
  // stride along each run, the run sizes, the stored values' buffers. The
  // nest is emitted either here or, for a loop worth splitting across
  // threads, in an outlined function that gets these through an array.
  struct Outer {
    std::vector<llvm::Value *> base;                // per access
    std::vector<std::vector<llvm::Value *>> stride; // per access, per run
    std::vector<llvm::Value *> runSize;             // per run
    std::vector<llvm::Value *> storeTo;             // per op (null: none)
  } here;
  for (size_t k = 0; k < access.size(); ++k) {
    here.base.push_back(access[k].base);
    here.stride.emplace_back();
    for (size_t g = 0; g < numRuns; ++g)
      here.stride.back().push_back(access[k].stride[runs[g].second - 1]);
  }
  for (size_t g = 0; g < numRuns; ++g)
    here.runSize.push_back(product(dims, runs[g].first, runs[g].second));
  for (size_t i = 0; i < group.ops.size(); ++i)
    here.storeTo.push_back(stored[i] ? stored[i]->data : nullptr);

  // The innermost body: every op of the group on registers.
  auto body = [&](const Outer &o, llvm::Value *outIdx,
                  const std::vector<llvm::Value *> &inIdx) {
    std::vector<llvm::Value *> loaded(access.size(), nullptr);
    std::unordered_map<const ir::Value *, llvm::Value *> value;
    for (size_t i = 0; i < group.ops.size(); ++i) {
      const ir::Operation *op = group.ops[i];
      std::vector<llvm::Value *> x;
      for (const ir::Value *v : op->operands()) {
        auto inner = value.find(v);
        if (inner != value.end()) {
          x.push_back(inner->second);
          continue;
        }
        unsigned k = accessOf.at(v);
        if (!loaded[k]) {
          auto *ld =
              b.CreateLoad(f32Ty(), elemPtr(DType::F32, o.base[k], inIdx[k]));
          annotate(ld, accessScope[k]);
          loaded[k] = ld;
        }
        x.push_back(loaded[k]);
      }
      llvm::Value *r = applyOp(b, op->kind(), x);
      if (!r)
        return false;
      value[op->result(0)] = r;
      if (o.storeTo[i]) {
        auto *st = b.CreateStore(r, elemPtr(DType::F32, o.storeTo[i], outIdx));
        annotate(st, storeScope[i]);
      }
    }
    return true;
  };

  // The nest; the outermost run covers [begin, end).
  bool ok = true;
  unsigned interleave = 0; // set below, from the group's cost
  auto emitNest = [&](const Outer &o, llvm::Value *begin, llvm::Value *end) {
    std::vector<llvm::Value *> inIdx(access.size(), i64(0));
    std::function<void(size_t, llvm::Value *)> nest = [&](size_t g,
                                                          llvm::Value *outIdx) {
      if (g == numRuns) {
        ok = body(o, outIdx, inIdx) && ok;
        return;
      }
      llvm::Value *count =
          g == 0 ? b.CreateSub(end, begin, "", true, true) : o.runSize[g];
      emitLoop(
          count, "ew",
          [&](llvm::Value *iv) {
            if (g == 0)
              iv = b.CreateAdd(iv, begin, "", true, true);
            std::vector<llvm::Value *> saved = inIdx;
            for (size_t k = 0; k < access.size(); ++k)
              inIdx[k] = b.CreateAdd(
                  inIdx[k], b.CreateMul(iv, o.stride[k][g], "", true, true), "",
                  true, true);
            nest(g + 1,
                 b.CreateAdd(b.CreateMul(outIdx, o.runSize[g], "", true, true),
                             iv, "", true, true));
            inIdx = saved;
          },
          g + 1 == numRuns ? interleave : 0);
    };
    nest(0, i64(0));
  };

  // Estimated cost per element, in about vector instructions: the inline
  // transcendental functions are some twenty each.
  int64_t cost = 0;
  for (const ir::Operation *op : group.ops)
    cost += elementwiseCost(*op);
  // A transcendental is a long dependency chain (a polynomial, a division),
  // and one vector per iteration leaves the core waiting on it: the LSTM
  // gate loop at B = 64 ran 1.4x faster with four vectors interleaved
  // (rnnc-bench-lstm --gates-only 1, 1 thread: 57.7 -> 41.2 us/step; 2 gave
  // 48.3, 8 no more than 4).
  // But the vectorizer gives up on a loop shorter than vector width times
  // the count, so a short static inner run (H = 16) asks for fewer, with
  // up to 16 lanes assumed.
  if (cost >= 20 && numRuns > 0) {
    interleave = 4;
    if (auto *c = llvm::dyn_cast<llvm::ConstantInt>(here.runSize.back()))
      interleave = static_cast<unsigned>(
          std::clamp<int64_t>(c->getSExtValue() / 16, 1, 4));
  }
  // A loop that may be large enough to split (rnnc_parallel_for decides at
  // run time: kParallelWork, runtime/ParallelFor.cpp) is outlined; one that
  // is small for certain (static and under ~4K units) stays inline.
  int64_t staticElems = outType.staticNumElements();
  bool outline = fuse && numRuns > 0 &&
                 (staticElems < 0 || staticElems * cost >= kOutlineWork);
  if (!outline) {
    emitNest(here, i64(0), here.runSize.empty() ? i64(1) : here.runSize[0]);
    if (!ok)
      return fail(*group.ops.front(), "is not an elementwise op");
    return llvm::Error::success();
  }

  // env: every value of `here` that is not a constant, as i64 slots.
  std::vector<llvm::Value *> captured;
  auto slot = [&](llvm::Value *v) -> llvm::Value * {
    if (!v || llvm::isa<llvm::Constant>(v))
      return v;
    captured.push_back(v);
    return v;
  };
  for (llvm::Value *v : here.base)
    slot(v);
  for (auto &per : here.stride)
    for (llvm::Value *v : per)
      slot(v);
  for (llvm::Value *v : here.runSize)
    slot(v);
  for (llvm::Value *v : here.storeTo)
    slot(v);
  llvm::Type *envTy =
      llvm::ArrayType::get(i64Ty(), std::max<size_t>(captured.size(), 1));
  llvm::AllocaInst *env = entryAlloca(envTy, "ew.env");
  for (size_t n = 0; n < captured.size(); ++n) {
    llvm::Value *v = captured[n];
    if (v->getType()->isPointerTy())
      v = b.CreatePtrToInt(v, i64Ty());
    b.CreateStore(v, b.CreateConstInBoundsGEP2_64(envTy, env, 0, n));
  }
  llvm::Value *elements = product(here.runSize);
  llvm::Value *work = b.CreateMul(elements, i64(cost), "", true, true);
  llvm::Value *outerCount = here.runSize[0];

  // The outlined body: void(ptr env, i64 begin, i64 end).
  OutlinedScope outlined = enterOutlined(".ew");
  llvm::Function *loopFn = outlined.fn;
  std::unordered_map<llvm::Value *, llvm::Value *> inside;
  for (size_t n = 0; n < captured.size(); ++n) {
    llvm::Value *v = b.CreateLoad(
        i64Ty(), b.CreateConstInBoundsGEP2_64(envTy, loopFn->getArg(0), 0, n));
    if (captured[n]->getType()->isPointerTy())
      v = b.CreateIntToPtr(v, b.getPtrTy());
    inside[captured[n]] = v;
  }
  auto map = [&](llvm::Value *v) {
    return !v || llvm::isa<llvm::Constant>(v) ? v : inside.at(v);
  };
  Outer there = here;
  for (llvm::Value *&v : there.base)
    v = map(v);
  for (auto &per : there.stride)
    for (llvm::Value *&v : per)
      v = map(v);
  for (llvm::Value *&v : there.runSize)
    v = map(v);
  for (llvm::Value *&v : there.storeTo)
    v = map(v);
  emitNest(there, loopFn->getArg(1), loopFn->getArg(2));
  leaveOutlined(outlined);
  if (!ok)
    return fail(*group.ops.front(), "is not an elementwise op");
  // Right after a packed product whose result it reads by rows, with its
  // outer loop over those rows: the product runs it (on each thread's rows
  // as soon as they are computed, when it splits by rows).
  // A store into the product's A must be row m of A for row m of the
  // result too (same row length), else one thread's loop could overwrite a
  // row of A that another thread's product still reads.
  auto rowsOfA = [&] {
    llvm::Value *a = before->call->getArgOperand(0);
    llvm::Value *k = before->call->getArgOperand(7);
    const llvm::Value *aRoot = llvm::getUnderlyingObject(a, 0);
    auto sameSize = [](llvm::Value *x, llvm::Value *y) {
      auto *cx = llvm::dyn_cast<llvm::ConstantInt>(x);
      auto *cy = llvm::dyn_cast<llvm::ConstantInt>(y);
      return x == y || (cx && cy && cx->getSExtValue() == cy->getSExtValue());
    };
    for (llvm::Value *to : here.storeTo)
      if (to && llvm::getUnderlyingObject(to, 0) == aRoot &&
          !(to == a && sameSize(k, here.runSize[1])))
        return false;
    return true;
  };
  // (Only views and constants were lowered since the call, which read no
  // buffer: a scalar constant's fill loop may stand between them, in blocks
  // the call's block dominates.)
  if (before && before->call->getFunction() == llvmFn && numRuns == 2 &&
      runs[0].second == 1 && readsRowsOf(group, outType, before->result) &&
      rowsOfA()) {
    llvm::SmallVector<llvm::Value *, 12> args(before->call->args());
    args.append({loopFn, env, work});
    b.CreateCall(runtime(RuntimeFn::MatMulPackedRows), args);
    before->call->eraseFromParent();
    return llvm::Error::success();
  }
  b.CreateCall(runtime(RuntimeFn::ParallelFor),
               {loopFn, env, outerCount, work});
  return llvm::Error::success();
}

} // namespace rnnc::codegen
