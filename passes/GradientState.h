//===- passes/GradientState.h - State of one gradient build ----*- C++ -*-===//
//
// Internal to autodiff: what the function-level reverse sweep
// (passes/Autodiff.cpp) hands to the scan adjoint (passes/ScanAdjoint.cpp),
// and the value-copying helpers both use.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_PASSES_GRADIENTSTATE_H
#define RNNC_PASSES_GRADIENTSTATE_H

#include "passes/AdjointRules.h"

#include <unordered_map>

namespace rnnc::passes::ad {

/// Original value -> the value computing it in the code being built.
using ValueMap = std::unordered_map<const ir::Value *, ir::Value *>;

/// m[v], or null.
ir::Value *lookup(const ValueMap &m, const ir::Value *v);

/// Copies `op` (and its region) at b's insertion point, mapping operands
/// through `map` and recording its results. Existing entries are kept, so a
/// value already mapped (a saved activation) is not shadowed by its copy.
ir::Operation *cloneOp(ir::Builder &b, const ir::Operation &op, ValueMap &map);

inline bool isF32(const ir::Value *v) {
  return v->type().dtype() == DType::F32;
}

struct GradientState {
  ir::Builder &b;         // appends to the gradient function's body
  ValueMap &fwd;          // original value -> its forward copy
  const ValueSet &varied; // original values that get adjoints
  AdjointContext &top;    // the function-level adjoints
  bool recompute;         // GradientOptions::recompute
};

/// The adjoint of `scan` (an op of the original function): widens its forward
/// copy, builds the backward scan and accumulates into top's adjoints of the
/// scan's sequences, inits and captures. Nothing if no result has an adjoint.
Status emitScanAdjoint(GradientState &st, const ir::Operation &scan);

} // namespace rnnc::passes::ad

#endif // RNNC_PASSES_GRADIENTSTATE_H
