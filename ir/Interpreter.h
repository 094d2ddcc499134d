//===- ir/Interpreter.h - The reference interpreter ------------*- C++ -*-===//
//
// Executes any verified function on concrete tensors, straightforwardly and
// without cleverness. It is the oracle that codegen and every pass are tested
// against. Symbolic dims (B, T, ...) are bound from the argument shapes; a
// shape that disagrees with an earlier binding, or a token id out of range, is
// a returned error, not a crash.
//
// Semantics the op table leaves open are fixed here (and noted in Ops.def):
// values are stored as f32 but sums and products accumulate in double; max/min
// propagate NaN; cast f32 -> i32 of NaN or an out-of-range value is an error;
// one_hot of an out-of-range id is an all-zero row; lengths outside [0, T]
// (scan, length_mask) are errors; cross_entropy reads no target where the mask
// is 0, and an empty or all-zero-masked loss is 0. A scan with lengths needs
// every carry and output to be [B,...].
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_INTERPRETER_H
#define RNNC_IR_INTERPRETER_H

#include "ir/Function.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <vector>

namespace rnnc::ir {

/// Runs `fn` on `args` (one tensor per function argument, in order) and
/// returns the tensors its `return` gives.
Result<std::vector<Tensor>> interpret(const Function &fn,
                                      const std::vector<Tensor> &args);

} // namespace rnnc::ir

#endif // RNNC_IR_INTERPRETER_H
