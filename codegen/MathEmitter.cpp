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
  /// 2^n for integer n in [-126, 127], built in the exponent field.
  llvm::Value *pow2(llvm::Value *n) {
    llvm::Value *bits = b.CreateShl(b.CreateAdd(n, ci(127)), ci(23));
    return b.CreateBitCast(bits, fTy);
  }
};

} // namespace

llvm::Value *emitExp(llvm::IRBuilderBase &b, llvm::Value *x) {
  MathBuilder m(b, x->getType());
  // exp overflows above ln(FLT_MAX) and underflows to 0 well below
  // ln(FLT_TRUE_MIN) = -103.3. maxnum/minnum also turn NaN into a bound; the
  // NaN is restored at the end.
  llvm::Value *xc =
      m.binary(llvm::Intrinsic::minnum, x, m.c(88.72283935546875));
  xc = m.binary(llvm::Intrinsic::maxnum, xc, m.c(-104.0));
  // n = round(x / ln 2); r = x - n ln 2 with ln 2 split in two so n*C1 is
  // exact; |r| <= ln(2)/2.
  llvm::Value *nf = m.unary(
      llvm::Intrinsic::floor,
      b.CreateFAdd(b.CreateFMul(xc, m.c(1.44269504088896341)), m.c(0.5)));
  llvm::Value *r = b.CreateFSub(xc, b.CreateFMul(nf, m.c(0.693359375)));
  r = b.CreateFSub(r, b.CreateFMul(nf, m.c(-2.12194440e-4)));
  llvm::Value *p =
      m.poly(r, {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3,
                 4.1665795894E-2, 1.6666665459E-1, 5.0000001201E-1});
  llvm::Value *r2 = b.CreateFMul(r, r);
  p = b.CreateFAdd(b.CreateFAdd(b.CreateFMul(p, r2), r), m.c(1.0));
  // 2^n as 2^(n/2) * 2^(n - n/2): n ranges over [-150, 128], beyond one
  // exponent field, and the product rounds to denormals or inf like libm.
  llvm::Value *n = b.CreateFPToSI(nf, m.iTy);
  llvm::Value *half = b.CreateAShr(n, m.ci(1));
  llvm::Value *rest = b.CreateSub(n, half);
  llvm::Value *y = b.CreateFMul(b.CreateFMul(p, m.pow2(half)), m.pow2(rest));
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, y);
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
  llvm::Value *smallR = b.CreateFAdd(b.CreateFMul(b.CreateFMul(p, z), x), x);
  // Large |x|: 1 - 2 / (e^{2|x|} + 1); beyond 9, tanh rounds to 1 in float.
  llvm::Value *axc = m.binary(llvm::Intrinsic::minnum, ax, m.c(9.0));
  llvm::Value *e2 = emitExp(b, b.CreateFAdd(axc, axc));
  llvm::Value *large = b.CreateFSub(
      m.c(1.0), b.CreateFDiv(m.c(2.0), b.CreateFAdd(e2, m.c(1.0))));
  large = b.CreateSelect(b.CreateFCmpOGT(ax, m.c(9.0)), m.c(1.0), large);
  llvm::Value *largeR = m.binary(llvm::Intrinsic::copysign, large, x);
  llvm::Value *r =
      b.CreateSelect(b.CreateFCmpOLT(ax, m.c(0.625)), smallR, largeR);
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, r);
}

llvm::Value *emitSigmoid(llvm::IRBuilderBase &b, llvm::Value *x) {
  MathBuilder m(b, x->getType());
  // e^-x overflows to inf for x < -88.7 and the quotient is then 0, as it
  // should be; NaN passes through.
  llvm::Value *e = emitExp(b, b.CreateFNeg(x));
  return b.CreateFDiv(m.c(1.0), b.CreateFAdd(m.c(1.0), e));
}

} // namespace rnnc::codegen
