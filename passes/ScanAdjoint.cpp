//===- passes/ScanAdjoint.cpp - The adjoint of a scan: BPTT ---------------===//
//
// Part of autodiff (passes/Autodiff.cpp runs the reverse sweep and calls
// emitScanAdjoint for each scan the loss depends on).
//
// Forward: c_t = f(x_t, c_{t-1}, W), out_t = g(x_t, c_{t-1}, W). The forward
// scan copy is widened to also output, per step, each incoming carry c_{t-1}
// (stacked [T,...]) and, unless
// options.recompute, the body activations the backward body reads (found by
// building the backward body once with everything recomputed and recording
// which forward values the rules read; non-constant, step-dependent values
// are then saved instead). The backward scan runs over the same steps in the
// opposite direction with
//   seqs:     x_t..., c_{t-1}..., d out_t..., [m_t], saved_t...
//   carries:  d c (one per varied carry), d capture accumulators
//   captures: the forward captures
// and its body re-executes the forward body from (x_t, c_{t-1}, captures),
// replacing saved values by their per-step inputs (dce removes the rest), then
// runs the rules over the body in reverse. It yields d c_{t-1}, the capture
// accumulators plus this step's contribution, and outputs d x_t; after it,
// d x is its stacked output, d init its final d c and d capture its final
// accumulator.
//
// Lengths. With lengths the forward is c_t = m*f(x_t, c_{t-1}) + (1-m)*c_{t-1}
// and out_t = m*g(...) with m_t = length_mask(lengths)[t] per row, so the
// backward scan has no lengths of its own (its carries then may have any
// shape, which the capture accumulators need) and instead takes m_t as a
// per-step input: it feeds m*dc_t and m*dout_t into the body's adjoint and
// passes (1-m)*dc_t through to d c_{t-1}. At a padded step every contribution
// is therefore 0 and d c passes through unchanged. (Padded rows also read 1
// for the forward values the rules use; see buildBackward.)
//
// Work is O(T): no step copies a [T,B,...] buffer. Weight (capture) gradients
// accumulate per step, dW += dz_t^T x_t; the IR cannot merge the symbolic T
// and B dims, so a single [H,T*B] @ [T*B,I] product after the scan would need
// a new op, and a batched one over T does the same work with a [T,H,I]
// temporary.
//
//===----------------------------------------------------------------------===//
#include "passes/GradientState.h"

#include <memory>

namespace rnnc::passes::ad {

using namespace ir;

namespace {

/// Values of `body` that change from step to step (depend on a sequence
/// input or a carry), as opposed to those computed from captures alone.
ValueSet stepVarying(const Block &body, const ScanLayout &l) {
  ValueSet s;
  for (unsigned i = 0; i < l.numSeq + l.numCarry; ++i)
    s.insert(body.arg(i));
  for (const auto &p : body.ops()) {
    bool any = false;
    for (const Value *v : p->operands())
      any |= s.count(v) != 0;
    if (any)
      for (unsigned i = 0; i < p->numResults(); ++i)
        s.insert(p->result(i));
  }
  return s;
}

TensorType stacked(const Dim &t, const TensorType &step) {
  std::vector<Dim> d{t};
  d.insert(d.end(), step.dims().begin(), step.dims().end());
  return step.withDims(d);
}

class ScanAdjoint {
public:
  explicit ScanAdjoint(GradientState &st)
      : b(st.b), fwd(st.fwd), varied(st.varied), top(st.top),
        recompute(st.recompute) {}
  Status run(const Operation &scan);

private:
  /// Replaces the forward scan copy F by one that also outputs `extra`
  /// (values of F's body, stacked); returns the new op.
  Operation *widen(Operation *F, const std::vector<Value *> &extra);

  struct Backward {
    Operation *op = nullptr;
    ValueSet read;
  };
  struct BackwardInputs {
    std::vector<Value *> carryPrev, dOut, dFin, savedStacked;
    std::vector<const Value *> saved;
    Value *mask = nullptr;
  };
  /// Builds the backward scan (at b's insertion point) for `in`; records the
  /// forward values its rules read.
  Result<Backward> buildBackward(const Operation &scan,
                                 const BackwardInputs &in);

  Builder &b;
  ValueMap &fwd;
  const ValueSet &varied;
  AdjointContext &top;
  bool recompute;
};

Operation *ScanAdjoint::widen(Operation *F, const std::vector<Value *> &extra) {
  ScanLayout l = scanLayout(*F);
  Block &oldBody = *F->region(0);
  Operation *oldYield = oldBody.terminator();
  unsigned numOut = oldYield->numOperands() - l.numCarry;
  Dim t = F->operand(0)->type().dim(0);
  std::vector<TensorType> types;
  for (unsigned k = 0; k < numOut; ++k)
    types.push_back(F->result(k)->type());
  for (Value *e : extra)
    types.push_back(stacked(t, e->type()));
  for (unsigned c = 0; c < l.numCarry; ++c)
    types.push_back(F->result(numOut + c)->type());

  Builder fb;
  fb.setInsertionPointBefore(F);
  fb.setLoc(F->loc());
  Operation *n =
      fb.createUnchecked(OpKind::Scan, F->operands(), types, F->attrs());
  Block *body = n->addRegion();
  for (unsigned a = 0; a < oldBody.numArgs(); ++a)
    oldBody.arg(a)->replaceAllUsesWith(
        body->addArg(oldBody.arg(a)->type(), oldBody.arg(a)->name()));
  // Remap primal entries that named the old body arguments.
  for (auto &[orig, copy] : fwd)
    if (copy->ownerBlock() == &oldBody)
      copy = body->arg(copy->argIndex());
  while (!oldBody.empty())
    body->append(oldBody.take(oldBody.ops().front().get()));
  std::vector<Value *> yielded = oldYield->operands();
  for (Value *e : extra) {
    if (e->ownerBlock() == &oldBody)
      e = body->arg(e->argIndex());
    yielded.push_back(e);
  }
  oldYield->setOperands(yielded);

  std::unordered_map<Value *, Value *> resultMap;
  for (unsigned k = 0; k < numOut; ++k)
    resultMap[F->result(k)] = n->result(k);
  unsigned extraN = static_cast<unsigned>(extra.size());
  for (unsigned c = 0; c < l.numCarry; ++c)
    resultMap[F->result(numOut + c)] = n->result(numOut + extraN + c);
  for (unsigned i = 0; i < F->numResults(); ++i)
    n->result(i < numOut ? i : i + extraN)->setName(F->result(i)->name());
  for (auto &[oldV, newV] : resultMap)
    oldV->replaceAllUsesWith(newV);
  for (auto &[orig, copy] : fwd)
    if (auto it = resultMap.find(copy); it != resultMap.end())
      copy = it->second;
  F->dropAllReferences();
  F->parentBlock()->erase(F);
  return n;
}

Result<ScanAdjoint::Backward>
ScanAdjoint::buildBackward(const Operation &scan, const BackwardInputs &in) {
  ScanLayout l = scanLayout(scan);
  const Block &body = *scan.region(0);
  const Operation *yield = body.terminator();
  unsigned numOut = yield->numOperands() - l.numCarry;

  std::vector<Value *> seqs, inits, caps;
  for (unsigned i = 0; i < l.numSeq; ++i)
    seqs.push_back(lookup(fwd, scan.operand(i)));
  seqs.insert(seqs.end(), in.carryPrev.begin(), in.carryPrev.end());
  for (Value *d : in.dOut)
    if (d)
      seqs.push_back(d);
  if (in.mask)
    seqs.push_back(in.mask);
  seqs.insert(seqs.end(), in.savedStacked.begin(), in.savedStacked.end());
  std::vector<unsigned> carriesV, capsV, seqsV;
  for (unsigned c = 0; c < l.numCarry; ++c)
    if (varied.count(body.arg(l.numSeq + c))) {
      carriesV.push_back(c);
      inits.push_back(in.dFin[c] ? in.dFin[c]
                                 : top.zeros(body.arg(l.numSeq + c)->type()));
    }
  for (unsigned j = 0; j < l.numCapture; ++j) {
    caps.push_back(lookup(fwd, scan.operand(l.captureBegin() + j)));
    if (varied.count(body.arg(l.captureBegin() + j))) {
      capsV.push_back(j);
      inits.push_back(top.zeros(body.arg(l.captureBegin() + j)->type()));
    }
  }
  for (unsigned i = 0; i < l.numSeq; ++i)
    if (varied.count(body.arg(i)))
      seqsV.push_back(i);

  Status err;
  ValueSet read;
  auto bodyFn =
      [&](Builder &ib, const std::vector<Value *> &stepIn,
          const std::vector<Value *> &carries,
          const std::vector<Value *> &captures) -> Builder::ScanBodyResult {
    ValueMap bm;
    size_t idx = 0;
    for (unsigned i = 0; i < l.numSeq + l.numCarry; ++i)
      bm[body.arg(i)] = stepIn[idx++];
    std::vector<Value *> dOutArg(numOut, nullptr);
    for (unsigned k = 0; k < numOut; ++k)
      if (in.dOut[k])
        dOutArg[k] = stepIn[idx++];
    Value *m = in.mask ? stepIn[idx++] : nullptr;
    for (const Value *s : in.saved)
      bm[s] = stepIn[idx++];
    for (unsigned j = 0; j < l.numCapture; ++j)
      bm[body.arg(l.captureBegin() + j)] = captures[j];
    // Recompute the forward step (saved values are already mapped).
    for (const auto &p : body.ops()) {
      if (isTerminator(p->kind()))
        break;
      bool allMapped = true;
      for (unsigned i = 0; i < p->numResults(); ++i)
        allMapped &= bm.count(p->result(i)) != 0;
      if (!allMapped)
        cloneOp(ib, *p, bm);
    }
    AdjointContext ctx(
        ib, [&](const Value *v) { return lookup(bm, v); }, varied);
    std::unordered_map<size_t, Value *> maskByRank, keepByRank;
    auto maskFor = [&](const TensorType &t) {
      Value *&v = maskByRank[t.rank()];
      if (!v) {
        std::vector<int64_t> shape(1, 0);
        shape.resize(t.rank(), 1);
        v = t.rank() == 1 ? m : ib.reshape(m, shape);
      }
      return v;
    };
    auto keepFor = [&](const TensorType &t) { // 1 - m
      Value *&v = keepByRank[t.rank()];
      if (!v)
        v = ib.sub(ctx.scalar(1.0), maskFor(t));
      return v;
    };
    // Rows past their length: the forward scan output 0 there, so saved
    // activations and incoming carries read 0, and a rule such as
    // sqrt's dy / (2 y) would give 0 / 0 = NaN although its dy is 0, and a
    // matmul over the batch would spread that NaN to every row. So the
    // step-dependent [B,...] primal values the rules read are 1 in those
    // rows; with dy = 0 there every contribution is then exactly 0.
    if (m) {
      ValueSet varying = stepVarying(body, l);
      const Dim &batchDim = scan.operand(l.lengthsIndex())->type().dim(0);
      auto cache = std::make_shared<ValueMap>();
      ctx.filter = [&, varying, cache](const Value *orig, Value *v) -> Value * {
        if (!varying.count(orig) || !isF32(v) || v->type().rank() == 0 ||
            !(v->type().dim(0) == batchDim))
          return v;
        Value *&s = (*cache)[orig];
        if (!s)
          s = ib.select(maskFor(v->type()), v, ctx.scalar(1.0));
        return s;
      };
    }
    auto seed = [&](const Value *orig, Value *g) {
      if (m)
        g = ib.mul(g, maskFor(g->type()));
      if (Status s = ctx.accumulate(orig, g); !s && err)
        err = s;
    };
    for (size_t k = 0; k < carriesV.size(); ++k)
      seed(yield->operand(carriesV[k]), carries[k]);
    for (unsigned k = 0; k < numOut; ++k)
      if (dOutArg[k])
        seed(yield->operand(l.numCarry + k), dOutArg[k]);
    for (auto it = body.ops().rbegin(); it != body.ops().rend() && err; ++it) {
      const Operation &op = **it;
      if (isTerminator(op.kind()))
        continue;
      if (op.kind() == OpKind::Scan) {
        bool active = false;
        for (unsigned i = 0; i < op.numResults(); ++i)
          active |= ctx.adjoint(op.result(i)) != nullptr;
        if (active)
          err = makeError("autodiff: a scan nested in a scan body is not "
                          "differentiable");
        continue;
      }
      err = ad::emitAdjoint(ctx, op);
    }
    Builder::ScanBodyResult r;
    if (!err)
      return r;
    for (size_t k = 0; k < carriesV.size(); ++k) {
      const Value *arg = body.arg(l.numSeq + carriesV[k]);
      Value *d = ctx.adjoint(arg);
      if (m) {
        Value *held = ib.mul(carries[k], keepFor(arg->type()));
        d = d ? ib.add(d, held) : held;
      }
      r.nextCarries.push_back(d ? d : ctx.zeros(arg->type()));
    }
    for (size_t k = 0; k < capsV.size(); ++k) {
      Value *d = ctx.adjoint(body.arg(l.captureBegin() + capsV[k]));
      Value *accum = carries[carriesV.size() + k];
      r.nextCarries.push_back(d ? ib.add(accum, d) : accum);
    }
    for (unsigned i : seqsV) {
      Value *d = ctx.adjoint(body.arg(i));
      r.outputs.push_back(d ? d : ctx.zeros(body.arg(i)->type()));
    }
    read = ctx.primalsRead();
    return r;
  };
  b.setLoc(scan.loc());
  Operation *op = b.scan(seqs, inits, caps, nullptr, !l.reverse, bodyFn);
  if (!err)
    return Error{err.error()};
  if (!op)
    return makeError("autodiff: building the backward scan: " + b.firstError());
  Backward out;
  out.op = op;
  out.read = std::move(read);
  return out;
}

Status ScanAdjoint::run(const Operation &scan) {
  ScanLayout l = scanLayout(scan);
  const Block &body = *scan.region(0);
  const Operation *yield = body.terminator();
  unsigned numOut = yield->numOperands() - l.numCarry;

  BackwardInputs in;
  bool any = false;
  for (unsigned k = 0; k < numOut; ++k) {
    in.dOut.push_back(top.adjoint(scan.result(k)));
    any |= in.dOut.back() != nullptr;
  }
  for (unsigned c = 0; c < l.numCarry; ++c) {
    in.dFin.push_back(top.adjoint(scan.result(numOut + c)));
    any |= in.dFin.back() != nullptr;
  }
  if (!any)
    return Status::ok();

  // Widen the forward copy to output each step's incoming carries.
  Operation *F = lookup(fwd, scan.result(0))->definingOp();
  std::vector<Value *> carryArgs;
  for (unsigned c = 0; c < l.numCarry; ++c)
    carryArgs.push_back(F->region(0)->arg(l.numSeq + c));
  F = widen(F, carryArgs);
  for (unsigned c = 0; c < l.numCarry; ++c)
    in.carryPrev.push_back(F->result(numOut + c));
  if (l.hasLengths) {
    b.setLoc(scan.loc());
    in.mask = b.create(OpKind::LengthMask,
                       {F->operand(l.lengthsIndex()), F->operand(0)})
                  ->result(0);
  }

  auto first = buildBackward(scan, in);
  if (!first)
    return Status(Error{first.error()});
  Backward bw = *first;
  if (!recompute) {
    // Save the step-dependent activations the backward body read, rather
    // than recomputing them; the recomputing scan built above becomes dead.
    ValueSet varying = stepVarying(body, l);
    const Dim *batch =
        l.hasLengths ? &scan.operand(l.lengthsIndex())->type().dim(0) : nullptr;
    std::vector<Value *> extra;
    std::vector<int> savedFrom; // output k, or -1 - index into extra
    for (const auto &p : body.ops()) {
      if (p->kind() == OpKind::Constant || isTerminator(p->kind()))
        continue;
      for (unsigned i = 0; i < p->numResults(); ++i) {
        const Value *v = p->result(i);
        if (!bw.read.count(v) || !varying.count(v))
          continue;
        if (batch && (v->type().rank() == 0 || !(v->type().dim(0) == *batch)))
          continue;
        // A value the forward already outputs is read from that output (both
        // are 0 past a row's length), not stored twice.
        int asOutput = -1;
        for (unsigned k = 0; k < numOut && asOutput < 0; ++k)
          if (yield->operand(l.numCarry + k) == v)
            asOutput = static_cast<int>(k);
        in.saved.push_back(v);
        savedFrom.push_back(
            asOutput >= 0 ? asOutput : -1 - static_cast<int>(extra.size()));
        if (asOutput < 0)
          extra.push_back(lookup(fwd, v));
      }
    }
    if (!in.saved.empty()) {
      unsigned base = numOut + l.numCarry;
      if (!extra.empty())
        F = widen(F, extra);
      for (int from : savedFrom)
        in.savedStacked.push_back(
            F->result(from >= 0 ? static_cast<unsigned>(from)
                                : base + static_cast<unsigned>(-1 - from)));
      in.carryPrev.clear();
      for (unsigned c = 0; c < l.numCarry; ++c)
        in.carryPrev.push_back(F->result(numOut + c));
      auto second = buildBackward(scan, in);
      if (!second)
        return Status(Error{second.error()});
      bw = *second;
    }
  }

  // Results: d x per varied sequence, then d c per varied carry, then the
  // capture accumulators.
  unsigned r = 0;
  for (unsigned i = 0; i < l.numSeq; ++i)
    if (varied.count(body.arg(i)))
      if (Status s = top.accumulate(scan.operand(i), bw.op->result(r++)); !s)
        return s;
  for (unsigned c = 0; c < l.numCarry; ++c)
    if (varied.count(body.arg(l.numSeq + c)))
      if (Status s =
              top.accumulate(scan.operand(l.numSeq + c), bw.op->result(r++));
          !s)
        return s;
  for (unsigned j = 0; j < l.numCapture; ++j)
    if (varied.count(body.arg(l.captureBegin() + j)))
      if (Status s = top.accumulate(scan.operand(l.captureBegin() + j),
                                    bw.op->result(r++));
          !s)
        return s;
  return Status::ok();
}

} // namespace

Status emitScanAdjoint(GradientState &st, const Operation &scan) {
  return ScanAdjoint(st).run(scan);
}

} // namespace rnnc::passes::ad
