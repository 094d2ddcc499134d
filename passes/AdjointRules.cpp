//===- passes/AdjointRules.cpp - The adjoint of each op -------------------===//
//
// Reverse mode: given dy = d loss / d y for an op's results, each rule adds
// d loss / d x to every operand x that needs it. The math is beside each rule
// (docs/autodiff.md has the same table). Notation: dy is the adjoint of the
// result y; sumTo(g, x) sums g over the axes x was broadcast along.
//
// Rules build only from existing ops, so the gradient function needs nothing
// new from the interpreter or codegen. Comparisons (max, relu, reduce_max) are
// written with select on a difference: select(y - a, 0, 1) is 1 exactly where
// a attains y.
//
//===----------------------------------------------------------------------===//
#include "passes/AdjointRules.h"

#include "ir/TypeRules.h"

#include <algorithm>
#include <numeric>

namespace rnnc::passes::ad {

using namespace ir;

Status AdjointContext::accumulate(const Value *orig, Value *contribution) {
  if (!needs(orig))
    return Status::ok();
  if (!contribution)
    return makeError("autodiff: " + (b.failed() ? b.firstError()
                                                : std::string("null adjoint")));
  if (contribution->type() != orig->type())
    return makeError("autodiff: adjoint of type " + contribution->type().str() +
                     " for a value of type " + orig->type().str());
  Value *&slot = adj[orig];
  slot = slot ? b.add(slot, contribution) : contribution;
  return Status::ok();
}

Value *AdjointContext::sumTo(Value *g, const TensorType &target) {
  if (!g || g->type().dims() == target.dims())
    return g;
  const auto &gd = g->type().dims();
  size_t extra = gd.size() - target.rank();
  if (extra > 0) {
    std::vector<int64_t> lead(extra);
    std::iota(lead.begin(), lead.end(), 0);
    g = b.reduce(OpKind::ReduceSum, g, lead, false);
  }
  std::vector<int64_t> ones;
  for (size_t i = 0; i < target.rank(); ++i)
    if (target.dim(i) == Dim::fixed(1) && !(g->type().dim(i) == Dim::fixed(1)))
      ones.push_back(static_cast<int64_t>(i));
  if (!ones.empty())
    g = b.reduce(OpKind::ReduceSum, g, ones, true);
  return g;
}

Value *AdjointContext::broadcastTo(Value *v, const TensorType &type) {
  if (!v || v->type() == type)
    return v;
  return b.add(v, zeros(type));
}

Result<Value *>
AdjointContext::expandReduced(Value *y, const TensorType &xType,
                              const std::vector<int64_t> &axes) {
  size_t r = xType.rank();
  std::vector<bool> reduced(r, false);
  for (int64_t a : axes)
    reduced[a] = true;
  // A leading prefix of reduced axes needs nothing: broadcasting is
  // right-aligned, so y's dims already line up with the rest.
  size_t p = 0;
  while (p < r && reduced[p])
    ++p;
  bool anyLater =
      std::any_of(reduced.begin() + p, reduced.end(), [](bool x) { return x; });
  if (!anyLater)
    return y;
  std::vector<int64_t> shape;
  for (size_t i = p; i < r; ++i) {
    size_t j = i - p; // position in the reshaped result
    if (reduced[i]) {
      shape.push_back(1);
    } else if (xType.dim(i).isStatic()) {
      shape.push_back(xType.dim(i).size);
    } else if (j < y->type().rank() && y->type().dim(j) == xType.dim(i)) {
      shape.push_back(0); // copy the symbolic dim at the same position
    } else {
      return makeError("autodiff: cannot broadcast the gradient of a "
                       "reduction of " +
                       xType.str() + " back (a symbolic dim would move)");
    }
  }
  return b.reshape(y, shape);
}

bool hasAdjointRule(OpKind kind) {
  return kind != OpKind::Scan && !isTerminator(kind);
}

namespace {

std::vector<int64_t> normalizedAxes(const Operation &op, size_t rank) {
  std::vector<int64_t> axes;
  for (int64_t a : op.getInts("axes"))
    axes.push_back(a < 0 ? a + static_cast<int64_t>(rank) : a);
  return axes;
}

std::vector<int64_t> swapLastTwo(size_t rank) {
  std::vector<int64_t> perm(rank);
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

/// Sums over the leading (batch) axes of g until it has `rank`.
Value *sumLeading(Builder &b, Value *g, size_t rank) {
  if (!g || g->type().rank() == rank)
    return g;
  std::vector<int64_t> lead(g->type().rank() - rank);
  std::iota(lead.begin(), lead.end(), 0);
  return b.reduce(OpKind::ReduceSum, g, lead, false);
}

Value *oneHot(Builder &b, Value *ids, int64_t depth) {
  Operation *op = b.create(OpKind::OneHot, {ids}, {{"depth", depth}});
  return op ? op->result(0) : nullptr;
}

/// Sum of all elements (f32[]); a scalar is itself.
Value *sumAll(Builder &b, Value *v) {
  size_t r = v->type().rank();
  if (r == 0)
    return v;
  std::vector<int64_t> all(r);
  std::iota(all.begin(), all.end(), 0);
  return b.reduce(OpKind::ReduceSum, v, all, false);
}

/// reshape(v, [0, ..., 0, 1, ...]) to `rank`: v's dims then trailing 1s, so
/// a mask over leading dims broadcasts against the full tensor.
Value *padTrailing(Builder &b, Value *v, size_t rank) {
  if (v->type().rank() == rank)
    return v;
  std::vector<int64_t> shape(v->type().rank(), 0);
  shape.resize(rank, 1);
  return b.reshape(v, shape);
}

Status rule(AdjointContext &ctx, const Operation &op) {
  Builder &b = ctx.b;
  Value *dy = ctx.adjoint(op.result(0));
  auto x = [&](unsigned i) { return ctx.primal(op.operand(i)); };
  auto y = [&] { return ctx.primal(op.result(0)); };
  auto acc = [&](unsigned i, Value *g) {
    return ctx.accumulate(op.operand(i), g);
  };
  auto need = [&](unsigned i) { return ctx.needs(op.operand(i)); };
  const Value *x0 = op.operand(0);
  switch (op.kind()) {
  case OpKind::Constant:
  case OpKind::OneHot:
  case OpKind::LengthMask:
    return Status::ok(); // no differentiable operand
  case OpKind::Cast:
    // y = cast(x) to f32 from f32 is the identity; from i32 x is not varied.
    if (op.getString("to") == "f32" && x0->type().dtype() == DType::F32)
      return acc(0, dy);
    return Status::ok();
  // --- Elementwise unary ---
  case OpKind::Neg: // y = -x: dx = -dy
    return acc(0, b.unary(OpKind::Neg, dy));
  case OpKind::Exp: // y = exp(x): dx = dy * y
    return acc(0, b.mul(dy, y()));
  case OpKind::Log: // y = log(x): dx = dy / x
    return acc(0, b.div(dy, x(0)));
  case OpKind::Tanh: { // y = tanh(x): dx = dy * (1 - y^2)
    Value *yy = y();
    return acc(0, b.mul(dy, b.sub(ctx.scalar(1.0), b.mul(yy, yy))));
  }
  case OpKind::Sigmoid: { // y = sigmoid(x): dx = dy * y * (1 - y)
    Value *yy = y();
    return acc(0, b.mul(b.mul(dy, yy), b.sub(ctx.scalar(1.0), yy)));
  }
  case OpKind::Relu: // y = relu(x): dx = dy where y != 0 (x > 0), else 0
    return acc(0, b.select(y(), dy, ctx.scalar(0.0)));
  case OpKind::Sqrt: // y = sqrt(x): dx = dy / (2 y)
    return acc(0, b.div(b.mul(dy, ctx.scalar(0.5)), y()));
  // --- Elementwise binary (broadcasting: sumTo the operand's shape) ---
  case OpKind::Add: // y = a + b: da = dy, db = dy
    if (Status s = acc(0, ctx.sumTo(dy, x0->type())); !s)
      return s;
    return acc(1, ctx.sumTo(dy, op.operand(1)->type()));
  case OpKind::Sub: // y = a - b: da = dy, db = -dy
    if (Status s = acc(0, ctx.sumTo(dy, x0->type())); !s)
      return s;
    if (!need(1))
      return Status::ok();
    return acc(1, ctx.sumTo(b.unary(OpKind::Neg, dy), op.operand(1)->type()));
  case OpKind::Mul: // y = a * b: da = dy * b, db = dy * a
    if (need(0))
      if (Status s = acc(0, ctx.sumTo(b.mul(dy, x(1)), x0->type())); !s)
        return s;
    if (need(1))
      return acc(1, ctx.sumTo(b.mul(dy, x(0)), op.operand(1)->type()));
    return Status::ok();
  case OpKind::Div: { // y = a / b: da = dy / b, db = -dy * y / b
    Value *g = b.div(dy, x(1));
    if (Status s = acc(0, ctx.sumTo(g, x0->type())); !s)
      return s;
    if (!need(1))
      return Status::ok();
    return acc(1, ctx.sumTo(b.unary(OpKind::Neg, b.mul(g, y())),
                            op.operand(1)->type()));
  }
  case OpKind::Max:
  case OpKind::Min: { // y = max(a, b): da = dy where a == y, db = dy elsewhere
    // (a tie goes to a, a subgradient).
    Value *isB = b.sub(y(), x(0)); // != 0 exactly where b was taken
    Value *zero = ctx.scalar(0.0);
    if (need(0))
      if (Status s = acc(0, ctx.sumTo(b.select(isB, zero, dy), x0->type())); !s)
        return s;
    if (need(1))
      return acc(1, ctx.sumTo(b.select(isB, dy, zero), op.operand(1)->type()));
    return Status::ok();
  }
  case OpKind::Select: { // y = select(c, a, b): da = dy where c, db elsewhere
    Value *zero = ctx.scalar(0.0);
    if (need(1))
      if (Status s = acc(
              1, ctx.sumTo(b.select(x(0), dy, zero), op.operand(1)->type()));
          !s)
        return s;
    if (need(2))
      return acc(2, ctx.sumTo(b.select(x(0), zero, dy), op.operand(2)->type()));
    return Status::ok(); // c is a mask: no gradient
  }
  // --- Linear algebra ---
  case OpKind::MatMul: {
    // y = A @ B with A = a or a^T (transpose_a), B = b or b^T (transpose_b):
    //   dA = dy @ B^T, dB = A^T @ dy; da = dA (or dA^T), db = dB (or dB^T).
    // A 2-D b against a batched a gets dB summed over the batch dims.
    bool ta = op.getBool("transpose_a"), tb = op.getBool("transpose_b");
    const Value *bo = op.operand(1);
    if (need(0)) {
      Value *dA = b.matmul(dy, x(1), false, !tb); // dy @ B^T
      if (ta && dA)
        dA = b.transpose(dA, swapLastTwo(dA->type().rank()));
      if (Status s = acc(0, dA); !s)
        return s;
    }
    if (need(1)) {
      Value *dB = !tb ? b.matmul(x(0), dy, !ta, false) // A^T @ dy
                      : b.matmul(dy, x(0), true, ta);  // (A^T dy)^T = dy^T A
      return acc(1, sumLeading(b, dB, bo->type().rank()));
    }
    return Status::ok();
  }
  case OpKind::Concat: { // y = concat(x_i): dx_i = slice of dy at x_i's place
    int64_t rank = static_cast<int64_t>(op.result(0)->type().rank());
    int64_t axis = op.getInt("axis");
    if (axis < 0)
      axis += rank;
    int64_t off = 0;
    for (unsigned i = 0; i < op.numOperands(); ++i) {
      int64_t size = op.operand(i)->type().dim(axis).size;
      if (need(i))
        if (Status s = acc(i, b.slice(dy, axis, off, size)); !s)
          return s;
      off += size;
    }
    return Status::ok();
  }
  case OpKind::Split: { // ys = split(x): dx = concat(dy_i) (0 for unused parts)
    int64_t axis = op.getInt("axis");
    std::vector<Value *> parts;
    for (unsigned i = 0; i < op.numResults(); ++i) {
      Value *d = ctx.adjoint(op.result(i));
      parts.push_back(d ? d : ctx.zeros(op.result(i)->type()));
    }
    return acc(0, b.concat(parts, axis));
  }
  case OpKind::Slice: { // y = x[start:start+size] on axis: dx = dy padded by 0s
    const TensorType &xt = x0->type();
    int64_t axis = op.getInt("axis");
    if (axis < 0)
      axis += static_cast<int64_t>(xt.rank());
    int64_t start = op.getInt("start"), size = op.getInt("size");
    int64_t after = xt.dim(axis).size - start - size;
    std::vector<Value *> parts;
    auto pad = [&](int64_t n) {
      std::vector<Dim> d = xt.dims();
      d[axis] = Dim::fixed(n);
      parts.push_back(ctx.zeros(xt.withDims(d)));
    };
    if (start > 0)
      pad(start);
    parts.push_back(dy);
    if (after > 0)
      pad(after);
    return acc(0, parts.size() == 1 ? dy : b.concat(parts, axis));
  }
  case OpKind::Reshape: { // y = reshape(x): dx = reshape(dy, shape of x)
    const TensorType &xt = x0->type();
    std::vector<int64_t> shape;
    for (size_t i = 0; i < xt.rank(); ++i) {
      if (xt.dim(i).isStatic())
        shape.push_back(xt.dim(i).size);
      else if (i < dy->type().rank() && dy->type().dim(i) == xt.dim(i))
        shape.push_back(0);
      else
        return makeError("autodiff: cannot reshape the gradient of " +
                         dy->type().str() + " back to " + xt.str());
    }
    return acc(0, b.reshape(dy, shape));
  }
  case OpKind::Transpose: { // y = transpose(x, p): dx = transpose(dy, p^-1)
    std::vector<int64_t> perm = op.getInts("perm"), inv(perm.size());
    for (size_t i = 0; i < perm.size(); ++i)
      inv[perm[i]] = static_cast<int64_t>(i);
    return acc(0, b.transpose(dy, inv));
  }
  // --- Reductions and normalizations ---
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax: {
    const TensorType &xt = x0->type();
    std::vector<int64_t> axes = normalizedAxes(op, xt.rank());
    Value *dyK = dy, *yK = nullptr;
    if (!op.getBool("keepdims")) {
      auto e = ctx.expandReduced(dy, xt, axes);
      if (!e)
        return Status(Error{e.error()});
      dyK = *e;
    }
    if (op.kind() == OpKind::ReduceSum) // y = sum x: dx = dy broadcast
      return acc(0, ctx.broadcastTo(dyK, xt));
    if (op.kind() == OpKind::ReduceMean) { // y = mean x: dx = dy / n
      // n, the count of reduced elements, is a constant unless a reduced dim
      // is symbolic; then it is summed from ones at run time.
      bool staticCount = std::all_of(axes.begin(), axes.end(), [&](int64_t a) {
        return xt.dim(a).isStatic();
      });
      Value *n;
      if (staticCount) {
        double count = 1;
        for (int64_t a : axes)
          count *= static_cast<double>(xt.dim(a).size);
        n = ctx.scalar(count);
      } else {
        n = b.reduce(OpKind::ReduceSum, ctx.b.constant(xt, 1.0), axes, true);
      }
      return acc(0, ctx.broadcastTo(b.div(dyK, n), xt));
    }
    // y = max x: dx = dy * m / sum(m), m = (x == y): ties share the gradient.
    yK = y();
    if (!op.getBool("keepdims")) {
      auto e = ctx.expandReduced(yK, xt, axes);
      if (!e)
        return Status(Error{e.error()});
      yK = *e;
    }
    Value *m = b.select(b.sub(x(0), yK), ctx.scalar(0.0), ctx.scalar(1.0));
    Value *cnt = b.reduce(OpKind::ReduceSum, m, axes, true);
    return acc(0, b.div(b.mul(m, dyK), cnt));
  }
  case OpKind::Softmax: { // y = softmax(x): dx = y * (dy - sum(dy * y))
    Value *yy = y();
    int64_t axis = op.getInt("axis", -1);
    Value *s = b.reduce(OpKind::ReduceSum, b.mul(dy, yy), {axis}, true);
    return acc(0, b.mul(yy, b.sub(dy, s)));
  }
  case OpKind::LogSoftmax: { // y = log_softmax(x): dx = dy - exp(y) * sum(dy)
    int64_t axis = op.getInt("axis", -1);
    Value *s = b.reduce(OpKind::ReduceSum, dy, {axis}, true);
    return acc(0, b.sub(dy, b.mul(b.unary(OpKind::Exp, y()), s)));
  }
  // --- Tokens and losses ---
  case OpKind::Embed: {
    // y[p, :] = table[ids[p], :]: dtable[v, :] = sum of dy[p, :] over the
    // positions p with ids[p] = v, a scatter-add (embed_grad): O(positions *
    // E) work, where one_hot(ids)^T @ dy would be O(positions * V * E).
    if (!need(0))
      return Status::ok();
    Operation *g = b.create(OpKind::EmbedGrad, {x(1), dy},
                            {{"rows", x0->type().dim(0).size}});
    return acc(0, g ? g->result(0) : nullptr);
  }
  case OpKind::EmbedGrad: // y = embed_grad(ids, g): dg = embed(dy, ids)
    return acc(1, b.embed(dy, x(0)));
  case OpKind::CrossEntropy: {
    // L = sum_p m_p * nll_p / sum_p m_p (m = 1 unmasked):
    //   dlogits = dL * (softmax(logits) - one_hot(target)) * m / sum(m);
    //   0 when sum(m) = 0. The mask and targets get no gradient.
    if (!need(0))
      return Status::ok();
    const TensorType &lt = x0->type();
    if (!lt.dim(lt.rank() - 1).isStatic())
      return makeError("autodiff: cross_entropy needs a static class dim");
    Value *g =
        b.sub(b.softmax(x(0), -1), oneHot(b, x(1), lt.dim(lt.rank() - 1).size));
    Value *den;
    const TensorType &targetT = op.operand(1)->type();
    if (op.numOperands() == 3) {
      Value *m = x(2);
      den = sumAll(b, m);
      g = b.mul(g, padTrailing(b, m, lt.rank()));
    } else {
      den = sumAll(b, ctx.b.constant(targetT.withDType(DType::F32), 1.0));
    }
    den = b.select(den, den, ctx.scalar(1.0)); // 0/0 -> 0 when nothing counts
    return acc(0, b.mul(g, b.div(dy, den)));
  }
  case OpKind::Mse: {
    // L = sum(m * (p - t)^2) / (sum(m) * per-entry elements) (m = 1 unmasked):
    //   dp = dL * 2 (p - t) * m / den, dt = -dp; the mask gets no gradient.
    const TensorType &pt = x0->type();
    Value *diff = b.sub(x(0), x(1));
    Value *mB = nullptr, *den;
    if (op.numOperands() == 3) {
      mB = padTrailing(b, x(2), pt.rank());
      den = sumAll(b, ctx.broadcastTo(mB, pt));
    } else {
      den = sumAll(b, ctx.b.constant(pt, 1.0));
    }
    den = b.select(den, den, ctx.scalar(1.0));
    Value *g = b.mul(diff, b.div(b.mul(dy, ctx.scalar(2.0)), den));
    if (mB)
      g = b.mul(g, mB);
    if (Status s = acc(0, g); !s)
      return s;
    if (!need(1))
      return Status::ok();
    return acc(1, b.unary(OpKind::Neg, g));
  }
  default:
    return makeError("autodiff: no adjoint for '" + std::string(op.name()) +
                     "'");
  }
}

} // namespace

Status emitAdjoint(AdjointContext &ctx, const Operation &op) {
  bool anyAdj = false;
  for (unsigned i = 0; i < op.numResults(); ++i)
    anyAdj |= ctx.adjoint(op.result(i)) != nullptr;
  if (!anyAdj)
    return Status::ok();
  bool anyNeeded = false;
  for (const Value *v : op.operands())
    anyNeeded |= ctx.needs(v);
  if (!anyNeeded)
    return Status::ok();
  if (!hasAdjointRule(op.kind()))
    return makeError("autodiff: no adjoint for '" + std::string(op.name()) +
                     "'");
  // Ops with one result need its adjoint (split handles missing parts).
  if (op.kind() != OpKind::Split && !ctx.adjoint(op.result(0)))
    return Status::ok();
  Status s = rule(ctx, op);
  if (s && ctx.b.failed())
    return makeError("autodiff: building the adjoint of '" +
                     std::string(op.name()) + "': " + ctx.b.firstError());
  return s;
}

} // namespace rnnc::passes::ad
