//===- passes/SinkAccumulators.cpp - Sums over steps leave the loop -------===//
//
// The backward scan of a recurrent layer accumulates each weight gradient in
// a carry: dU += dS_t^T h_{t-1}, one small [4H, B] x [B, H] product per step
// and a read and write of the whole accumulator. The same sum is one GEMM
// after the loop, contracting over T*B rows: dU = sum_t dS_t^T h_{t-1} with
// the dS_t the scan already stacks as an output and the h_{t-1} it reads as
// a sequence. This is hoist-input-projection's mirror image, for the
// functions autodiff writes.
//
// Algorithm, for each scan without lengths (innermost first): a carry `a`
// whose next value is add(a, d) (either order), where `a` has no other use,
// the add's only use is the yield's carry slot, and d = matmul(p, q) with
// p, q computed from step inputs, captures, constants and values the body
// yields as per-step outputs by elementwise ops, select and reshape (so
// they can be recomputed over all steps after the loop; p must depend on
// the step), is rewritten:
//   after the scan:  final = add(init, reduce_sum(matmul(P, Q), axes = [0]))
// with P, Q the stacked sequence, the captured value or the stacked output
// (the lifted matmul's type is checked against the type rules); the body
// yields `a` unchanged. canonicalize and dce then drop the dead carry. The
// codegen lowers reduce_sum of a batched A^T B as one GEMM over all steps
// (codegen/LowerShape.cpp, isContractedSum).
//
// A bias gradient is the other kind of sum: d = reduce_sum(x, axes) over
// the batch, or, for fused gates, concat(reduce_sum(x_1), ..., reduce_sum
// (x_n)) where the body also stacks concat(x_1, ..., x_n) (the gate
// adjoints the weight gradients use), which has the same sums. With x
// recomputable over all steps as above it becomes
//   final = add(init, reduce_sum(X, axes = [0] + (axes + 1))).
// Besides the per-step reduction this leaves the step computing each batch
// row on its own, so codegen can split the scan by rows (codegen/
// ScanRows.cpp).
//
// Sums whose values depend on a carry the scan does not stack (a custom
// cell's gain and peephole gradients) cannot be recomputed. When such sums
// are the scan's only carries without the batch in front, they are
// stacked: the summed value becomes a new per-step output and the sum runs
// over it after the scan as above. That costs a [T, B, ...] write per
// value and buys the row split, so it is not done when another carry would
// keep the scan whole anyway (stackingLeavesRows).
//
// Scans with lengths are left alone: their carries hold at padded steps,
// which a sum over the stacked outputs would not know. (Autodiff's backward
// scans carry masks as sequences instead, so they qualify.) The sum runs in
// another order than the loop did, which changes rounding only.
//
//===----------------------------------------------------------------------===//
#include "ir/Block.h"
#include "ir/Builder.h"
#include "ir/TypeRules.h"
#include "passes/Passes.h"
#include "passes/ScanUtils.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace rnnc::passes {

using namespace ir;

namespace {

/// Builds, after a scan, the whole-sequence value of a body value that
/// depends on no carry: step inputs are their sequences, per-step outputs
/// their stacked results, captures and constants stay as they are (they
/// broadcast over T), and elementwise ops, select and reshape are redone
/// over [T, ...]. Every lifted op's type is checked.
class Lifter {
public:
  Lifter(Operation &scan, Builder &b) : scan(scan), b(b) {
    ScanLayout l = scanLayout(scan);
    Block &body = *scan.region(0);
    for (unsigned i = 0; i < l.numSeq; ++i)
      memo[body.arg(i)] = {scan.operand(i), true};
    for (unsigned i = l.captureBegin(); i < body.numArgs(); ++i)
      memo[body.arg(i)] = {scan.operand(i), false};
    Operation *yield = body.terminator();
    for (unsigned j = l.numCarry; j < yield->numOperands(); ++j)
      memo.try_emplace(yield->operand(j),
                       Lifted{scan.result(j - l.numCarry), true});
  }

  struct Lifted {
    Value *outer = nullptr;
    bool overTime = false; // [T, ...] rather than broadcast over T
  };

  Lifted lift(Value *v) {
    if (auto it = memo.find(v); it != memo.end())
      return it->second;
    Lifted r = build(v);
    memo[v] = r;
    return r;
  }

  TensorType overTime(const TensorType &t) const {
    return passes::overTime(scan, t);
  }

private:
  Operation &scan;
  Builder &b;
  std::unordered_map<const Value *, Lifted> memo;

  Lifted build(Value *v) {
    Operation *op = v->definingOp();
    if (!op || op->numResults() != 1)
      return {};
    OpKind k = op->kind();
    if (k == OpKind::Constant) {
      Operation *c = b.createUnchecked(k, {}, {v->type()}, op->attrs());
      return {c->result(0), false};
    }
    bool elementwise = isElementwise(k) || k == OpKind::Select;
    if (!elementwise && k != OpKind::Reshape)
      return {};
    std::vector<Value *> operands;
    bool anyOverTime = false;
    for (Value *x : op->operands()) {
      Lifted l = lift(x);
      if (!l.outer)
        return {};
      if (elementwise && !liftableOperand(*x, l.overTime, v->type()))
        return {};
      anyOverTime |= l.overTime;
      operands.push_back(l.outer);
    }
    AttrMap attrs = op->attrs();
    if (k == OpKind::Reshape) {
      if (!anyOverTime)
        return {};
      std::vector<int64_t> shape{0};
      for (int64_t d : op->getInts("shape"))
        shape.push_back(d);
      attrs["shape"] = shape;
    }
    Operation *made = b.create(k, operands, attrs);
    if (!made)
      return {};
    TensorType want = anyOverTime ? overTime(v->type()) : v->type();
    if (made->result(0)->type() != want) {
      b.insertionBlock()->erase(made);
      return {};
    }
    return {made->result(0), anyOverTime};
  }
};

/// The axes of a reduce_sum, made non-negative and sorted.
std::vector<int64_t> sumAxes(const Operation &sum) {
  int64_t rank = static_cast<int64_t>(sum.operand(0)->type().rank());
  std::vector<int64_t> axes;
  for (int64_t a : sum.getInts("axes"))
    axes.push_back(a < 0 ? a + rank : a);
  std::sort(axes.begin(), axes.end());
  return axes;
}

/// A sum of body values over some of their axes: d = reduce_sum(x, axes),
/// or the concatenation along d's axis `axis` of reduce_sum(x_i, axes)
/// (autodiff's bias gradient of fused gates: one [H] sum per gate).
/// `joined` is x, or the body's own concatenation of the x_i, in order,
/// along the axis of x that becomes `axis` when the body has one: the
/// concatenation of the sums is the sum of that concatenation.
struct Summed {
  std::vector<Value *> parts;
  std::vector<int64_t> axes;
  int64_t axis = 0;
  Value *joined = nullptr;
};

std::optional<Summed> summed(Value *d) {
  Operation *op = d->definingOp();
  if (!op)
    return std::nullopt;
  if (op->kind() == OpKind::ReduceSum && !op->getBool("keepdims"))
    return Summed{{op->operand(0)}, sumAxes(*op), 0, op->operand(0)};
  if (op->kind() != OpKind::Concat || op->numOperands() < 2)
    return std::nullopt;
  Summed s;
  for (Value *x : op->operands()) {
    Operation *sum = x->definingOp();
    if (!sum || sum->kind() != OpKind::ReduceSum || sum->getBool("keepdims"))
      return std::nullopt;
    if (s.parts.empty())
      s.axes = sumAxes(*sum);
    else if (sumAxes(*sum) != s.axes)
      return std::nullopt;
    s.parts.push_back(sum->operand(0));
  }
  int64_t rank = static_cast<int64_t>(d->type().rank());
  int64_t k = op->getInt("axis");
  s.axis = k < 0 ? k + rank : k;
  // Result axis k is the j-th axis of x, the k-th that is not summed.
  int64_t j = -1;
  for (int64_t a = 0, kept = 0;
       a < static_cast<int64_t>(s.parts[0]->type().rank()); ++a) {
    if (std::binary_search(s.axes.begin(), s.axes.end(), a))
      continue;
    if (kept++ == s.axis)
      j = a;
  }
  if (j < 0)
    return std::nullopt;
  for (const Use &use : s.parts[0]->uses()) {
    Operation *user = use.user;
    if (user->kind() != OpKind::Concat ||
        user->parentBlock() != op->parentBlock() ||
        user->operands().size() != s.parts.size())
      continue;
    int64_t axis = user->getInt("axis");
    int64_t r = static_cast<int64_t>(user->result(0)->type().rank());
    if ((axis < 0 ? axis + r : axis) != j)
      continue;
    bool same = true;
    for (size_t i = 0; i < s.parts.size(); ++i)
      same = same && user->operand(static_cast<unsigned>(i)) == s.parts[i];
    if (same) {
      s.joined = user->result(0);
      break;
    }
  }
  return s;
}

/// The next value of accumulator carry k when it is add(acc, d) (either
/// order) with `acc` and the add used nowhere else; d, or null.
Value *accumulated(Operation &scan, unsigned k) {
  ScanLayout l = scanLayout(scan);
  Block &body = *scan.region(0);
  Value *acc = body.arg(l.carryBegin() + k);
  Value *next = body.terminator()->operand(k);
  Operation *add = next->definingOp();
  if (!add || add->kind() != OpKind::Add || acc->uses().size() != 1 ||
      next->uses().size() != 1 ||
      (add->operand(0) != acc && add->operand(1) != acc) ||
      add->result(0)->type() != acc->type())
    return nullptr;
  Value *d = add->operand(0) == acc ? add->operand(1) : add->operand(0);
  return d == acc || !d->definingOp() ? nullptr : d;
}

/// Whether stacking the summed values (sinkOne's `stack`) would leave
/// `scan` carrying only values with the batch, dim 1 of its first
/// sequence, in front: what codegen needs to split it by rows
/// (codegen/ScanRows.cpp). Every other carry must be a sum.
bool stackingLeavesRows(Operation &scan) {
  ScanLayout l = scanLayout(scan);
  const TensorType &seq0 = scan.operand(0)->type();
  if (l.numSeq < 1 || seq0.rank() < 2 || seq0.dim(1).isStatic())
    return false;
  Block &body = *scan.region(0);
  bool anySum = false;
  for (unsigned k = 0; k < l.numCarry; ++k) {
    Value *acc = body.arg(l.carryBegin() + k);
    // (A carry passed through unchanged, as a rewrite leaves it, goes away.)
    if (body.terminator()->operand(k) == acc)
      continue;
    const TensorType &t = acc->type();
    if (t.rank() >= 1 && !t.dim(0).isStatic() && t.dim(0).sym == seq0.dim(1).sym)
      continue;
    Value *d = accumulated(scan, k);
    if (!d || !summed(d))
      return false;
    anySum = true;
  }
  return anySum;
}

/// One rewrite in `scan`, or false. With `stack`, a summed value that
/// cannot be recomputed after the loop becomes a per-step output instead.
bool sinkOne(Operation &scan, bool stack) {
  if (!scanIsWellFormed(scan))
    return false;
  ScanLayout l = scanLayout(scan);
  if (l.hasLengths)
    return false;
  Block &body = *scan.region(0);
  Operation *yield = body.terminator();
  Block *parent = scan.parentBlock();
  for (unsigned k = 0; k < l.numCarry; ++k) {
    Value *d = accumulated(scan, k);
    if (!d)
      continue;
    Value *acc = body.arg(l.carryBegin() + k);
    Operation *add = yield->operand(k)->definingOp();
    Operation *mm = d->definingOp();
    // (summed() finds nothing in a matmul.)
    std::optional<Summed> s = summed(d);
    if (mm->kind() != OpKind::MatMul && !s)
      continue;
    // Build after the scan; on failure everything built is erased again,
    // and the outputs added for it.
    Builder b;
    auto after = std::next(parent->find(&scan));
    b.setInsertionPoint(parent, after);
    b.setLoc(add->loc());
    unsigned added = 0;
    auto rollback = [&] {
      for (auto it = std::prev(after); &*it->get() != &scan;) {
        Operation *op = it->get();
        --it;
        parent->erase(op);
      }
      for (; added > 0; --added)
        removeLastScanOutput(scan);
    };
    Lifter lifter(scan, b);
    Value *sum = nullptr;
    if (s) {
      // sum_t reduce_sum(x_t, axes) = reduce_sum(X, [0] + (axes + 1)).
      std::vector<int64_t> overT{0};
      for (int64_t a : s->axes)
        overT.push_back(a + 1);
      auto sumOverTime = [&](Value *x) -> Value * {
        Lifter::Lifted all = lifter.lift(x);
        if (!all.outer || !all.overTime) {
          if (!stack || !x->definingOp() || x->definingOp()->parentBlock() != &body)
            return nullptr;
          all = {addScanOutput(scan, x), true};
          ++added;
        }
        return b.reduce(OpKind::ReduceSum, all.outer, overT, false);
      };
      if (s->joined) {
        sum = sumOverTime(s->joined);
      } else {
        // Each part's sum on its own, concatenated as in the step.
        std::vector<Value *> sums;
        for (Value *x : s->parts)
          if (Value *part = sumOverTime(x))
            sums.push_back(part);
        sum = sums.size() == s->parts.size() ? b.concat(sums, s->axis)
                                              : nullptr;
      }
    } else {
      Lifter::Lifted p = lifter.lift(mm->operand(0));
      Lifter::Lifted q = lifter.lift(mm->operand(1));
      Value *all = p.outer && q.outer && p.overTime
                       ? b.matmul(p.outer, q.outer, mm->getBool("transpose_a"),
                                  mm->getBool("transpose_b"))
                       : nullptr;
      sum = all && all->type() == lifter.overTime(d->type())
                ? b.reduce(OpKind::ReduceSum, all, {0}, false)
                : nullptr;
    }
    Value *init = scan.operand(l.carryBegin() + k);
    Value *final = sum ? b.add(init, sum) : nullptr;
    if (!final || final->type() != acc->type()) {
      rollback();
      continue;
    }
    unsigned numOutputs = yield->numOperands() - l.numCarry;
    scan.result(numOutputs + k)->replaceAllUsesWith(final);
    yield->setOperand(k, acc);
    body.erase(add);
    // (dce removes the per-gate sums of a concatenation.)
    if (!mm->result(0)->hasUses())
      body.erase(mm);
    return true;
  }
  return false;
}

class SinkAccumulatorsPass : public FunctionPass {
public:
  std::string_view name() const override { return "sink-accumulators"; }
  std::string_view description() const override {
    return "Turn matmul sums carried through scans into one matmul over all "
           "steps after the scan";
  }
  Status runOnFunction(Function &fn) override {
    forEachScanInnermostFirst(fn.body(), [](Operation &scan) {
      while (sinkOne(scan, false)) {
      }
      // Sums that need their summed values stacked are worth it only when
      // that lets the scan run split by rows.
      if (scanIsWellFormed(scan) && !scanLayout(scan).hasLengths &&
          stackingLeavesRows(scan))
        while (sinkOne(scan, true)) {
        }
    });
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Pass> createSinkAccumulatorsPass() {
  return std::make_unique<SinkAccumulatorsPass>();
}

} // namespace rnnc::passes
