//===- ir/Interpreter.h - The reference interpreter ------------*- C++ -*-===//
//
// Executes any verified function on concrete tensors, straightforwardly and
// without cleverness. It is the oracle that codegen and every pass are tested
// against. Symbolic dims (B, T, ...) are bound from the argument shapes; a
// shape that disagrees with an earlier binding, or a token id out of range, is
// a returned error, not a crash.
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
