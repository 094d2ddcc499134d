//===- passes/HoistInputProjection.cpp - Move step-independent work out ---===//
//
// A recurrent step multiplies the step's input by a weight: x_t @ W^T does
// not depend on the carried state, so all T of them can be done before the
// loop as one GEMM over T*B rows, which runs near the machine's peak where T
// products of B rows do not. Work that depends on no step at all (a weight
// concatenation, attention keys of a captured encoder output) runs once
// instead of T times.
//
// Algorithm, for each scan, innermost first:
//  1. Classify the body's values: carries (and everything computed from
//     them, or by an op that cannot move: nested scans, ops that may report a
//     run-time error) are *variant*; captures and ops on captures only are
//     *invariant*; step inputs and ops on step inputs and invariants are
//     *per-step*; constants are *constant*.
//  2. Reassociate `(m + v) + c` to `(m + c) + v` when m and c are not variant
//     and v is, so a bias joins the input projection (the inner add must
//     have no other use). Repeat 1-2 until nothing changes.
//  3. Choose what moves: every invariant op, and every per-step matmul with
//     the per-step ops that lead to it. Per-step ops that only follow a
//     product (a bias add, gate slices, an activation) stay: codegen fuses
//     them with the step's other elementwise work and reads slices in
//     place, where lifted each would be a pass over a [T,B,N] buffer.
//  4. Clone the chosen ops before the scan: invariant ops as they are,
//     per-step ops lifted over time (step inputs become the whole sequences,
//     results get a leading T, axis attributes shift by one), constants
//     cloned where a moved op needs them.
//  5. Each moved value that a staying op or the yield uses becomes a new
//     scan input: a capture if invariant, a sequence if per-step. The moved
//     ops are erased from the body.
//
// Lifting is only done where it means the same thing: elementwise ops whose
// per-step operands all have the result's rank (the others broadcast over T
// as they broadcasted over the step), matmul with a per-step left operand
// and an invariant 2-D or per-step right one, slice/split (and concat of
// per-step values) along a shifted axis. Every lifted op's type is checked
// against the type rules before anything is changed.
//
// Semantics: with lengths the lifted values at padded steps are computed but
// never used (the scan holds the carry and zeroes the outputs there); ops
// that could report an error (embed, cast, length_mask, losses) never move,
// so a padded step never reports one. The reassociation in step 2 changes
// rounding: (x W + b) + h U instead of (x W + h U) + b, the order oneDNN and
// cuDNN use. The passes' soundness tests compare with a tolerance for it.
//
//===----------------------------------------------------------------------===//
#include "ir/Block.h"
#include "ir/Builder.h"
#include "ir/TypeRules.h"
#include "passes/Passes.h"
#include "passes/ScanUtils.h"

#include <unordered_map>
#include <unordered_set>

namespace rnnc::passes {

using namespace ir;

namespace {

enum class Cls { Variant, PerStep, Invariant, Constant };

/// Ops that may move at all: no regions, no terminators, and none that may
/// report a run-time error (which must stay on the steps that ran).
bool isMovable(const Operation &op) {
  if (op.numRegions() > 0 || isTerminator(op.kind()))
    return false;
  switch (op.kind()) {
  case OpKind::Cast:
  case OpKind::Embed:
  case OpKind::LengthMask:
  case OpKind::CrossEntropy:
  case OpKind::Constant:
    return false;
  default:
    return true;
  }
}

class ScanHoister {
public:
  explicit ScanHoister(Operation &scan)
      : scan(scan), body(*scan.region(0)), layout(scanLayout(scan)) {}

  bool run() {
    if (!scanIsWellFormed(scan))
      return false;
    for (int i = 0; i < 100; ++i) {
      classify();
      if (!reassociate())
        break;
    }
    classify();
    chooseMoves();
    if (moved.empty())
      return false;
    materialize();
    return true;
  }

private:
  Operation &scan;
  Block &body;
  ScanLayout layout;
  std::unordered_map<const Value *, Cls> cls;
  /// Result types of each per-step op lifted over time.
  std::unordered_map<const Operation *, std::vector<TensorType>> liftedTypes;
  std::unordered_set<const Operation *> moved;

  Cls of(const Value *v) const {
    auto it = cls.find(v);
    return it == cls.end() ? Cls::Variant : it->second;
  }

  TensorType overTime(const TensorType &t) const {
    return passes::overTime(scan, t);
  }

  /// The attributes of `op` lifted over time (axes shift by one).
  static AttrMap liftedAttrs(const Operation &op) {
    // A negative axis counts from the end, which lifting does not move.
    AttrMap attrs = op.attrs();
    if (op.hasAttr("axis") && op.getInt("axis") >= 0)
      attrs["axis"] = op.getInt("axis") + 1;
    return attrs;
  }

  /// Whether a per-step op keeps its meaning lifted over time; records the
  /// lifted result types.
  bool liftable(const Operation &op) {
    OpKind k = op.kind();
    bool elementwise = isElementwise(k) || k == OpKind::Select;
    bool shape =
        k == OpKind::Slice || k == OpKind::Split || k == OpKind::Concat;
    if (!elementwise && !shape && k != OpKind::MatMul)
      return false;
    std::vector<TensorType> operandTypes;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      const Value *v = op.operand(i);
      bool step = of(v) == Cls::PerStep;
      if (elementwise && !liftableOperand(*v, step, op.result(0)->type()))
        return false;
      if (shape && !step)
        return false;
      if (k == OpKind::MatMul && i == 0 && !step)
        return false;
      operandTypes.push_back(step ? overTime(v->type()) : v->type());
    }
    auto types = inferResultTypes(k, operandTypes, liftedAttrs(op));
    if (!types || types->size() != op.numResults())
      return false;
    for (unsigned r = 0; r < op.numResults(); ++r)
      if ((*types)[r] != overTime(op.result(r)->type()))
        return false;
    liftedTypes[&op] = *types;
    return true;
  }

  void classify() {
    cls.clear();
    liftedTypes.clear();
    for (unsigned a = 0; a < body.numArgs(); ++a)
      cls[body.arg(a)] = a < layout.carryBegin()     ? Cls::PerStep
                         : a < layout.captureBegin() ? Cls::Variant
                                                     : Cls::Invariant;
    for (auto &op : body.ops()) {
      Cls c = Cls::Variant;
      if (op->kind() == OpKind::Constant) {
        c = Cls::Constant;
      } else if (isMovable(*op)) {
        bool anyVariant = false, anyStep = false, anyInvariant = false;
        for (Value *v : op->operands()) {
          Cls oc = of(v);
          anyVariant |= oc == Cls::Variant;
          anyStep |= oc == Cls::PerStep;
          anyInvariant |= oc == Cls::Invariant;
        }
        if (!anyVariant && anyStep)
          c = liftable(*op) ? Cls::PerStep : Cls::Variant;
        else if (!anyVariant && anyInvariant)
          c = Cls::Invariant;
      }
      for (Value *r : op->results())
        cls[r] = c;
    }
  }

  /// Step 2: one rewrite, or false.
  bool reassociate() {
    for (auto &opPtr : body.ops()) {
      Operation *outer = opPtr.get();
      if (outer->kind() != OpKind::Add)
        continue;
      for (unsigned side = 0; side < 2; ++side) {
        Value *inner = outer->operand(side), *c = outer->operand(1 - side);
        Operation *in = inner->definingOp();
        if (!in || in->kind() != OpKind::Add || inner->uses().size() != 1 ||
            of(c) == Cls::Variant || of(inner) != Cls::Variant)
          continue;
        Value *m = in->operand(0), *v = in->operand(1);
        if (of(m) == Cls::Variant)
          std::swap(m, v);
        // Only worth it when m is computed (a projection to move).
        if (of(m) == Cls::Variant || of(v) != Cls::Variant || !m->definingOp())
          continue;
        Builder b;
        b.setInsertionPointBefore(outer);
        b.setLoc(outer->loc());
        Value *mc = b.add(m, c);
        Value *sum = mc ? b.add(mc, v) : nullptr;
        if (!sum || sum->type() != outer->result(0)->type()) {
          body.eraseBuilt({sum, mc});
          continue;
        }
        outer->result(0)->replaceAllUsesWith(sum);
        body.erase(outer);
        body.erase(in);
        return true;
      }
    }
    return false;
  }

  /// Step 3.
  void chooseMoves() {
    moved.clear();
    // Per-step matmuls...
    std::vector<const Operation *> work;
    for (auto &op : body.ops()) {
      Cls c = op->numResults() ? of(op->result(0)) : Cls::Variant;
      if (c == Cls::Invariant)
        moved.insert(op.get());
      else if (c == Cls::PerStep && op->kind() == OpKind::MatMul)
        work.push_back(op.get());
    }
    // ...and the per-step ops they need.
    while (!work.empty()) {
      const Operation *op = work.back();
      work.pop_back();
      if (!moved.insert(op).second)
        continue;
      for (Value *v : op->operands())
        if (Operation *d = v->definingOp(); d && of(v) == Cls::PerStep)
          work.push_back(d);
    }
  }

  /// Steps 4 and 5.
  void materialize() {
    Builder out;
    out.setInsertionPointBefore(&scan);
    std::unordered_map<const Value *, Value *> outer;
    for (unsigned a = 0; a < body.numArgs(); ++a)
      if (a < layout.carryBegin() || a >= layout.captureBegin())
        outer[body.arg(a)] = scan.operand(a);
    auto outerOf = [&](Value *v) -> Value * {
      if (auto it = outer.find(v); it != outer.end())
        return it->second;
      // A constant a moved op needs: cloned before the scan.
      Operation *c = v->definingOp();
      Operation *clone =
          out.createUnchecked(OpKind::Constant, {}, {v->type()}, c->attrs());
      clone->setLoc(c->loc());
      return outer[v] = clone->result(0);
    };
    std::vector<Operation *> order;
    for (auto &op : body.ops())
      if (moved.count(op.get()))
        order.push_back(op.get());
    for (Operation *op : order) {
      std::vector<Value *> operands;
      for (Value *v : op->operands())
        operands.push_back(outerOf(v));
      bool lifted = of(op->result(0)) == Cls::PerStep;
      std::vector<TensorType> types;
      for (Value *r : op->results())
        types.push_back(r->type());
      Operation *clone = out.createUnchecked(
          op->kind(), operands, lifted ? liftedTypes.at(op) : types,
          lifted ? liftedAttrs(*op) : op->attrs());
      clone->setLoc(op->loc());
      for (unsigned r = 0; r < op->numResults(); ++r)
        outer[op->result(r)] = clone->result(r);
    }
    // Moved values used by what stays become scan inputs.
    for (Operation *op : order)
      for (Value *r : op->results()) {
        bool usedByStaying = false;
        for (const auto &use : r->uses())
          usedByStaying |= !moved.count(use.user);
        if (!usedByStaying)
          continue;
        Value *arg = of(r) == Cls::PerStep ? addScanSequence(scan, outer[r])
                                           : addScanCapture(scan, outer[r]);
        r->replaceAllUsesWith(arg);
      }
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      body.erase(*it);
  }
};

class HoistInputProjectionPass : public FunctionPass {
public:
  std::string_view name() const override { return "hoist-input-projection"; }
  std::string_view description() const override {
    return "Move step-independent work out of scans: input projections "
           "become one matmul over all steps, invariant work runs once";
  }
  Status runOnFunction(Function &fn) override {
    forEachScanInnermostFirst(fn.body(),
                              [](Operation &scan) { ScanHoister(scan).run(); });
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Pass> createHoistInputProjectionPass() {
  return std::make_unique<HoistInputProjectionPass>();
}

} // namespace rnnc::passes
