//===- codegen/MathEmitter.h - exp, log, tanh, sigmoid as IR ---*- C++ -*-===//
//
// Branch-free polynomial approximations of the transcendental functions the
// elementwise ops need, emitted inline as plain float IR (no libm calls), so
// the loop vectorizer widens them to 8 lanes with the rest of a loop body.
// They work on float or <N x float> values alike. Accuracy (measured by
// tests/unit/MathApproxTest.cpp over dense sweeps, recorded in docs/codegen.md)
// is a few float ulps; special values (NaN, +-inf, 0, denormals) follow libm.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_MATHEMITTER_H
#define RNNC_CODEGEN_MATHEMITTER_H

#include "llvm/IR/IRBuilder.h"

namespace rnnc::codegen {

/// e^x: Cephes expf (range reduction by ln 2 in two parts, degree-6
/// polynomial), scaled by 2^n in two halves so no exponent field overflows.
llvm::Value *emitExp(llvm::IRBuilderBase &b, llvm::Value *x);
/// ln x: Cephes logf (mantissa in [sqrt(1/2), sqrt(2)), degree-9 polynomial);
/// denormal inputs are rescaled first.
llvm::Value *emitLog(llvm::IRBuilderBase &b, llvm::Value *x);
/// tanh x: an odd polynomial for |x| < 0.625 (Cephes tanhf), else
/// 1 - 2 / (e^{2|x|} + 1) with the sign restored; exactly +-1 beyond |x| > 9.
llvm::Value *emitTanh(llvm::IRBuilderBase &b, llvm::Value *x);
/// 1 / (1 + e^-x), with -x clamped to [-87, 88] (one exponent field).
llvm::Value *emitSigmoid(llvm::IRBuilderBase &b, llvm::Value *x);

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_MATHEMITTER_H
