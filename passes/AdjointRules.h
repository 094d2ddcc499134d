//===- passes/AdjointRules.h - Per-op adjoints for autodiff -----*- C++ -*-===//
//
// Internal to autodiff (passes/Autodiff.cpp). An AdjointContext holds the
// reverse-mode state of one straight-line block being differentiated: where
// the primal (forward) values live in the code being built, which original
// values are "varied" (depend on a differentiated argument), and the adjoint
// accumulated so far for each original value. emitAdjoint applies one op's
// rule (AdjointRules.cpp, the math beside each); scans are handled by the
// caller, which builds a reverse scan.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_PASSES_ADJOINTRULES_H
#define RNNC_PASSES_ADJOINTRULES_H

#include "ir/Builder.h"
#include "runtime/Result.h"

#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace rnnc::passes::ad {

using ValueSet = std::unordered_set<const ir::Value *>;

class AdjointContext {
public:
  using PrimalFn = std::function<ir::Value *(const ir::Value *)>;
  AdjointContext(ir::Builder &builder, PrimalFn primal, const ValueSet &varied)
      : b(builder), primalFn(std::move(primal)), varied(varied) {}

  ir::Builder &b;

  /// The value computing `orig` in the code being built. Every value a rule
  /// reads is recorded in primalsRead(), so a scan adjoint knows which
  /// forward activations its body needs (the candidates for saving).
  ir::Value *primal(const ir::Value *orig) {
    read.insert(orig);
    ir::Value *v = primalFn(orig);
    return filter && v ? filter(orig, v) : v;
  }
  /// Applied to every primal value a rule reads (the scan adjoint replaces
  /// padded rows by 1 so that no rule divides by a 0 there).
  std::function<ir::Value *(const ir::Value *, ir::Value *)> filter;
  const ValueSet &primalsRead() const { return read; }

  /// True when d loss / d orig is wanted: orig is f32 and depends on a
  /// differentiated argument.
  bool needs(const ir::Value *orig) const { return varied.count(orig) != 0; }
  /// The adjoint accumulated for `orig`, or null (zero).
  ir::Value *adjoint(const ir::Value *orig) const {
    auto it = adj.find(orig);
    return it == adj.end() ? nullptr : it->second;
  }
  /// adj[orig] += contribution (ignored unless needs(orig)); the contribution
  /// must have orig's type.
  Status accumulate(const ir::Value *orig, ir::Value *contribution);

  // Helpers the rules share.
  ir::Value *zeros(const ir::TensorType &type) { return b.constant(type, 0.0); }
  ir::Value *scalar(double v) { return b.constant(ir::TensorType::f32({}), v); }
  /// Sums a broadcast result's gradient back to an operand's shape: leading
  /// extra axes and axes where the operand has a static 1 are reduced.
  ir::Value *sumTo(ir::Value *g, const ir::TensorType &target);
  /// Materializes v broadcast to `type` (v's dims broadcast to it).
  ir::Value *broadcastTo(ir::Value *v, const ir::TensorType &type);
  /// Reshapes the result of a reduction over `axes` (without keepdims) of a
  /// value of `xType` so that it broadcasts against xType (the reduced axes
  /// become 1, or vanish when they are a leading prefix). Error when a
  /// symbolic dim would have to move.
  Result<ir::Value *> expandReduced(ir::Value *y, const ir::TensorType &xType,
                                    const std::vector<int64_t> &axes);

private:
  PrimalFn primalFn;
  const ValueSet &varied;
  ValueSet read;
  std::unordered_map<const ir::Value *, ir::Value *> adj;
};

/// True for ops the rules know (every op but scan and the terminators).
bool hasAdjointRule(ir::OpKind kind);

/// Emits the adjoint of `op` (not a scan): reads the adjoints of its results,
/// accumulates into its needed operands.
Status emitAdjoint(AdjointContext &ctx, const ir::Operation &op);

} // namespace rnnc::passes::ad

#endif // RNNC_PASSES_ADJOINTRULES_H
