//===- codegen/ScanRows.cpp - Which scans treat each batch row alone ------===//
//
// A scan whose every step computes row b of its results from row b of its
// inputs only (an LSTM's h and c at batch row b never see another row) can
// run as independent loops over time on disjoint rows, one per thread, with
// no hand-off between threads at any step (LowerScan.cpp, rnnc_scan_rows).
// The check is on types and ops: the batch dim B (dim 1 of the first
// sequence, symbolic) must be dim 0 of every value that has it and of no
// other dim, and every op of the body must keep rows apart:
//
//   elementwise ops and select    operands with B have the result's rank,
//                                 so broadcasting lines B up with B
//   matmul                        [B, K] x a weight without B (no transpose
//                                 of A), or batched over B on both sides
//   reduce_*, softmax, slice,     along any axis but 0
//   split, concat
//   reshape                       B stays dim 0 on both sides
//   transpose                     perm[0] == 0
//   constant                      with B
//
// An op with B in neither operands nor results (a constant, a slice of a
// captured bias) computes the same for every row; it is lowered once,
// before the rows split, as every thread would otherwise write its one
// buffer. Any other op is refused (casts and embeds report run-time
// errors, nested scans have regions).
// The reduction of a row's values across the batch, a bias gradient's
// reduce_sum over axis 0, is what usually stops a backward scan; the
// sink-accumulators pass moves those after the scan.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"

#include "ir/Block.h"

namespace rnnc::codegen {

namespace {

struct RowCheck {
  const std::string &sym;

  bool isB(const ir::Dim &d) const { return !d.isStatic() && d.sym == sym; }
  bool hasB(const ir::TensorType &t) const {
    for (const ir::Dim &d : t.dims())
      if (isB(d))
        return true;
    return false;
  }
  /// B at dim 0 and nowhere else.
  bool rowMajor(const ir::TensorType &t) const {
    if (t.rank() < 1 || !isB(t.dim(0)))
      return false;
    for (size_t k = 1; k < t.rank(); ++k)
      if (isB(t.dim(k)))
        return false;
    return true;
  }
  bool rowMajor(const ir::Value *v) const { return rowMajor(v->type()); }

  bool axisKeepsRows(const ir::Operation &op, size_t rank) const {
    return normalizedAxis(op, rank) != 0;
  }

  bool op(const ir::Operation &o) const {
    using ir::OpKind;
    if (o.numRegions() != 0)
      return false;
    const OpKind k = o.kind();
    // Work without rows (a slice of a captured bias) is the same for every
    // row: it runs once, before the split.
    bool rowFree = k != OpKind::Yield;
    for (const ir::Value *x : o.operands())
      rowFree = rowFree && !hasB(x->type());
    for (const ir::Value *r : o.results())
      rowFree = rowFree && !hasB(r->type());
    if (rowFree)
      return k != OpKind::Cast && k != OpKind::Embed &&
             k != OpKind::EmbedGrad && k != OpKind::OneHot &&
             k != OpKind::LengthMask && k != OpKind::CrossEntropy &&
             k != OpKind::Mse;
    for (const ir::Value *r : o.results())
      if (!rowMajor(r))
        return false;
    if (ir::isElementwise(k) || k == OpKind::Select) {
      size_t rank = o.result(0)->type().rank();
      for (const ir::Value *x : o.operands())
        if (hasB(x->type()) && (!rowMajor(x) || x->type().rank() != rank))
          return false;
      return true;
    }
    switch (k) {
    case OpKind::Constant:
      return true;
    case OpKind::MatMul: {
      if (isContractedSum(o))
        return false;
      const ir::Value *a = o.operand(0), *w = o.operand(1);
      size_t ra = a->type().rank(), rb = w->type().rank();
      if (!rowMajor(a))
        return false;
      if (rb == 2 && !hasB(w->type()))
        return ra > 2 || !o.getBool("transpose_a");
      return rb == ra && ra > 2 && rowMajor(w);
    }
    case OpKind::ReduceSum:
    case OpKind::ReduceMean:
    case OpKind::ReduceMax: {
      if (!rowMajor(o.operand(0)))
        return false;
      size_t rank = o.operand(0)->type().rank();
      for (int64_t axis : o.getInts("axes"))
        if (axis == 0 || axis == -static_cast<int64_t>(rank))
          return false;
      return true;
    }
    case OpKind::Softmax:
    case OpKind::LogSoftmax:
    case OpKind::Slice:
    case OpKind::Split:
      return rowMajor(o.operand(0)) &&
             axisKeepsRows(o, o.operand(0)->type().rank());
    case OpKind::Concat:
      for (const ir::Value *x : o.operands())
        if (!rowMajor(x))
          return false;
      return axisKeepsRows(o, o.result(0)->type().rank());
    case OpKind::Reshape:
      return rowMajor(o.operand(0));
    case OpKind::Transpose: {
      std::vector<int64_t> perm = o.getInts("perm");
      return rowMajor(o.operand(0)) && !perm.empty() && perm[0] == 0;
    }
    case OpKind::Yield:
      for (const ir::Value *x : o.operands())
        if (!rowMajor(x))
          return false;
      return true;
    default:
      return false;
    }
  }
};

} // namespace

std::optional<std::string> rowSplitSymbol(const ir::Operation &scan) {
  ir::ScanLayout l = ir::scanLayout(scan);
  if (scan.numRegions() != 1 || l.numSeq < 1 ||
      scan.numOperands() != l.numOperands())
    return std::nullopt;
  const ir::TensorType &seq0 = scan.operand(0)->type();
  if (seq0.rank() < 2 || seq0.dim(1).isStatic())
    return std::nullopt;
  const std::string sym = seq0.dim(1).sym;
  RowCheck check{sym};
  for (unsigned i = 0; i < l.numSeq; ++i) {
    const ir::TensorType &t = scan.operand(i)->type();
    if (t.rank() < 2 || !check.isB(t.dim(1)) || check.isB(t.dim(0)))
      return std::nullopt;
    for (size_t k = 2; k < t.rank(); ++k)
      if (check.isB(t.dim(k)))
        return std::nullopt;
  }
  for (unsigned i = 0; i < l.numCarry; ++i)
    if (!check.rowMajor(scan.operand(l.carryBegin() + i)))
      return std::nullopt;
  for (unsigned i = 0; i < l.numCapture; ++i) {
    const ir::Value *c = scan.operand(l.captureBegin() + i);
    if (check.hasB(c->type()) && !check.rowMajor(c))
      return std::nullopt;
  }
  if (l.hasLengths && !check.rowMajor(scan.operand(l.lengthsIndex())))
    return std::nullopt;
  const ir::Block &body = *scan.region(0);
  for (const auto &o : body.ops())
    if (!check.op(*o))
      return std::nullopt;
  return sym;
}

} // namespace rnnc::codegen
