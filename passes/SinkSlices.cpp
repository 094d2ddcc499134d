//===- passes/SinkSlices.cpp - Slice the operands, not the result ---------===//
//
// gate-fusion leaves an LSTM step computing the whole gate pre-activation
// and then slicing it per gate:
//
//   %z = add(%xw_t, %hu) : f32[B,4H]
//   %zi = slice(%z) {axis = 1, start = 0, size = H}   ... and three more
//
// Codegen fuses elementwise ops of one shape into one loop and reads a slice
// of a value in place (codegen/FusionPlan.h), but %z has another shape than
// the gate math after it, so it is a loop of its own writing [B,4H] to
// memory that the gate loop then reads back. Sinking the slices through it,
//
//   %zi = add(slice(%xw_t), slice(%hu)) : f32[B,H]   ... per gate
//
// puts every add in the gate loop and every slice on a value that is in
// memory anyway (the matmul's result, the step input), where it costs
// nothing.
//
// Rewrite: an elementwise op (unary, binary, select) whose every use is a
// slice or split of one block, all along one axis and together no larger
// than that axis (so no element is computed twice), is replaced by one copy
// per window applied to the same window of each operand. An operand that
// broadcasts along the axis (the dim is missing or a static 1) is used as
// it is. Repeated to a fixed point, so chains of such ops sink together;
// the op itself is then unused and erased. Values are unchanged exactly:
// each element is computed by the same operation on the same inputs. A
// window of an operand that is itself a window along the axis is taken
// from its source.
//
//===----------------------------------------------------------------------===//
#include "ir/Block.h"
#include "ir/Builder.h"
#include "passes/Passes.h"

#include <optional>

namespace rnnc::passes {

using namespace ir;

namespace {

/// What a result of a slice or split is: the window [start, start + size)
/// of `source` along `axis` (normalized); nothing for another value, a bad
/// axis, or a symbolic window size.
struct Window {
  Value *result, *source;
  int64_t axis, start, size;
};

std::optional<Window> asWindow(Value *v) {
  Operation *op = v->definingOp();
  if (!op || (op->kind() != OpKind::Slice && op->kind() != OpKind::Split))
    return std::nullopt;
  Value *src = op->operand(0);
  int64_t rank = static_cast<int64_t>(src->type().rank());
  int64_t axis = op->getInt("axis");
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank || !v->type().dim(axis).isStatic())
    return std::nullopt;
  int64_t size = v->type().dim(axis).size;
  int64_t start = op->kind() == OpKind::Slice ? op->getInt("start")
                                              : v->resultIndex() * size;
  return Window{v, src, axis, start, size};
}

/// The windows along a common axis that the slices and splits reading `v`
/// take; false if they are not all of that form.
bool windowsOf(const Value *v, const Block &block, int64_t &axis,
               std::vector<Window> &windows) {
  axis = -1;
  int64_t total = 0;
  for (const Use &use : v->uses()) {
    Operation *op = use.user;
    if (op->parentBlock() != &block ||
        (op->kind() != OpKind::Slice && op->kind() != OpKind::Split))
      return false;
    for (unsigned r = 0; r < op->numResults(); ++r) {
      std::optional<Window> w = asWindow(op->result(r));
      if (!w || (axis >= 0 && w->axis != axis))
        return false;
      axis = w->axis;
      windows.push_back(*w);
      total += w->size;
    }
  }
  const Dim &whole = v->type().dim(axis);
  return axis >= 0 && whole.isStatic() && total <= whole.size;
}

/// slice(x) {axis, start, size}, taken from x's own source when x is a
/// window of it along the same axis (a slice, or a part of a split), so no
/// slice of a slice is left: codegen reads a slice in place only when its
/// operand is in memory, and a slice whose reader is another slice is not.
Value *windowOf(Builder &b, Value *x, int64_t axis, int64_t start,
                int64_t size) {
  if (std::optional<Window> w = asWindow(x); w && w->axis == axis)
    return b.slice(w->source, axis, w->start + start, size);
  return b.slice(x, axis, start, size);
}

bool sinkOne(Block &block) {
  for (auto &opPtr : block.ops()) {
    Operation *op = opPtr.get();
    if ((!isElementwise(op->kind()) && op->kind() != OpKind::Select) ||
        op->numResults() != 1 || !op->result(0)->hasUses())
      continue;
    Value *v = op->result(0);
    int64_t axis;
    std::vector<Window> windows;
    if (!windowsOf(v, block, axis, windows))
      continue;
    size_t rank = v->type().rank();
    // Build every replacement first; give up cleanly if a type rule
    // refuses one (nothing is changed until all are built).
    std::vector<Operation *> built;
    std::vector<Value *> replacement;
    bool ok = true;
    for (const Window &w : windows) {
      Builder b;
      b.setInsertionPointBefore(w.result->definingOp());
      b.setLoc(op->loc());
      std::vector<Value *> operands;
      for (Value *x : op->operands()) {
        size_t lead = rank - x->type().rank();
        int64_t xa = axis - static_cast<int64_t>(lead);
        const Dim *d = xa >= 0 ? &x->type().dim(xa) : nullptr;
        if (!d || (d->isStatic() && d->size == 1)) {
          operands.push_back(x); // broadcast along the axis
          continue;
        }
        Value *s = windowOf(b, x, xa, w.start, w.size);
        if (!s) {
          ok = false;
          break;
        }
        built.push_back(s->definingOp());
        operands.push_back(s);
      }
      Operation *clone =
          ok ? b.create(op->kind(), operands, op->attrs()) : nullptr;
      if (!clone || clone->result(0)->type() != w.result->type()) {
        ok = false;
        if (clone)
          built.push_back(clone);
        break;
      }
      built.push_back(clone);
      replacement.push_back(clone->result(0));
    }
    if (!ok) {
      for (auto it = built.rbegin(); it != built.rend(); ++it)
        block.erase(*it);
      continue;
    }
    std::vector<Operation *> windowOps;
    for (size_t i = 0; i < windows.size(); ++i) {
      Operation *w = windows[i].result->definingOp();
      windows[i].result->replaceAllUsesWith(replacement[i]);
      if (windowOps.empty() || windowOps.back() != w)
        windowOps.push_back(w);
    }
    for (Operation *w : windowOps)
      block.erase(w);
    block.erase(op);
    return true;
  }
  return false;
}

void sinkIn(Block &block) {
  while (sinkOne(block)) {
  }
  for (auto &op : block.ops())
    for (unsigned r = 0; r < op->numRegions(); ++r)
      sinkIn(*op->region(r));
}

class SinkSlicesPass : public FunctionPass {
public:
  std::string_view name() const override { return "sink-slices"; }
  std::string_view description() const override {
    return "Slice the operands of an elementwise op that is only sliced, so "
           "each window joins the loop of the ops after it";
  }
  Status runOnFunction(Function &fn) override {
    sinkIn(fn.body());
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Pass> createSinkSlicesPass() {
  return std::make_unique<SinkSlicesPass>();
}

} // namespace rnnc::passes
