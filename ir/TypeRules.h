//===- ir/TypeRules.h - Result types of ops from their operands -*- C++ -*-===//
//
// The single place that knows each op's typing rule. The Builder uses it to
// give new ops their result types, the verifier to check ops read from text or
// rewritten by passes. A failure's message names the mismatch, e.g.
// "contracted dims differ: 256 vs 128".
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_TYPERULES_H
#define RNNC_IR_TYPERULES_H

#include "ir/Attribute.h"
#include "ir/OpKind.h"
#include "ir/Types.h"
#include "runtime/Result.h"

#include <vector>

namespace rnnc::ir {

class Block;

/// Result types of an op of `kind` with these operand types and attributes.
/// `body` is the scan's body block (its yield gives the per-step types); it is
/// ignored for other ops. Constant has no rule (its type is declared) and
/// terminators have no results.
Result<std::vector<TensorType>>
inferResultTypes(OpKind kind, const std::vector<TensorType> &operands,
                 const AttrMap &attrs, const Block *body = nullptr);

/// Numpy-style right-aligned broadcast of two shapes (a dim of 1 stretches).
Result<std::vector<Dim>> broadcastDims(const std::vector<Dim> &a,
                                       const std::vector<Dim> &b);

/// Normalizes a possibly negative axis against `rank`; error if out of range.
Result<int64_t> normalizeAxis(int64_t axis, size_t rank);

} // namespace rnnc::ir

#endif // RNNC_IR_TYPERULES_H
