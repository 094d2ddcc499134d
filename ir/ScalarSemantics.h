//===- ir/ScalarSemantics.h - What each elementwise op computes -*- C++ -*-===//
//
// The definition of every elementwise op on one scalar, in double. The
// reference interpreter applies these to f32 operands and rounds the result to
// f32; constant folding calls the same functions, so a folded constant equals
// what the unfolded program computes, bit for bit.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_SCALARSEMANTICS_H
#define RNNC_IR_SCALARSEMANTICS_H

#include "ir/OpKind.h"

namespace rnnc::ir {

/// The value of unary elementwise op `kind` at x (NaN for a non-unary kind).
double evalUnary(OpKind kind, double x);
/// The value of binary elementwise op `kind` at (x, y) (NaN for a non-binary
/// kind). NaN propagates through max and min, as in numpy.maximum/minimum.
double evalBinary(OpKind kind, double x, double y);

} // namespace rnnc::ir

#endif // RNNC_IR_SCALARSEMANTICS_H
