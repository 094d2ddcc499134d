//===- passes/Canonicalize.cpp - Constant folding and simplification ------===//
//
// Rewrites ops into simpler equivalent forms, so later passes (CSE, fusion,
// codegen) see less and more uniform IR.
//
// Algorithm: sweep every block (function body and scan bodies, recursively),
// trying the rewrites below on each op; repeat until a sweep changes nothing
// (a fixed point; every rewrite removes an op, shrinks one, or moves uses
// to an earlier value, so it ends).
// An op whose results were replaced is erased, and so are the ops that fed
// only it (e.g. the constants that were folded), so the output carries no
// debris; other unused ops are left for `dce`.
//
// Rewrites (each only when the replacement has exactly the op's result type:
// x[B,H] + 0[H] -> x is fine, x[H] + 0[B,H] -> x is not, it would change the
// shape):
//   constant folding  unary and binary elementwise ops, cast, reshape and
//                     transpose of constants: splats (any shape, symbolic
//                     too) fold to a splat; dense static constants of up to
//                     kMaxFoldElements elements fold to a dense constant.
//                     Results are rounded to f32, as the program's are.
//                     A dense constant whose elements are all equal becomes a
//                     splat.
//   identities        x+0, 0+x, x-0, x*1, 1*x, x/1 -> x; neg(neg(x)) -> x;
//                     max(x,x), min(x,x) -> x; select(c,x,x) -> x;
//                     select of a constant condition -> the chosen operand.
//   shape no-ops      reshape, slice, split into 1 part, reduce_* whose result
//                     type equals the operand's; transpose by the identity;
//                     concat of one operand; cast to the same dtype -> x.
//   shape chains      reshape(reshape(x)) -> reshape(x) when the outer shape
//                     copies no dims (no 0 entries); transpose(transpose(x))
//                     -> transpose(x) by the composed perm (or x);
//                     slice(slice(x)) and slice of a split part, along the
//                     same axis -> one slice of x at the summed start.
//   scans             the final value of a carry the body passes through
//                     unchanged is its init; a sequence or capture given
//                     twice gets one body argument.
//
// Floating-point policy: folds compute as the reference interpreter does
// (operands as f32, the op in double, the result rounded to f32), and the
// identities are exact in IEEE arithmetic, with one exception: signed zeros
// are not preserved (as with -fno-signed-zeros):
// x + 0 -> x and x - (-0) -> x give -0 where the program gave +0 for x = -0;
// no neural-network result depends on the sign of a zero. x * 0 -> 0 is NOT
// done: it is wrong for x = inf or NaN (the result is NaN), and a NaN must
// stay visible. max, min and relu are not folded on NaN inputs, whose result
// depends on the implementation.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "ir/Builder.h"
#include "ir/ScalarSemantics.h"
#include "passes/ScanUtils.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_set>

namespace rnnc::passes {

using namespace ir;

namespace {

/// Dense constants larger than this are not folded (it would bloat the IR).
constexpr int64_t kMaxFoldElements = 4096;

//===--- Constants --------------------------------------------------------===//

/// A read-only view of a constant op's value: a splat or static dense data.
struct ConstView {
  TensorType type;
  std::optional<double> splat;
  const std::vector<double> *dense = nullptr;

  /// Element at a row-major index of this constant's own shape.
  double at(int64_t flat) const { return splat ? *splat : (*dense)[flat]; }
  int64_t size() const { return splat ? 1 : (int64_t)dense->size(); }
  bool all(const std::function<bool(double)> &pred) const {
    for (int64_t i = 0; i < size(); ++i)
      if (!pred(at(i)))
        return false;
    return true;
  }
};

std::optional<ConstView> asConstant(const Value *v) {
  const Operation *op = v->definingOp();
  if (!op || op->kind() != OpKind::Constant)
    return std::nullopt;
  ConstView c{v->type(), std::nullopt, nullptr};
  if (op->hasAttr("value")) {
    c.splat = op->getFloat("value");
    return c;
  }
  const DenseFloats *d = op->getDense("values");
  if (!d || (int64_t)d->values.size() != v->type().staticNumElements())
    return std::nullopt; // malformed; the verifier reports it
  c.dense = &d->values;
  return c;
}

/// The value the program would compute with: an f32 constant holds floats.
float asF32(double v) { return static_cast<float>(v); }

bool isZero(const ConstView &c) {
  return c.all([](double v) { return asF32(v) == 0.0f; });
}
bool isOne(const ConstView &c) {
  return c.all([](double v) { return asF32(v) == 1.0f; });
}

/// The row-major values of `c` broadcast (numpy-style, right-aligned) to the
/// static shape `dims`.
std::vector<double> broadcastTo(const ConstView &c,
                                const std::vector<Dim> &dims) {
  int64_t n = 1;
  for (const Dim &d : dims)
    n *= d.size;
  std::vector<double> out(n);
  if (c.splat) {
    std::fill(out.begin(), out.end(), *c.splat);
    return out;
  }
  const std::vector<Dim> &src = c.type.dims();
  size_t offset = dims.size() - src.size();
  for (int64_t flat = 0; flat < n; ++flat) {
    // Decompose the result index; map each dim onto the source (size-1 dims
    // of the source stretch, so they contribute index 0).
    int64_t rest = flat, srcFlat = 0, srcStride = 1;
    for (size_t d = dims.size(); d-- > 0;) {
      int64_t idx = rest % dims[d].size;
      rest /= dims[d].size;
      if (d >= offset) {
        int64_t srcSize = src[d - offset].size;
        srcFlat += (srcSize == 1 ? 0 : idx) * srcStride;
        srcStride *= srcSize;
      }
    }
    out[flat] = c.at(srcFlat);
  }
  return out;
}

/// Creates a constant of `type` before `before`: a splat when all `values`
/// are the same bits (or there is one), else dense. Null if it cannot be
/// represented (a dense value of a symbolic or too large type).
Value *makeConstant(Operation *before, const TensorType &type,
                    const std::vector<double> &values) {
  bool uniform = true;
  for (double v : values)
    uniform = uniform && std::memcmp(&v, &values[0], sizeof v) == 0;
  Builder b;
  b.setInsertionPointBefore(before);
  b.setLoc(before->loc());
  Value *c = nullptr;
  if (uniform)
    c = b.constant(type, values[0]);
  else if (type.staticNumElements() == (int64_t)values.size())
    c = b.constantDense(type, values);
  // The folded value keeps the name of the value it replaces, so printed IR
  // stays readable.
  if (c && before->numResults() == 1)
    c->setName(before->result(0)->name());
  return c;
}

//===--- Elementwise arithmetic, as the program computes it ---------------===//

// Operands are f32 values; each op computes in double (ir/ScalarSemantics.h,
// shared with the reference interpreter) and rounds the result to f32, so a
// folded constant equals what the unfolded program computes.
// (For + - * / and sqrt this is also exactly the f32 operation.)

std::optional<double> foldUnary(OpKind kind, double x) {
  // relu(NaN) is left to run time: whether it is NaN or 0 is the backend's
  // choice (max-based code gives either), so folding would fix one answer.
  if (!isElementwiseUnary(kind) || (kind == OpKind::Relu && std::isnan(x)))
    return std::nullopt;
  return evalUnary(kind, x);
}

std::optional<double> foldBinary(OpKind kind, double a, double b) {
  // Likewise max/min with a NaN operand.
  if (!isElementwiseBinary(kind) ||
      ((kind == OpKind::Max || kind == OpKind::Min) &&
       (std::isnan(a) || std::isnan(b))))
    return std::nullopt;
  return evalBinary(kind, a, b);
}

/// Folds an elementwise op whose operands are all constants.
Value *foldElementwise(Operation *op) {
  std::vector<ConstView> in;
  for (Value *v : op->operands()) {
    auto c = asConstant(v);
    if (!c)
      return nullptr;
    in.push_back(*c);
  }
  const TensorType &type = op->result(0)->type();
  bool allSplat = true;
  for (const ConstView &c : in)
    allSplat = allSplat && c.splat.has_value();
  std::vector<std::vector<double>> args;
  if (allSplat) {
    for (const ConstView &c : in)
      args.push_back({*c.splat});
  } else {
    int64_t n = type.staticNumElements();
    if (n < 0 || n > kMaxFoldElements)
      return nullptr;
    for (const ConstView &c : in)
      args.push_back(broadcastTo(c, type.dims()));
  }
  std::vector<double> out(args[0].size());
  for (size_t i = 0; i < out.size(); ++i) {
    std::optional<double> r =
        in.size() == 1
            ? foldUnary(op->kind(), asF32(args[0][i]))
            : foldBinary(op->kind(), asF32(args[0][i]), asF32(args[1][i]));
    if (!r)
      return nullptr;
    out[i] = asF32(*r);
  }
  return makeConstant(op, type, out);
}

//===--- Rewrites ---------------------------------------------------------===//

/// `x` if it has exactly the type of op's (single) result, else null.
Value *ifSameType(Operation *op, Value *x) {
  return x->type() == op->result(0)->type() ? x : nullptr;
}

bool isConstantWhere(Value *v, bool (*pred)(const ConstView &)) {
  auto c = asConstant(v);
  return c && pred(*c);
}

//===--- Sums of zero-padded concatenations -------------------------===//

/// add(concat(.., x, 0, ..), concat(0, .., y, ..)) along one axis, where the
/// non-zero pieces of the two sides do not overlap, is one concat of those
/// pieces with zeros between them. Autodiff writes such sums: the adjoint of
/// each slice of a value is its gradient padded with zeros, and the slices'
/// adjoints are added (an LSTM's four gates give four padded [B, 4H] sums
/// per step instead of one concat).
Value *mergePaddedConcats(Operation *add) {
  Operation *ca = add->operand(0)->definingOp();
  Operation *cb = add->operand(1)->definingOp();
  const TensorType &type = add->result(0)->type();
  if (!ca || !cb || ca->kind() != OpKind::Concat ||
      cb->kind() != OpKind::Concat || add->operand(0)->type() != type ||
      add->operand(1)->type() != type)
    return nullptr;
  int64_t rank = static_cast<int64_t>(type.rank());
  auto axisOf = [&](Operation *c) {
    int64_t a = c->getInt("axis");
    return a < 0 ? a + rank : a;
  };
  int64_t axis = axisOf(ca);
  if (axis != axisOf(cb) || axis < 0 || axis >= rank)
    return nullptr;
  struct Piece {
    int64_t start, size;
    Value *v;
  };
  std::vector<Piece> pieces; // the non-zero ones of both sides
  for (Operation *c : {ca, cb}) {
    int64_t at = 0;
    for (Value *v : c->operands()) {
      const Dim &d = v->type().dim(axis);
      if (!d.isStatic())
        return nullptr;
      if (!isConstantWhere(v, isZero))
        pieces.push_back({at, d.size, v});
      at += d.size;
    }
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece &x, const Piece &y) { return x.start < y.start; });
  for (size_t i = 1; i < pieces.size(); ++i)
    if (pieces[i - 1].start + pieces[i - 1].size > pieces[i].start)
      return nullptr; // both sides non-zero somewhere: a real sum
  std::vector<Value *> parts;
  int64_t at = 0, end = type.dim(axis).size;
  auto zeros = [&](int64_t size) {
    std::vector<Dim> dims = type.dims();
    dims[axis] = Dim::fixed(size);
    return makeConstant(add, type.withDims(dims), {0.0});
  };
  for (const Piece &p : pieces) {
    if (p.start > at)
      parts.push_back(zeros(p.start - at));
    parts.push_back(p.v);
    at = p.start + p.size;
  }
  if (at < end)
    parts.push_back(zeros(end - at));
  for (Value *v : parts)
    if (!v)
      return nullptr;
  if (parts.size() == 1)
    return ifSameType(add, parts[0]);
  Builder b;
  b.setInsertionPointBefore(add);
  b.setLoc(add->loc());
  Value *merged = b.concat(parts, axis);
  if (merged && merged->type() != type) {
    add->parentBlock()->erase(merged->definingOp());
    return nullptr;
  }
  return merged;
}

Value *simplifyBinary(Operation *op) {
  Value *a = op->operand(0), *b = op->operand(1);
  Value *r = nullptr;
  switch (op->kind()) {
  case OpKind::Add:
    if (isConstantWhere(b, isZero))
      r = ifSameType(op, a);
    if (!r && isConstantWhere(a, isZero))
      r = ifSameType(op, b);
    if (!r)
      r = mergePaddedConcats(op);
    return r;
  case OpKind::Sub:
    return isConstantWhere(b, isZero) ? ifSameType(op, a) : nullptr;
  case OpKind::Mul:
    if (isConstantWhere(b, isOne))
      r = ifSameType(op, a);
    if (!r && isConstantWhere(a, isOne))
      r = ifSameType(op, b);
    return r;
  case OpKind::Div:
    return isConstantWhere(b, isOne) ? ifSameType(op, a) : nullptr;
  case OpKind::Max:
  case OpKind::Min:
    return a == b ? ifSameType(op, a) : nullptr;
  default:
    return nullptr;
  }
}

Value *simplifyCast(Operation *op) {
  Value *x = op->operand(0);
  DType to = op->result(0)->type().dtype();
  if (x->type().dtype() == to)
    return ifSameType(op, x);
  auto c = asConstant(x);
  if (!c || !c->splat)
    return nullptr;
  double v = *c->splat;
  if (to == DType::F32) { // i32 -> f32, exact for an integral i32 value
    if (v != std::trunc(v) || std::abs(v) > 2147483647.0)
      return nullptr;
    return makeConstant(op, op->result(0)->type(), {double(asF32(v))});
  }
  float f = asF32(v); // f32 -> i32 truncates; out of range is undefined
  if (!std::isfinite(f) || std::abs(std::trunc(f)) >= 2147483647.0)
    return nullptr;
  return makeConstant(op, op->result(0)->type(), {std::trunc(double(f))});
}

bool isIdentityPerm(const std::vector<int64_t> &perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != (int64_t)i)
      return false;
  return true;
}

/// Scan rewrites; true when the scan changed.
///  - A carry the body passes through unchanged (its next value is its own
///    argument) holds its init at every step, with or without lengths, so
///    its final result is the init.
///  - A sequence or capture given twice (the same operand) needs one body
///    argument: uses of the second go to the first, which is removed.
bool simplifyScan(Operation *scan) {
  if (!scanIsWellFormed(*scan))
    return false;
  ScanLayout l = scanLayout(*scan);
  Block &body = *scan->region(0);
  Operation *yield = body.terminator();
  unsigned numOut = yield->numOperands() - l.numCarry;
  bool changed = false;
  for (unsigned c = 0; c < l.numCarry; ++c) {
    Value *final = scan->result(numOut + c);
    if (yield->operand(c) == body.arg(l.numSeq + c) && final->hasUses()) {
      final->replaceAllUsesWith(scan->operand(l.carryBegin() + c));
      changed = true;
    }
  }
  std::vector<bool> keep(body.numArgs(), true);
  bool merged = false;
  auto mergeDuplicates = [&](unsigned begin, unsigned count) {
    for (unsigned i = begin; i < begin + count; ++i)
      for (unsigned j = i + 1; j < begin + count && keep[i]; ++j)
        if (keep[j] && scan->operand(j) == scan->operand(i)) {
          body.arg(j)->replaceAllUsesWith(body.arg(i));
          keep[j] = false;
          merged = true;
        }
  };
  mergeDuplicates(l.seqBegin(), l.numSeq);
  mergeDuplicates(l.captureBegin(), l.numCapture);
  if (merged)
    eraseScanInputs(*scan, keep);
  return changed || merged;
}

/// Rewrites in place that keep the op but simplify its operand (chains).
/// Returns true when the op changed.
bool simplifyInPlace(Operation *op) {
  if (op->kind() == OpKind::Scan)
    return simplifyScan(op);
  if (op->kind() == OpKind::Reshape) {
    Operation *inner = op->operand(0)->definingOp();
    if (!inner || inner->kind() != OpKind::Reshape)
      return false;
    for (int64_t s : op->getInts("shape"))
      if (s == 0)
        return false; // copies a dim of the inner result, by position
    op->setOperand(0, inner->operand(0));
    return true;
  }
  if (op->kind() == OpKind::Slice) {
    // A window of a window along the same axis is a window of the source:
    // codegen reads a slice in place only when its operand is in memory,
    // so a slice of a slice is otherwise copied (per step, in a scan).
    Value *y = op->operand(0);
    Operation *inner = y->definingOp();
    if (!inner ||
        (inner->kind() != OpKind::Slice && inner->kind() != OpKind::Split))
      return false;
    const int64_t rank = static_cast<int64_t>(y->type().rank());
    auto norm = [&](int64_t a) { return a < 0 ? a + rank : a; };
    const int64_t axis = norm(op->getInt("axis"));
    if (axis < 0 || axis >= rank || norm(inner->getInt("axis")) != axis)
      return false;
    int64_t offset;
    if (inner->kind() == OpKind::Slice) {
      offset = inner->getInt("start");
    } else {
      // Part r of a split into equal parts starts at r times its size.
      const Dim &part = y->type().dim(axis);
      if (!part.isStatic())
        return false;
      offset = static_cast<int64_t>(y->resultIndex()) * part.size;
    }
    op->setOperand(0, inner->operand(0));
    op->setAttr("start", offset + op->getInt("start"));
    return true;
  }
  if (op->kind() == OpKind::Transpose) {
    Operation *inner = op->operand(0)->definingOp();
    if (!inner || inner->kind() != OpKind::Transpose)
      return false;
    // Result dim i is inner dim outer[i], which is x dim inner[outer[i]].
    std::vector<int64_t> outer = op->getInts("perm"),
                         in = inner->getInts("perm");
    if (outer.size() != in.size())
      return false;
    std::vector<int64_t> composed;
    for (int64_t p : outer) {
      if (p < 0 || p >= (int64_t)in.size())
        return false;
      composed.push_back(in[p]);
    }
    op->setOperand(0, inner->operand(0));
    op->setAttr("perm", composed);
    return true;
  }
  if (op->kind() == OpKind::Constant && op->getDense("values")) {
    auto c = asConstant(op->result(0));
    if (!c || c->dense->empty())
      return false;
    double first = (*c->dense)[0];
    for (double v : *c->dense)
      if (std::memcmp(&v, &first, sizeof v) != 0)
        return false;
    op->attrs().erase("values");
    op->setAttr("value", first);
    return true;
  }
  return false;
}

/// The value `op` (single result) simplifies to, or null.
Value *simplify(Operation *op) {
  if (op->numResults() != 1 || op->numRegions() != 0)
    return nullptr;
  Value *x = op->numOperands() > 0 ? op->operand(0) : nullptr;
  if (isElementwise(op->kind())) {
    if (Value *folded = foldElementwise(op))
      return folded;
    if (isElementwiseBinary(op->kind()))
      return simplifyBinary(op);
    if (op->kind() == OpKind::Neg) {
      Operation *inner = x->definingOp();
      if (inner && inner->kind() == OpKind::Neg)
        return ifSameType(op, inner->operand(0));
    }
    return nullptr;
  }
  switch (op->kind()) {
  case OpKind::Select: {
    if (op->operand(1) == op->operand(2))
      return ifSameType(op, op->operand(1));
    auto cond = asConstant(x);
    if (!cond || !cond->splat)
      return nullptr;
    // a where cond != 0 (NaN != 0 too) else b.
    return ifSameType(op,
                      *cond->splat != 0.0 ? op->operand(1) : op->operand(2));
  }
  case OpKind::Cast:
    return simplifyCast(op);
  case OpKind::Reshape:
  case OpKind::Transpose: {
    if (op->kind() == OpKind::Transpose && isIdentityPerm(op->getInts("perm")))
      return ifSameType(op, x);
    if (op->kind() == OpKind::Reshape && ifSameType(op, x))
      return x;
    auto c = asConstant(x);
    if (c && c->splat) // every element is the same, whatever the layout
      return makeConstant(op, op->result(0)->type(), {*c->splat});
    if (c && op->kind() == OpKind::Reshape) // row-major data is unchanged
      return makeConstant(op, op->result(0)->type(), *c->dense);
    return nullptr;
  }
  case OpKind::Concat:
    return op->numOperands() == 1 ? ifSameType(op, x) : nullptr;
  case OpKind::Slice:
    return op->getInt("start") == 0 ? ifSameType(op, x) : nullptr;
  case OpKind::Split:
    return ifSameType(op, x); // one part: the whole of x
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
    // Same type: nothing reduced, or only size-1 dims kept with keepdims.
    return ifSameType(op, x);
  default:
    return nullptr;
  }
}

/// Erases `op` if none of its results is used, then the ops that fed only it,
/// transitively. A worklist with an erased set, because one producer can be
/// reached twice (sub(%c, %c), or through two paths).
void eraseIfDead(Operation *root) {
  std::vector<Operation *> work{root};
  std::unordered_set<Operation *> erased; // no op is created meanwhile, so
                                          // addresses are not reused
  while (!work.empty()) {
    Operation *op = work.back();
    work.pop_back();
    if (erased.count(op) || isTerminator(op->kind()))
      continue;
    bool used = false;
    for (unsigned i = 0; i < op->numResults() && !used; ++i)
      used = op->result(i)->hasUses();
    if (used)
      continue;
    for (Value *v : op->operands())
      if (Operation *def = v->definingOp())
        work.push_back(def);
    erased.insert(op);
    op->parentBlock()->erase(op);
  }
}

/// One sweep over `block` and the bodies of its scans; true if anything
/// changed.
bool sweep(Block &block) {
  bool changed = false;
  std::vector<Operation *> ops;
  for (auto &op : block.ops())
    ops.push_back(op.get());
  // Ops erased during the sweep all precede the op being rewritten (they
  // fed it), so the rest of `ops` stays valid.
  for (Operation *op : ops) {
    for (unsigned r = 0; r < op->numRegions(); ++r)
      changed |= sweep(*op->region(r));
    Operation *oldProducer =
        op->numOperands() > 0 ? op->operand(0)->definingOp() : nullptr;
    if (simplifyInPlace(op)) {
      // A chain rewrite may leave the inner op of the chain unused.
      if (oldProducer && oldProducer != op->operand(0)->definingOp())
        eraseIfDead(oldProducer);
      changed = true;
      continue;
    }
    Value *replacement = simplify(op);
    if (!replacement)
      continue;
    op->result(0)->replaceAllUsesWith(replacement);
    eraseIfDead(op);
    changed = true;
  }
  return changed;
}

class CanonicalizePass : public FunctionPass {
public:
  std::string_view name() const override { return "canonicalize"; }
  std::string_view description() const override {
    return "Fold constants and simplify algebraic identities";
  }
  Status runOnFunction(Function &fn) override {
    // Each rewrite removes an op or shrinks one, so this terminates; the
    // bound only guards against a future rewrite that undoes another.
    for (int i = 0; i < 1000; ++i)
      if (!sweep(fn.body()))
        return Status::ok();
    return makeError("canonicalize did not reach a fixed point");
  }
};

} // namespace

std::unique_ptr<Pass> createCanonicalizePass() {
  return std::make_unique<CanonicalizePass>();
}

} // namespace rnnc::passes
