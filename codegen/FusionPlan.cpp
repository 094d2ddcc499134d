//===- codegen/FusionPlan.cpp - Which elementwise ops share a loop --------===//
//
// planFusion (FusionPlan.h): one walk over a block in program order, keeping
// at most one open group per result type, each below kMaxGroupCost.
//
//===----------------------------------------------------------------------===//
#include "codegen/FusionPlan.h"

#include "ir/OpKind.h"

#include <unordered_map>

namespace rnnc::codegen {

bool isFusible(const ir::Operation &op) {
  if (!ir::isElementwise(op.kind()) && op.kind() != ir::OpKind::Select)
    return false;
  const ir::TensorType &out = op.result(0)->type();
  if (out.dtype() != DType::F32)
    return false;
  for (const ir::Value *v : op.operands())
    if (v->type().dtype() != DType::F32 || v->type().rank() > out.rank())
      return false;
  return true;
}

int64_t elementwiseCost(const ir::Operation &op) {
  switch (op.kind()) {
  case ir::OpKind::Exp:
  case ir::OpKind::Log:
  case ir::OpKind::Tanh:
  case ir::OpKind::Sigmoid:
    return 20;
  case ir::OpKind::Div:
  case ir::OpKind::Sqrt:
    return 4;
  default:
    return 1;
  }
}

namespace {

/// A slice or split whose every result is read only by fusible ops of
/// `block`: the group loops read it in place.
bool isView(const ir::Operation &op, const ir::Block &block) {
  if (op.kind() != ir::OpKind::Slice && op.kind() != ir::OpKind::Split)
    return false;
  if (op.operand(0)->type().dtype() != DType::F32)
    return false;
  for (unsigned r = 0; r < op.numResults(); ++r)
    for (const ir::Use &use : op.result(r)->uses())
      if (use.user->parentBlock() != &block || !isFusible(*use.user))
        return false;
  return true;
}

} // namespace

FusionPlan planFusion(const ir::Block &block, bool enable) {
  FusionPlan plan;
  size_t numOps = block.ops().size();
  plan.emitBefore.resize(numOps + 1);
  // The group computing each fused value, and the open group per type.
  std::unordered_map<const ir::Value *, unsigned> groupOf;
  std::vector<std::pair<ir::TensorType, unsigned>> open;
  std::vector<int64_t> groupCost; // per group

  auto close = [&](unsigned g, size_t at) {
    for (size_t i = 0; i < open.size(); ++i)
      if (open[i].second == g) {
        open.erase(open.begin() + i);
        plan.emitBefore[at].push_back(g);
        return;
      }
  };
  // Closes the open group computing `v`, if any, before op `at`.
  auto closeProducer = [&](const ir::Value *v, size_t at) {
    auto it = groupOf.find(v);
    if (it != groupOf.end())
      close(it->second, at);
  };

  size_t index = 0;
  for (const auto &opPtr : block.ops()) {
    const ir::Operation &op = *opPtr;
    size_t at = index++;
    if (!isFusible(op)) {
      if (enable && isView(op, block))
        plan.views.insert(&op);
      for (const ir::Value *v : op.operands())
        closeProducer(v, at);
      continue;
    }
    const ir::TensorType &type = op.result(0)->type();
    const int64_t cost = elementwiseCost(op);
    int joined = -1;
    if (enable)
      for (auto &[t, g] : open)
        if (t == type)
          joined = static_cast<int>(g);
    // A full group is emitted here; `op` starts the next one (which reads
    // the full group's values from memory).
    if (joined >= 0 && groupCost[joined] > 0 &&
        groupCost[joined] + cost > kMaxGroupCost) {
      close(static_cast<unsigned>(joined), at);
      joined = -1;
    }
    // A value of another open group is read from memory: that group must
    // be emitted first.
    for (const ir::Value *v : op.operands()) {
      auto it = groupOf.find(v);
      if (it != groupOf.end() && static_cast<int>(it->second) != joined)
        closeProducer(v, at);
    }
    if (joined < 0) {
      joined = static_cast<int>(plan.groups.size());
      plan.groups.emplace_back();
      groupCost.push_back(0);
      open.emplace_back(type, joined);
    }
    groupCost[joined] += cost;
    plan.groups[joined].ops.push_back(&op);
    plan.fused.insert(&op);
    groupOf[op.result(0)] = static_cast<unsigned>(joined);
    if (!enable)
      close(static_cast<unsigned>(joined), at + 1);
  }
  // Whatever is still open runs before the terminator (which reads it) or
  // at the end of the block.
  size_t end = numOps;
  if (numOps > 0 && ir::isTerminator(block.ops().back()->kind()))
    end = numOps - 1;
  while (!open.empty())
    close(open.front().second, end);
  return plan;
}

} // namespace rnnc::codegen
