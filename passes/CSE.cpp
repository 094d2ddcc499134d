//===- passes/CSE.cpp - Common subexpression elimination ------------------===//
//
// Two ops that compute the same function of the same values give the same
// result, and no op in the IR has a side effect, so the later one can be
// replaced by the earlier.
//
// Algorithm: for each block, walk its ops in order with a hash set of the ops
// seen so far, keyed by (kind, operands, attributes, result types). An op equal
// to one already seen has its results replaced by that op's results and is
// erased; the earlier op dominates it because both sit in one straight-line
// block. Constants are ops like any other, so equal constants of one type
// merge. `add` and `mul` are commutative (exactly, in IEEE arithmetic), so
// add(a, b) and add(b, a) are equal too.
//
// Scope: a scan body is isolated from above (it sees only its own arguments),
// so each body gets its own table and nothing merges across blocks. Ops with
// regions (scans) are never merged: comparing bodies is not worth it.
//
// Attribute floats compare by bit pattern, not by ==: 0.0 and -0.0 are
// different constants (1/x tells them apart), while two equal NaNs merge.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include <bit>
#include <cstdint>
#include <functional>
#include <unordered_set>

namespace rnnc::passes {

using namespace ir;

namespace {

bool isCommutative(OpKind kind) {
  return kind == OpKind::Add || kind == OpKind::Mul;
}

bool sameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

bool sameAttr(const Attribute &a, const Attribute &b) {
  if (a.index() != b.index())
    return false;
  if (const double *x = std::get_if<double>(&a))
    return sameBits(*x, std::get<double>(b));
  if (const DenseFloats *x = std::get_if<DenseFloats>(&a)) {
    const DenseFloats &y = std::get<DenseFloats>(b);
    if (x->values.size() != y.values.size())
      return false;
    for (size_t i = 0; i < x->values.size(); ++i)
      if (!sameBits(x->values[i], y.values[i]))
        return false;
    return true;
  }
  return a == b;
}

bool sameAttrs(const AttrMap &a, const AttrMap &b) {
  if (a.size() != b.size())
    return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib)
    if (ia->first != ib->first || !sameAttr(ia->second, ib->second))
      return false;
  return true;
}

size_t combine(size_t seed, size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2));
}

/// Consistent with sameAttr: floats hash by bit pattern.
size_t attrHash(const Attribute &attr) {
  size_t h = attr.index();
  if (const int64_t *v = std::get_if<int64_t>(&attr))
    return combine(h, std::hash<int64_t>()(*v));
  if (const double *v = std::get_if<double>(&attr))
    return combine(h, std::hash<uint64_t>()(std::bit_cast<uint64_t>(*v)));
  if (const bool *v = std::get_if<bool>(&attr))
    return combine(h, *v);
  if (const std::string *v = std::get_if<std::string>(&attr))
    return combine(h, std::hash<std::string>()(*v));
  if (const auto *v = std::get_if<std::vector<int64_t>>(&attr)) {
    for (int64_t x : *v)
      h = combine(h, std::hash<int64_t>()(x));
    return h;
  }
  for (double x : std::get<DenseFloats>(attr).values)
    h = combine(h, std::hash<uint64_t>()(std::bit_cast<uint64_t>(x)));
  return h;
}

struct OpHash {
  size_t operator()(const Operation *op) const {
    size_t h = std::hash<int>()(static_cast<int>(op->kind()));
    if (isCommutative(op->kind()) && op->numOperands() == 2) {
      // Order-independent, as equality is.
      h = combine(h, std::hash<const Value *>()(op->operand(0)) +
                         std::hash<const Value *>()(op->operand(1)));
    } else {
      for (const Value *v : op->operands())
        h = combine(h, std::hash<const Value *>()(v));
    }
    for (unsigned i = 0; i < op->numResults(); ++i)
      h = combine(h, std::hash<std::string>()(op->result(i)->type().str()));
    for (const auto &[name, attr] : op->attrs())
      h = combine(combine(h, std::hash<std::string>()(name)), attrHash(attr));
    return h;
  }
};

struct OpEqual {
  bool operator()(const Operation *a, const Operation *b) const {
    if (a == b)
      return true;
    if (a->kind() != b->kind() || a->numOperands() != b->numOperands() ||
        a->numResults() != b->numResults())
      return false;
    bool sameOperands = a->operands() == b->operands();
    if (!sameOperands && isCommutative(a->kind()) && a->numOperands() == 2)
      sameOperands =
          a->operand(0) == b->operand(1) && a->operand(1) == b->operand(0);
    if (!sameOperands)
      return false;
    for (unsigned i = 0; i < a->numResults(); ++i)
      if (a->result(i)->type() != b->result(i)->type())
        return false;
    return sameAttrs(a->attrs(), b->attrs());
  }
};

/// CSE within `block`, then within the body of each scan in it. Returns the
/// number of ops erased.
unsigned cseBlock(Block &block) {
  unsigned erased = 0;
  std::unordered_set<Operation *, OpHash, OpEqual> seen;
  for (auto it = block.ops().begin(); it != block.ops().end();) {
    Operation *op = (it++)->get();
    if (isTerminator(op->kind()))
      continue;
    if (op->numRegions() > 0) {
      for (unsigned r = 0; r < op->numRegions(); ++r)
        erased += cseBlock(*op->region(r));
      continue;
    }
    auto [existing, inserted] = seen.insert(op);
    if (inserted)
      continue;
    for (unsigned i = 0; i < op->numResults(); ++i)
      op->result(i)->replaceAllUsesWith((*existing)->result(i));
    block.erase(op);
    ++erased;
  }
  return erased;
}

class CSEPass : public FunctionPass {
public:
  std::string_view name() const override { return "cse"; }
  std::string_view description() const override {
    return "Merge identical ops within each block";
  }
  Status runOnFunction(Function &fn) override {
    cseBlock(fn.body());
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Pass> createCSEPass() { return std::make_unique<CSEPass>(); }

} // namespace rnnc::passes
