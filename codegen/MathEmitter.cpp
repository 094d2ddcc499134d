//===- codegen/MathEmitter.cpp - exp, log, tanh, sigmoid as LLVM IR -------===//
//
// The coefficients are Cephes' single-precision ones (Stephen L. Moshier,
// Cephes Math Library), the same ones SSE/AVX math libraries such as
// avx_mathfun use. Everything is selects and arithmetic; there are no
// branches, so a vectorized loop stays straight-line.
//
//===----------------------------------------------------------------------===//
#include "codegen/MathEmitter.h"

#include "llvm/IR/Intrinsics.h"

namespace rnnc::codegen {

namespace {

/// Helpers that build constants of x's type (scalar or vector).
struct MathBuilder {
  llvm::IRBuilderBase &b;
  llvm::Type *fTy;
  llvm::Type *iTy;

  MathBuilder(llvm::IRBuilderBase &b, llvm::Type *type) : b(b), fTy(type) {
    iTy = type->getWithNewType(b.getInt32Ty());
  }
  llvm::Value *c(double v) { return llvm::ConstantFP::get(fTy, v); }
  llvm::Value *ci(int32_t v) { return llvm::ConstantInt::getSigned(iTy, v); }
  /// p(x) = coeffs[0] x^(n-1) + ... + coeffs[n-1], by Horner's rule with
  /// llvm.fmuladd: one FMA per step where the target has FMA (the gate
  /// math of an LSTM step ~15% faster), a multiply and an add elsewhere.
  llvm::Value *poly(llvm::Value *x, std::initializer_list<double> coeffs) {
    llvm::Value *acc = nullptr;
    for (double k : coeffs)
      acc = acc ? b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {fTy},
                                    {acc, x, c(k)})
                : c(k);
    return acc;
  }
  llvm::Value *unary(llvm::Intrinsic::ID id, llvm::Value *x) {
    return b.CreateUnaryIntrinsic(id, x);
  }
  llvm::Value *binary(llvm::Intrinsic::ID id, llvm::Value *x, llvm::Value *y) {
    return b.CreateBinaryIntrinsic(id, x, y);
  }
  /// a * b + c as one llvm.fmuladd: fused where the target has FMA, which
  /// also rounds once instead of twice.
  llvm::Value *fma(llvm::Value *a, llvm::Value *b2, llvm::Value *c) {
    return b.CreateIntrinsic(llvm::Intrinsic::fmuladd, {fTy}, {a, b2, c});
  }
  /// min(x, hi) and max(x, lo) as compare-and-select with x second, so a
  /// NaN x passes through (x86 vminps/vmaxps return their second operand
  /// when either is NaN, so each is one instruction). llvm.minnum would
  /// turn a NaN into the bound and need a compare and a blend to restore it.
  llvm::Value *atMost(llvm::Value *x, double hi) {
    return b.CreateSelect(b.CreateFCmpOGT(x, c(hi)), c(hi), x);
  }
  llvm::Value *atLeast(llvm::Value *x, double lo) {
    return b.CreateSelect(b.CreateFCmpOLT(x, c(lo)), c(lo), x);
  }
  /// 2^n for integer n in [-126, 127], built in the exponent field.
  llvm::Value *pow2(llvm::Value *n) {
    llvm::Value *bits = b.CreateShl(b.CreateAdd(n, ci(127)), ci(23));
    return b.CreateBitCast(bits, fTy);
  }
  /// e^x for x already clamped, as p(r) * 2^n with x = n ln 2 + r. With
  /// `wide`, n may fall outside one exponent field ([-150, 128] for x in
  /// [-104, 88.7]) and is applied in two halves, so the product rounds to a
  /// denormal or inf like libm; otherwise the caller keeps x within
  /// [-87, 88], where n lies in [-126, 127].
  llvm::Value *expCore(llvm::Value *xc, bool wide) {
    // n = round(x / ln 2) by adding 1.5 * 2^23: the sum's ulp is 1, so it
    // rounds to an integer and its low mantissa bits hold n (two's
    // complement, offset by 2^22). Subtracting the constant again gives n
    // as a float, exactly. Unlike floor and fptosi, this has no poison for
    // a NaN x: the bits are garbage, but p is NaN and so is the result.
    constexpr double kShifter = 12582912.0; // 1.5 * 2^23, bits 0x4B400000
    llvm::Value *t = fma(xc, c(1.44269504088896341), c(kShifter));
    llvm::Value *nf = b.CreateFSub(t, c(kShifter));
    llvm::Value *n = b.CreateSub(b.CreateBitCast(t, iTy), ci(0x4B400000));
    // r = x - n ln 2 with ln 2 split in two so n*C1 is exact; |r| <= ln(2)/2.
    llvm::Value *r = fma(nf, c(-0.693359375), xc);
    r = fma(nf, c(2.12194440e-4), r);
    llvm::Value *p =
        poly(r, {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3,
                 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1});
    p = b.CreateFAdd(fma(p, b.CreateFMul(r, r), r), c(1.0));
    if (!wide)
      return b.CreateFMul(p, pow2(n));
    llvm::Value *half = b.CreateAShr(n, ci(1));
    llvm::Value *rest = b.CreateSub(n, half);
    return b.CreateFMul(b.CreateFMul(p, pow2(half)), pow2(rest));
  }
};

} // namespace

llvm::Value *emitExp(llvm::IRBuilderBase &b, llvm::Value *x) {
  MathBuilder m(b, x->getType());
  // exp overflows above ln(FLT_MAX) and underflows to 0 well below
  // ln(FLT_TRUE_MIN) = -103.3. The clamps keep a NaN, and NaN arithmetic
  // gives NaN (its integer n is garbage, but p is NaN).
  return m.expCore(m.atLeast(m.atMost(x, 88.72283935546875), -104.0),
                   /*wide=*/true);
}

llvm::Value *emitLog(llvm::IRBuilderBase &b, llvm::Value *x) {
  MathBuilder m(b, x->getType());
  // Denormals: scale by 2^23 into the normal range and correct the exponent.
  llvm::Value *tiny = b.CreateFCmpOLT(x, m.c(1.17549435e-38));
  llvm::Value *xs = b.CreateSelect(tiny, b.CreateFMul(x, m.c(8388608.0)), x);
  llvm::Value *bias = b.CreateSelect(tiny, m.ci(126 + 23), m.ci(126));
  // x = mant * 2^e with mant in [0.5, 1).
  llvm::Value *bits = b.CreateBitCast(xs, m.iTy);
  llvm::Value *e = b.CreateSub(b.CreateLShr(bits, m.ci(23)), bias);
  llvm::Value *mant = b.CreateBitCast(
      b.CreateOr(b.CreateAnd(bits, m.ci(0x007fffff)), m.ci(0x3f000000)), m.fTy);
  // Move mant into [sqrt(1/2), sqrt(2)) so the polynomial argument is small.
  llvm::Value *small = b.CreateFCmpOLT(mant, m.c(0.707106781186547524));
  e = b.CreateSub(e, b.CreateSelect(small, m.ci(1), m.ci(0)));
  llvm::Value *z0 = b.CreateSelect(small, b.CreateFAdd(mant, mant), mant);
  llvm::Value *f = b.CreateFSub(z0, m.c(1.0));
  llvm::Value *ef = b.CreateSIToFP(e, m.fTy);
  llvm::Value *f2 = b.CreateFMul(f, f);
  llvm::Value *p =
      m.poly(f, {7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1,
                 -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
                 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1});
  llvm::Value *y = b.CreateFMul(b.CreateFMul(p, f), f2);
  y = b.CreateFAdd(y, b.CreateFMul(ef, m.c(-2.12194440e-4)));
  y = b.CreateFSub(y, b.CreateFMul(f2, m.c(0.5)));
  llvm::Value *r = b.CreateFAdd(f, y);
  r = b.CreateFAdd(r, b.CreateFMul(ef, m.c(0.693359375)));
  // Special values, as libm: log(0) = -inf, log(x < 0) = NaN, log(inf) = inf,
  // log(NaN) = NaN.
  llvm::Value *inf = m.c(std::numeric_limits<double>::infinity());
  r = b.CreateSelect(b.CreateFCmpOEQ(x, inf), inf, r);
  r = b.CreateSelect(b.CreateFCmpOEQ(x, m.c(0.0)),
                     m.c(-std::numeric_limits<double>::infinity()), r);
  r = b.CreateSelect(b.CreateFCmpULT(x, m.c(0.0)),
                     m.c(std::numeric_limits<double>::quiet_NaN()), r);
  return r;
}

llvm::Value *emitTanh(llvm::IRBuilderBase &b, llvm::Value *x) {
  MathBuilder m(b, x->getType());
  llvm::Value *ax = m.unary(llvm::Intrinsic::fabs, x);
  // Small |x|: x + x^3 P(x^2); the exp form would cancel catastrophically.
  llvm::Value *z = b.CreateFMul(x, x);
  llvm::Value *p =
      m.poly(z, {-5.70498872745E-3, 2.06390887954E-2, -5.37397155531E-2,
                 1.33314422036E-1, -3.33332819422E-1});
  llvm::Value *smallR = m.fma(b.CreateFMul(p, z), x, x);
  // Large |x|: 1 - 2 / (e^{2|x|} + 1). From |x| = 9 the quotient is below
  // half an ulp of 1 (2e^-18 = 3e-8), so clamping there gives exactly 1 and
  // keeps e^{2|x|} within one exponent field. A NaN passes every step.
  llvm::Value *axc = m.atMost(ax, 9.0);
  llvm::Value *e2 = m.expCore(b.CreateFAdd(axc, axc), /*wide=*/false);
  llvm::Value *large = b.CreateFSub(
      m.c(1.0), b.CreateFDiv(m.c(2.0), b.CreateFAdd(e2, m.c(1.0))));
  llvm::Value *largeR = m.binary(llvm::Intrinsic::copysign, large, x);
  return b.CreateSelect(b.CreateFCmpOLT(ax, m.c(0.625)), smallR, largeR);
}

llvm::Value *emitSigmoid(llvm::IRBuilderBase &b, llvm::Value *x) {
  MathBuilder m(b, x->getType());
  // e^-x within [e^-87, e^88]: below -87 the quotient rounds to 1 anyway,
  // and above 88 the result (at most 6e-39, a denormal) stays within
  // FLT_MIN of the true one, so one exponent field is enough. NaN passes
  // through the clamps and the arithmetic.
  llvm::Value *nx = m.atLeast(m.atMost(b.CreateFNeg(x), 88.0), -87.0);
  llvm::Value *e = m.expCore(nx, /*wide=*/false);
  return b.CreateFDiv(m.c(1.0), b.CreateFAdd(m.c(1.0), e));
}

} // namespace rnnc::codegen
