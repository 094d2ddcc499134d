//===- passes/ScanUtils.cpp - Edits of scan ops shared by passes ----------===//
#include "passes/ScanUtils.h"

#include "ir/Block.h"

namespace rnnc::passes {

using namespace ir;

bool scanIsWellFormed(const Operation &scan) {
  if (scan.kind() != OpKind::Scan || scan.numRegions() != 1)
    return false;
  ScanLayout l = scanLayout(scan);
  if (scan.numOperands() != l.numOperands())
    return false;
  const Block *body = scan.region(0);
  const Operation *yield = body->terminator();
  if (!yield || yield->kind() != OpKind::Yield)
    return false;
  if (body->numArgs() != l.numSeq + l.numCarry + l.numCapture)
    return false;
  return yield->numOperands() >= l.numCarry &&
         scan.numResults() == yield->numOperands();
}

void eraseScanInputs(Operation &scan, const std::vector<bool> &keep) {
  ScanLayout l = scanLayout(scan);
  Block &body = *scan.region(0);
  std::vector<Value *> operands;
  ScanLayout kept;
  for (unsigned a = 0; a < keep.size(); ++a) {
    if (!keep[a])
      continue;
    operands.push_back(scan.operand(a)); // argument a <-> operand a
    if (a < l.carryBegin())
      ++kept.numSeq;
    else if (a < l.captureBegin())
      ++kept.numCarry;
    else
      ++kept.numCapture;
  }
  if (l.hasLengths)
    operands.push_back(scan.operand(l.lengthsIndex()));
  scan.setOperands(operands);
  for (unsigned a = static_cast<unsigned>(keep.size()); a-- > 0;)
    if (!keep[a])
      body.eraseArg(a);
  scan.setAttr("num_seq", static_cast<int64_t>(kept.numSeq));
  scan.setAttr("num_carry", static_cast<int64_t>(kept.numCarry));
  scan.setAttr("num_capture", static_cast<int64_t>(kept.numCapture));
}

Value *addScanSequence(Operation &scan, Value *outer) {
  ScanLayout l = scanLayout(scan);
  std::vector<Value *> operands = scan.operands();
  operands.insert(operands.begin() + l.numSeq, outer);
  scan.setOperands(operands);
  const TensorType &t = outer->type();
  std::vector<Dim> step(t.dims().begin() + 1, t.dims().end());
  Value *arg = scan.region(0)->insertArg(l.numSeq, t.withDims(std::move(step)));
  scan.setAttr("num_seq", static_cast<int64_t>(l.numSeq + 1));
  return arg;
}

Value *addScanCapture(Operation &scan, Value *outer) {
  ScanLayout l = scanLayout(scan);
  std::vector<Value *> operands = scan.operands();
  operands.insert(operands.begin() + l.lengthsIndex(), outer);
  scan.setOperands(operands);
  Value *arg = scan.region(0)->addArg(outer->type());
  scan.setAttr("num_capture", static_cast<int64_t>(l.numCapture + 1));
  return arg;
}

TensorType overTime(const Operation &scan, const TensorType &t) {
  std::vector<Dim> dims{scan.operand(0)->type().dim(0)};
  dims.insert(dims.end(), t.dims().begin(), t.dims().end());
  return t.withDims(std::move(dims));
}

bool liftableOperand(const Value &operand, bool perStep,
                     const TensorType &result) {
  size_t rank = operand.type().rank();
  return perStep ? rank == result.rank() : rank <= result.rank();
}

void forEachScanInnermostFirst(Block &block,
                               const std::function<void(Operation &)> &fn) {
  std::vector<Operation *> scans;
  for (auto &op : block.ops())
    if (op->kind() == OpKind::Scan)
      scans.push_back(op.get());
  for (Operation *scan : scans) {
    forEachScanInnermostFirst(*scan->region(0), fn);
    fn(*scan);
  }
}

} // namespace rnnc::passes
