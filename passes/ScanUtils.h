//===- passes/ScanUtils.h - Edits of scan ops shared by passes --*- C++ -*-===//
//
// A scan's operands line up with its body arguments (sequence i <-> step
// argument i, init c <-> carry argument c, capture j <-> capture argument j)
// and its num_seq / num_carry / num_capture attributes count the groups.
// Passes that narrow a scan (dce, canonicalize) keep all three in step here.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_PASSES_SCANUTILS_H
#define RNNC_PASSES_SCANUTILS_H

#include "ir/Operation.h"

#include <functional>

#include <vector>

namespace rnnc::passes {

/// True when the scan's operands, body arguments, yield and results agree
/// with its num_* attributes. Passes leave a malformed scan alone (the
/// verifier reports it).
bool scanIsWellFormed(const ir::Operation &scan);

/// Removes every body argument a with !keep[a] together with its operand,
/// and updates the num_* attributes; the lengths operand stays. Each removed
/// argument must be unused, and the final result of a removed carry must
/// already be erased (Operation::eraseResult). `keep` has one entry per body
/// argument.
void eraseScanInputs(ir::Operation &scan, const std::vector<bool> &keep);

/// Adds `outer` (a [T, ...] value of the scan's parent block, with the same
/// T as the other sequences) as the scan's last sequence and returns its new
/// step argument ([...]).
ir::Value *addScanSequence(ir::Operation &scan, ir::Value *outer);

/// Adds `outer` (a value of the scan's parent block) as the scan's last
/// capture and returns its new body argument.
ir::Value *addScanCapture(ir::Operation &scan, ir::Value *outer);

/// `t` with the scan's step count (dim 0 of its first sequence) in front:
/// the type of a per-step value lifted over all steps.
ir::TensorType overTime(const ir::Operation &scan, const ir::TensorType &t);

/// The operand rule for lifting an elementwise op (or select) over time:
/// per-step operands gain a leading T, so they must have the result's rank
/// for their T to line up with the result's; the others broadcast over T as
/// they broadcast over the step, so their rank may not exceed it.
bool liftableOperand(const ir::Value &operand, bool perStep,
                     const ir::TensorType &result);

/// Calls `fn` on every scan in `block` and in scan bodies nested in it,
/// innermost first, so work a pass moves out of an inner scan is seen by
/// the outer one.
void forEachScanInnermostFirst(ir::Block &block,
                               const std::function<void(ir::Operation &)> &fn);

} // namespace rnnc::passes

#endif // RNNC_PASSES_SCANUTILS_H
