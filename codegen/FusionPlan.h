//===- codegen/FusionPlan.h - Which elementwise ops share a loop -*- C++
//-*-===//
//
// Elementwise fusion, decided per block before it is lowered. Each
// elementwise op (unary, binary, select) joins a *group*: the ops of one
// group have the same result type and become one loop nest, each element
// computed through the whole chain in registers. A value gets a buffer only
// when something outside its group reads it (another op, a yield, the
// return); the rest never touch memory. An LSTM step's gate math, about a
// dozen ops and buffers, becomes one loop writing c and h.
//
// Groups are formed in program order. An op joins the open group of its
// shape; a group closes, and is emitted, just before the first op outside it
// that reads one of its values (so every external operand of a group is
// computed before the group, and every external reader after). Elementwise
// ops are pure, so emitting one later than its position changes nothing.
//
// A group is also closed when it would grow past kMaxGroupCost: LLVM's
// loop and scheduling passes take time quadratic in the size of one loop
// body (its memory accesses are compared in pairs), so a long elementwise
// chain (a cell of hundreds of statements) is several loops of bounded
// size, the values crossing a cut going through memory. Normal cells are
// far below the cap (an LSTM's gradient loop costs about 120).
//
// A slice or split whose results are read only by elementwise ops is a
// *view*: no copy, the loop reads the operand in place with its strides.
// That is how the gate slices of a fused [B, 4H] product cost nothing.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_FUSIONPLAN_H
#define RNNC_CODEGEN_FUSIONPLAN_H

#include "ir/Block.h"

#include <cstdint>
#include <unordered_set>
#include <vector>

namespace rnnc::codegen {

struct FusionGroup {
  /// The ops, in program order; all have the same result type.
  std::vector<const ir::Operation *> ops;
};

struct FusionPlan {
  std::vector<FusionGroup> groups;
  /// emitBefore[i]: the groups to emit just before the block's op i (the
  /// last entry, i == number of ops, is the end of a block without a
  /// terminator).
  std::vector<std::vector<unsigned>> emitBefore;
  /// Ops lowered as part of a group.
  std::unordered_set<const ir::Operation *> fused;
  /// Slices and splits read in place by the groups.
  std::unordered_set<const ir::Operation *> views;
};

/// Whether `op` can be part of a fused elementwise loop.
bool isFusible(const ir::Operation &op);

/// The estimated cost per element of a fusible op, in about vector
/// instructions: the inline transcendental functions are some twenty each.
int64_t elementwiseCost(const ir::Operation &op);

/// The most a fused group costs per element (elementwiseCost summed): a
/// dozen tanh-and-mul statements.
constexpr int64_t kMaxGroupCost = 256;

/// The fusion plan of `block` (not of its nested regions, which get their
/// own when they are lowered). With `enable` false every elementwise op is
/// a group of its own and no slice is a view: the unfused lowering.
FusionPlan planFusion(const ir::Block &block, bool enable = true);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_FUSIONPLAN_H
