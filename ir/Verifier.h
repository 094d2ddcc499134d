//===- ir/Verifier.h - Structural and type checking of IR ------*- C++ -*-===//
//
// Checks that IR is well formed: every op's operands and results agree with
// its type rule (ir/TypeRules.h), uses come after definitions and stay in
// scope (a scan body sees only its own arguments and values), blocks end in
// the right terminator, and scans' carried values keep their types. Each
// problem is reported at the op's location, naming the op and the mismatch.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_VERIFIER_H
#define RNNC_IR_VERIFIER_H

#include "ir/Diagnostics.h"
#include "ir/Function.h"

namespace rnnc::ir {

/// True when well formed; otherwise false with errors in `diags`.
bool verifyFunction(const Function &fn, Diagnostics &diags);
bool verifyModule(const Module &module, Diagnostics &diags);

} // namespace rnnc::ir

#endif // RNNC_IR_VERIFIER_H
