//===- passes/GateFusion.cpp - One matmul per shared operand --------------===//
//
// An LSTM step written gate by gate multiplies x by four weights and h by
// four more: eight small products, each too small to use the machine. This
// pass turns products that share an operand into one product against the
// concatenated weights, then merges the per-gate sums and biases that follow
// into whole-width ops, so a step is one matmul per operand and one add:
//
//   i = sigmoid(Wi x + Ui h + bi) ...     P = x @ [Wi;Wf;Wg;Wo]^T
//                                   ->    Q = h @ [Ui;Uf;Ug;Uo]^T
//                                         S = P + Q + [bi,bf,bg,bo]
//                                         i = sigmoid(slice(S, 0, H)) ...
//
// The concatenations are of the original parameters, so parameters keep
// their names and layouts (checkpoints do not see the fused layout); inside
// a scan the concat is loop-invariant and hoist-input-projection moves it
// out of the loop, so it runs once per call.
//
// Algorithm, per block (the function body and every scan body), to a fixed
// point:
//  1. Products: matmul(a, W_k) with one left operand a, the same transpose
//     flags and distinct rank-2 right operands W_k (static along the output
//     dim) become F = matmul(a, concat(W_k)) (concat along 0 with
//     transpose_b, else 1) inserted before the first of them; each is then
//     slice(F, last axis, offset_k, n_k). Only W_k defined before the first
//     product join (a block is straight-line code).
//  2. Sums of matching slices: add(slice(P, ax, s, n), slice(Q, ax, s, n))
//     with P, Q of one type. Slices of one (P, Q, ax) that tile a contiguous
//     range [lo, hi) with at least two become S = add(P, Q) (or of the
//     [lo, hi) slices of P and Q when that is not all of ax), and each add
//     slice(S, ax, s - lo, n).
//  3. Biases of a tiling: add(slice(S, ax, s, n), c_k) where each c_k has
//     axis ax (right-aligned) of size n and broadcasts into the slice. Two or
//     more that tile [lo, hi) become S' = add(S or its [lo, hi) slice,
//     concat(c_k)) and each add slice(S', ax, s - lo, n).
// Each rewrite replaces at least two ops by one, so this terminates. Ops the
// rewrites leave unused (the old slices) are erased here; other dead code
// is dce's.
//
// Floating point: a fused product computes each element with the same dot
// product as before. Step 3 adds the bias to the summed slices instead of
// after them, which is the same order; the pipeline's reassociation of the
// bias is hoist-input-projection's (see there).
//
//===----------------------------------------------------------------------===//
#include "ir/Block.h"
#include "ir/Builder.h"
#include "passes/Passes.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace rnnc::passes {

using namespace ir;

namespace {

int64_t normAxis(int64_t axis, size_t rank) {
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

/// Positions of a block's ops, to tell whether a value is defined before a
/// point (block arguments are defined before everything).
class BlockOrder {
public:
  explicit BlockOrder(Block &block) : block(block) {
    int64_t i = 0;
    for (auto &op : block.ops())
      index[op.get()] = i++;
  }
  int64_t of(const Operation *op) const { return index.at(op); }
  /// A total order on the values of the block: arguments first, then
  /// results in op order (for a deterministic choice between two values).
  int64_t rankOf(const Value *v) const {
    if (v->isBlockArgument())
      return static_cast<int64_t>(v->argIndex()) - (1 << 30);
    return index.at(v->definingOp()) * 1024 + v->resultIndex();
  }
  bool definedBefore(const Value *v, int64_t pos) const {
    if (v->isBlockArgument())
      return v->ownerBlock() == &block;
    auto it = index.find(v->definingOp());
    return it != index.end() && it->second < pos;
  }

private:
  Block &block;
  std::unordered_map<const Operation *, int64_t> index;
};

/// Entries grouped by key, the groups in first-seen order.
template <typename Key, typename Entry> struct KeyedGroups {
  std::vector<std::pair<Key, std::vector<Entry>>> items;
  std::map<Key, size_t> index;
  void add(const Key &k, Entry e) {
    auto [it, fresh] = index.try_emplace(k, items.size());
    if (fresh)
      items.push_back({k, {}});
    items[it->second].second.push_back(std::move(e));
  }
};

/// A slice op's (operand, normalized axis, start, size), or nothing.
struct SliceOf {
  Value *of = nullptr;
  int64_t axis = 0, start = 0, size = 0;
};
std::optional<SliceOf> asSlice(Value *v) {
  Operation *op = v->definingOp();
  if (!op || op->kind() != OpKind::Slice)
    return std::nullopt;
  Value *x = op->operand(0);
  return SliceOf{x, normAxis(op->getInt("axis"), x->type().rank()),
                 op->getInt("start"), op->getInt("size")};
}

class GateFusion {
public:
  explicit GateFusion(Block &block) : block(block) {}

  void run() {
    for (bool changed = true; changed;)
      changed = fuseProducts() || mergeSlicedSums() || mergeSlicedBiases();
    // The slices and adds the rewrites bypassed, back to front so a chain
    // goes at once.
    std::vector<Operation *> ops;
    for (auto &op : block.ops())
      ops.push_back(op.get());
    for (auto it = ops.rbegin(); it != ops.rend(); ++it)
      if (bypassed.count(*it) && !(*it)->result(0)->hasUses()) {
        bypassed.erase(*it);
        block.erase(*it);
      }
  }

private:
  Block &block;
  std::unordered_set<Operation *> bypassed;

  void bypass(Operation *op, Value *with) {
    for (Value *v : op->operands())
      if (Operation *d = v->definingOp(); d && d->kind() == OpKind::Slice)
        bypassed.insert(d);
    op->result(0)->replaceAllUsesWith(with);
    block.erase(op);
  }

  /// Step 1.
  bool fuseProducts() {
    BlockOrder order(block);
    std::map<std::tuple<Value *, bool, bool>, std::vector<Operation *>> groups;
    std::vector<std::tuple<Value *, bool, bool>> keys; // first-seen order
    for (auto &op : block.ops()) {
      if (op->kind() != OpKind::MatMul || op->operand(1)->type().rank() != 2)
        continue;
      bool tb = op->getBool("transpose_b");
      if (!op->operand(1)->type().dim(tb ? 0 : 1).isStatic())
        continue;
      auto key =
          std::make_tuple(op->operand(0), op->getBool("transpose_a"), tb);
      auto &g = groups[key];
      if (g.empty())
        keys.push_back(key);
      g.push_back(op.get());
    }
    for (auto &key : keys) {
      std::vector<Operation *> &group = groups[key];
      if (group.size() < 2)
        continue;
      int64_t pos = order.of(group.front());
      std::vector<Operation *> members;
      std::unordered_set<Value *> rhsSeen;
      for (Operation *op : group)
        if (order.definedBefore(op->operand(1), pos) &&
            rhsSeen.insert(op->operand(1)).second)
          members.push_back(op);
      if (members.size() < 2)
        continue;
      auto [a, ta, tb] = key;
      std::vector<Value *> rhs;
      for (Operation *op : members)
        rhs.push_back(op->operand(1));
      Builder b;
      b.setInsertionPointBefore(group.front());
      b.setLoc(group.front()->loc());
      Value *cat = b.concat(rhs, tb ? 0 : 1);
      Value *fused = cat ? b.matmul(a, cat, ta, tb) : nullptr;
      if (!fused) {
        block.eraseBuilt({cat});
        continue;
      }
      int64_t last = static_cast<int64_t>(fused->type().rank()) - 1;
      int64_t offset = 0;
      for (Operation *op : members) {
        int64_t n = op->operand(1)->type().dim(tb ? 0 : 1).size;
        b.setInsertionPointBefore(op);
        Value *s = b.slice(fused, last, offset, n);
        op->result(0)->replaceAllUsesWith(s);
        block.erase(op);
        offset += n;
      }
      return true;
    }
    return false;
  }

  /// A maximal run of entries (sorted by start) tiling [lo, hi).
  template <typename Entry>
  static std::vector<std::vector<Entry>> tilingRuns(std::vector<Entry> es) {
    std::sort(es.begin(), es.end(),
              [](const Entry &x, const Entry &y) { return x.start < y.start; });
    std::vector<std::vector<Entry>> runs;
    for (const Entry &e : es) {
      if (!runs.empty() &&
          runs.back().back().start + runs.back().back().size == e.start)
        runs.back().push_back(e);
      else if (runs.empty() || runs.back().back().start != e.start)
        runs.push_back({e});
      // An entry starting where the previous one did is left alone.
    }
    std::erase_if(runs, [](const auto &r) { return r.size() < 2; });
    return runs;
  }

  /// `whole` if [lo, lo + size) is all of `axis`, else its slice there.
  static Value *rangeOf(Builder &b, Value *whole, int64_t axis, int64_t lo,
                        int64_t size) {
    if (lo == 0 && whole->type().dim(axis).isStatic() &&
        whole->type().dim(axis).size == size)
      return whole;
    return b.slice(whole, axis, lo, size);
  }

  struct SumEntry {
    Operation *add;
    int64_t start, size;
  };

  /// Step 2.
  bool mergeSlicedSums() {
    BlockOrder order(block);
    // Groups in the order their first add appears, so the result does not
    // depend on where values happen to be allocated.
    KeyedGroups<std::tuple<Value *, Value *, int64_t>, SumEntry> groups;
    for (auto &op : block.ops()) {
      if (op->kind() != OpKind::Add)
        continue;
      auto sa = asSlice(op->operand(0)), sb = asSlice(op->operand(1));
      if (!sa || !sb || sa->of == sb->of || sa->axis != sb->axis ||
          sa->start != sb->start || sa->size != sb->size ||
          sa->of->type() != sb->of->type())
        continue;
      Value *p = sa->of, *q = sb->of;
      if (order.rankOf(q) < order.rankOf(p))
        std::swap(p, q);
      groups.add({p, q, sa->axis}, {op.get(), sa->start, sa->size});
    }
    for (auto &[key, entries] : groups.items) {
      auto [p, q, axis] = key;
      for (auto &run : tilingRuns(entries)) {
        Operation *first = run.front().add;
        for (const SumEntry &e : run)
          if (order.of(e.add) < order.of(first))
            first = e.add;
        int64_t lo = run.front().start;
        int64_t hi = run.back().start + run.back().size;
        Builder b;
        b.setInsertionPointBefore(first);
        b.setLoc(first->loc());
        // One statement each: argument evaluation order is unspecified,
        // and the printed IR must not depend on the compiler.
        Value *pr = rangeOf(b, p, axis, lo, hi - lo);
        Value *qr = rangeOf(b, q, axis, lo, hi - lo);
        Value *sum = b.add(pr, qr);
        if (!sum)
          continue;
        for (const SumEntry &e : run) {
          b.setInsertionPointBefore(e.add);
          bypass(e.add, b.slice(sum, axis, e.start - lo, e.size));
        }
        return true;
      }
    }
    return false;
  }

  struct BiasEntry {
    Operation *add;
    int64_t start, size;
    Value *bias;
  };

  /// Step 3.
  bool mergeSlicedBiases() {
    BlockOrder order(block);
    // Keyed by the sliced value, the axis, and the bias's rank and axis.
    KeyedGroups<std::tuple<Value *, int64_t, size_t>, BiasEntry> groups;
    for (auto &op : block.ops()) {
      if (op->kind() != OpKind::Add)
        continue;
      for (unsigned side = 0; side < 2; ++side) {
        auto s = asSlice(op->operand(side));
        Value *c = op->operand(1 - side);
        if (!s || c->type().dtype() != DType::F32)
          continue;
        size_t rs = op->operand(side)->type().rank(), rc = c->type().rank();
        int64_t cAxis = s->axis - static_cast<int64_t>(rs - rc);
        if (rc > rs || cAxis < 0 || !c->type().dim(cAxis).isStatic() ||
            c->type().dim(cAxis).size != s->size ||
            op->result(0)->type() != op->operand(side)->type())
          continue;
        groups.add({s->of, s->axis, rc}, {op.get(), s->start, s->size, c});
        break;
      }
    }
    for (auto &[key, entries] : groups.items) {
      auto [of, axis, rc] = key;
      int64_t cAxis = axis - static_cast<int64_t>(of->type().rank() - rc);
      for (auto &run : tilingRuns(entries)) {
        Operation *first = run.front().add;
        for (const BiasEntry &e : run)
          if (order.of(e.add) < order.of(first))
            first = e.add;
        int64_t pos = order.of(first);
        std::vector<Value *> biases;
        for (const BiasEntry &e : run)
          biases.push_back(e.bias);
        if (!std::all_of(biases.begin(), biases.end(),
                         [&](Value *c) { return order.definedBefore(c, pos); }))
          continue;
        int64_t lo = run.front().start;
        int64_t hi = run.back().start + run.back().size;
        Builder b;
        b.setInsertionPointBefore(first);
        b.setLoc(first->loc());
        Value *cat = b.concat(biases, cAxis);
        if (!cat)
          continue;
        Value *base = rangeOf(b, of, axis, lo, hi - lo);
        Value *sum = base ? b.add(base, cat) : nullptr;
        if (!sum || sum->type() != base->type()) {
          // Leave the IR as it was: the ops just made have no uses.
          block.eraseBuilt({sum, base == of ? nullptr : base, cat});
          continue;
        }
        for (const BiasEntry &e : run) {
          b.setInsertionPointBefore(e.add);
          bypass(e.add, b.slice(sum, axis, e.start - lo, e.size));
        }
        return true;
      }
    }
    return false;
  }
};

void fuseBlock(Block &block) {
  for (auto &op : block.ops())
    for (unsigned r = 0; r < op->numRegions(); ++r)
      fuseBlock(*op->region(r));
  GateFusion(block).run();
}

class GateFusionPass : public FunctionPass {
public:
  std::string_view name() const override { return "gate-fusion"; }
  std::string_view description() const override {
    return "Fuse matmuls sharing an operand into one against concatenated "
           "weights, with their sums and biases";
  }
  Status runOnFunction(Function &fn) override {
    fuseBlock(fn.body());
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Pass> createGateFusionPass() {
  return std::make_unique<GateFusionPass>();
}

} // namespace rnnc::passes
