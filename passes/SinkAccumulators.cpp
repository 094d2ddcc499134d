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

/// When d is a sum of a body value over some of its axes, that value and
/// those axes. That is d = reduce_sum(x, axes), or the concatenation along
/// axis k of reduce_sum(x_i, axes) (autodiff's bias gradient of fused
/// gates: one [H] sum per gate) when the body also concatenates the x_i
/// themselves, in order, along the axis of x that becomes k: the
/// concatenation of the sums is the sum of that concatenation.
std::pair<Value *, std::vector<int64_t>> summed(Value *d) {
  Operation *op = d->definingOp();
  if (!op)
    return {};
  if (op->kind() == OpKind::ReduceSum && !op->getBool("keepdims"))
    return {op->operand(0), sumAxes(*op)};
  if (op->kind() != OpKind::Concat || op->numOperands() < 2)
    return {};
  std::vector<Value *> parts;
  std::vector<int64_t> axes;
  for (Value *x : op->operands()) {
    Operation *sum = x->definingOp();
    if (!sum || sum->kind() != OpKind::ReduceSum || sum->getBool("keepdims"))
      return {};
    if (parts.empty())
      axes = sumAxes(*sum);
    else if (sumAxes(*sum) != axes)
      return {};
    parts.push_back(sum->operand(0));
  }
  // Result axis k is the k-th axis of x that is not summed.
  int64_t rank = static_cast<int64_t>(d->type().rank());
  int64_t k = op->getInt("axis");
  k = k < 0 ? k + rank : k;
  int64_t j = -1;
  for (int64_t a = 0, kept = 0;
       a < static_cast<int64_t>(parts[0]->type().rank()); ++a) {
    if (std::binary_search(axes.begin(), axes.end(), a))
      continue;
    if (kept++ == k)
      j = a;
  }
  if (j < 0)
    return {};
  for (const Use &use : parts[0]->uses()) {
    Operation *user = use.user;
    if (user->kind() != OpKind::Concat ||
        user->parentBlock() != op->parentBlock() ||
        user->operands().size() != parts.size())
      continue;
    int64_t axis = user->getInt("axis");
    int64_t r = static_cast<int64_t>(user->result(0)->type().rank());
    if ((axis < 0 ? axis + r : axis) != j)
      continue;
    bool same = true;
    for (size_t i = 0; i < parts.size(); ++i)
      same = same && user->operand(static_cast<unsigned>(i)) == parts[i];
    if (same)
      return {user->result(0), axes};
  }
  return {};
}

/// One rewrite in `scan`, or false.
bool sinkOne(Operation &scan) {
  if (!scanIsWellFormed(scan))
    return false;
  ScanLayout l = scanLayout(scan);
  if (l.hasLengths)
    return false;
  Block &body = *scan.region(0);
  Operation *yield = body.terminator();
  Block *parent = scan.parentBlock();
  unsigned numOutputs = yield->numOperands() - l.numCarry;
  for (unsigned k = 0; k < l.numCarry; ++k) {
    Value *acc = body.arg(l.carryBegin() + k);
    Value *next = yield->operand(k);
    Operation *add = next->definingOp();
    if (!add || add->kind() != OpKind::Add || acc->uses().size() != 1 ||
        next->uses().size() != 1 ||
        (add->operand(0) != acc && add->operand(1) != acc))
      continue;
    Value *d = add->operand(0) == acc ? add->operand(1) : add->operand(0);
    Operation *mm = d->definingOp();
    if (d == acc || !mm || add->result(0)->type() != acc->type())
      continue;
    // (summed() finds nothing in a matmul.)
    auto [x, axes] = summed(d);
    if (mm->kind() != OpKind::MatMul && !x)
      continue;
    // Build after the scan; on failure everything built is erased again.
    Builder b;
    auto after = std::next(parent->find(&scan));
    b.setInsertionPoint(parent, after);
    b.setLoc(add->loc());
    auto rollback = [&] {
      for (auto it = std::prev(after); &*it->get() != &scan;) {
        Operation *op = it->get();
        --it;
        parent->erase(op);
      }
    };
    Lifter lifter(scan, b);
    Value *sum = nullptr;
    if (x) {
      // sum_t reduce_sum(x_t, axes) = reduce_sum(X, [0] + (axes + 1)).
      Lifter::Lifted all = lifter.lift(x);
      std::vector<int64_t> overT{0};
      for (int64_t a : axes)
        overT.push_back(a + 1);
      if (all.outer && all.overTime)
        sum = b.reduce(OpKind::ReduceSum, all.outer, overT, false);
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
      while (sinkOne(scan)) {
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
