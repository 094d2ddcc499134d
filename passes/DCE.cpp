//===- passes/DCE.cpp - Dead code elimination -----------------------------===//
//
// Removes computation whose result nobody reads. No op in the IR has a side
// effect, so an op is dead exactly when none of its results is used; the
// roots are the operands of each block's terminator (`return`, `yield`).
//
// Algorithm:
//   dceBlock(block): walk the ops back to front (users before definitions, so
//   one sweep removes whole dead chains). An op with no used result is erased.
//   A scan with some used result is narrowed first (simplifyScan), which may
//   free its operands for the ops further up.
//
//   simplifyScan(scan):
//   1. An output k is live if its stacked result is used. A carry c is live if
//      its final result is used, or if a live root needs its body argument.
//      Computed to a fixed point: roots = yield operands of live outputs and
//      live carries; needed = the backward slice of the roots in the body; any
//      carry whose argument is needed becomes live; repeat. So a carry that
//      only feeds its own next value (or a cycle of such carries) is dead,
//      while a carry anything live depends on is kept.
//   2. The yield keeps only live carries and live outputs; the dead results
//      are erased (results are renumbered).
//   3. dceBlock(body), now that the yield asks for less.
//   4. Body arguments with no uses left are dropped with their operands:
//      captures, dead carries (with their inits), and sequences, keeping at
//      least one sequence because it gives the scan its length T.
//      num_seq / num_carry / num_capture are updated.
//   Repeat 1-4 while the scan shrinks: step 1 counts a nested scan as one op
//   that needs all its operands, so a carry only a nested scan's dead part
//   read is found dead once step 3 has narrowed the nested scan.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/ScanUtils.h"

#include <cassert>
#include <tuple>
#include <unordered_set>

namespace rnnc::passes {

using namespace ir;

namespace {

bool anyResultUsed(const Operation &op) {
  for (unsigned i = 0; i < op.numResults(); ++i)
    if (op.result(i)->hasUses())
      return true;
  return false;
}

/// The values of `body` that `roots` depend on (including the roots): the
/// backward slice. An op is needed if any of its results is; then all of its
/// operands are (a nested scan counts as one op).
std::unordered_set<Value *> neededValues(Block &body,
                                         const std::vector<Value *> &roots) {
  std::unordered_set<Value *> needed(roots.begin(), roots.end());
  for (auto it = body.ops().rbegin(); it != body.ops().rend(); ++it) {
    Operation &op = **it;
    if (isTerminator(op.kind()))
      continue;
    bool isNeeded = false;
    for (unsigned i = 0; i < op.numResults() && !isNeeded; ++i)
      isNeeded = needed.count(op.result(i)) != 0;
    if (isNeeded)
      needed.insert(op.operands().begin(), op.operands().end());
  }
  return needed;
}

void dceBlock(Block &block);

void simplifyScan(Operation &scan) {
  ScanLayout l = scanLayout(scan);
  Block &body = *scan.region(0);
  if (!scanIsWellFormed(scan)) {
    dceBlock(body);
    return;
  }
  Operation *yield = body.terminator();
  unsigned numOut = yield->numOperands() - l.numCarry;

  // 1. Liveness of outputs and carries.
  std::vector<bool> liveOut(numOut), liveCarry(l.numCarry);
  for (unsigned k = 0; k < numOut; ++k)
    liveOut[k] = scan.result(k)->hasUses();
  for (unsigned c = 0; c < l.numCarry; ++c)
    liveCarry[c] = scan.result(numOut + c)->hasUses();
  for (bool changed = true; changed;) {
    std::vector<Value *> roots;
    for (unsigned c = 0; c < l.numCarry; ++c)
      if (liveCarry[c])
        roots.push_back(yield->operand(c));
    for (unsigned k = 0; k < numOut; ++k)
      if (liveOut[k])
        roots.push_back(yield->operand(l.numCarry + k));
    std::unordered_set<Value *> needed = neededValues(body, roots);
    changed = false;
    for (unsigned c = 0; c < l.numCarry; ++c)
      if (!liveCarry[c] && needed.count(body.arg(l.numSeq + c))) {
        liveCarry[c] = true;
        changed = true;
      }
  }

  // 2. Narrow the yield and the results.
  std::vector<Value *> yielded;
  for (unsigned c = 0; c < l.numCarry; ++c)
    if (liveCarry[c])
      yielded.push_back(yield->operand(c));
  for (unsigned k = 0; k < numOut; ++k)
    if (liveOut[k])
      yielded.push_back(yield->operand(l.numCarry + k));
  yield->setOperands(yielded);
  for (unsigned c = l.numCarry; c-- > 0;)
    if (!liveCarry[c])
      scan.eraseResult(numOut + c);
  for (unsigned k = numOut; k-- > 0;)
    if (!liveOut[k])
      scan.eraseResult(k);

  // 3. Dead code in the body.
  dceBlock(body);

  // 4. Unused arguments, with their operands.
  std::vector<bool> keepArg(body.numArgs(), true);
  unsigned seqsLeft = 0;
  for (unsigned i = 0; i < l.numSeq; ++i) {
    keepArg[i] = body.arg(i)->hasUses();
    seqsLeft += keepArg[i];
  }
  if (seqsLeft == 0)
    keepArg[0] = true; // the scan needs one sequence for its length T
  for (unsigned c = 0; c < l.numCarry; ++c) {
    unsigned a = l.numSeq + c;
    // A dead carry's argument is not needed by anything live, so step 3
    // removed every use of it.
    assert((liveCarry[c] || !body.arg(a)->hasUses()) && "dead carry in use");
    keepArg[a] = liveCarry[c];
  }
  for (unsigned j = 0; j < l.numCapture; ++j) {
    unsigned a = l.numSeq + l.numCarry + j;
    keepArg[a] = body.arg(a)->hasUses();
  }

  eraseScanInputs(scan, keepArg);
}

/// Repeats simplifyScan while it shrinks the scan: narrowing a nested scan
/// in step 3 can free one of this scan's carries, which step 1 had to keep
/// while the nested scan still read it.
void simplifyScanToFixedPoint(Operation &scan) {
  auto size = [&] {
    size_t nestedOps = 0;
    scan.region(0)->walk([&](Operation *) { ++nestedOps; });
    return std::make_tuple(scan.numOperands(), scan.numResults(), nestedOps);
  };
  for (auto before = size();;) {
    simplifyScan(scan);
    auto after = size();
    if (after == before)
      return;
    before = after;
  }
}

void dceBlock(Block &block) {
  std::vector<Operation *> ops;
  for (auto &op : block.ops())
    ops.push_back(op.get());
  for (auto it = ops.rbegin(); it != ops.rend(); ++it) {
    Operation *op = *it;
    if (isTerminator(op->kind()))
      continue;
    if (!anyResultUsed(*op)) {
      block.erase(op);
      continue;
    }
    if (op->kind() == OpKind::Scan)
      simplifyScanToFixedPoint(*op);
  }
}

class DCEPass : public FunctionPass {
public:
  std::string_view name() const override { return "dce"; }
  std::string_view description() const override {
    return "Remove unused ops and unused scan outputs, carries, captures and "
           "sequences";
  }
  Status runOnFunction(Function &fn) override {
    dceBlock(fn.body());
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Pass> createDCEPass() { return std::make_unique<DCEPass>(); }

} // namespace rnnc::passes
