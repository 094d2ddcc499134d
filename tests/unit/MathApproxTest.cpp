//===- tests/unit/MathApproxTest.cpp - Accuracy of exp/log/tanh/sigmoid ---===//
//
// Measures the polynomial approximations codegen emits (codegen/MathEmitter.h)
// against libm in double precision over dense sweeps, through the whole
// pipeline (lowered, O3-vectorized, JIT-compiled), and checks special values.
// The measured maxima are printed and recorded in docs/codegen.md; the bounds
// asserted here leave a small margin above them. Relative error is measured
// where the true result is a normal float, absolute error everywhere; "u" is
// the float unit roundoff 2^-24 (a correctly rounded result is within 1 u).
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include <cstdio>
#include <limits>

using namespace rnnc;
using namespace rnnc::test;

namespace {

const char *kMath = R"(
func @math(%x: f32[N]) -> (f32[N], f32[N], f32[N], f32[N]) {
  %e = exp(%x) : f32[N]
  %l = log(%x) : f32[N]
  %t = tanh(%x) : f32[N]
  %s = sigmoid(%x) : f32[N]
  return(%e, %l, %t, %s)
})";

enum Fn { Exp = 0, Log = 1, Tanh = 2, Sigmoid = 3 };

double reference(Fn f, double x) {
  switch (f) {
  case Exp:
    return std::exp(x);
  case Log:
    return std::log(x);
  case Tanh:
    return std::tanh(x);
  case Sigmoid:
    return 1.0 / (1.0 + std::exp(-x));
  }
  return 0;
}

struct ErrorStats {
  double maxAbs = 0, maxRel = 0, atAbs = 0, atRel = 0;
};

class MathApproxTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    module = parseIR(kMath).release();
    ASSERT_TRUE(module);
    auto c = codegen::compile(*module->functions().front());
    ASSERT_TRUE(c) << c.error();
    compiled = c.take().release();
  }
  static void TearDownTestSuite() {
    delete compiled;
    delete module;
  }

  /// Runs all four functions on `xs`.
  static std::vector<Tensor> run(const std::vector<float> &xs) {
    auto r =
        compiled->run({Tensor::f32({static_cast<int64_t>(xs.size())}, xs)});
    EXPECT_TRUE(r) << r.error();
    return r ? *r : std::vector<Tensor>();
  }

  /// Error of `f` over `n` evenly spaced points in [lo, hi].
  static ErrorStats sweep(Fn f, double lo, double hi, int64_t n,
                          bool logSpaced = false) {
    std::vector<float> xs(n);
    for (int64_t i = 0; i < n; ++i) {
      double u = static_cast<double>(i) / static_cast<double>(n - 1);
      xs[i] = static_cast<float>(
          logSpaced ? std::exp(std::log(lo) + u * std::log(hi / lo))
                    : lo + u * (hi - lo));
    }
    std::vector<Tensor> out = run(xs);
    ErrorStats s;
    if (out.empty())
      return s;
    const std::vector<float> &got = out[f].f32Vec();
    for (int64_t i = 0; i < n; ++i) {
      double want = reference(f, xs[i]);
      double abs = std::fabs(got[i] - want);
      if (!(abs <= s.maxAbs)) {
        s.maxAbs = abs;
        s.atAbs = xs[i];
      }
      if (std::fabs(want) >= std::numeric_limits<float>::min()) {
        double rel = abs / std::fabs(want);
        if (!(rel <= s.maxRel)) {
          s.maxRel = rel;
          s.atRel = xs[i];
        }
      }
    }
    return s;
  }

  static void report(const char *name, const ErrorStats &s) {
    std::printf("[ measured ] %-28s max abs %.3g (x = %.7g), max rel %.3g "
                "(x = %.7g) = %.2f u\n",
                name, s.maxAbs, s.atAbs, s.maxRel, s.atRel,
                s.maxRel / std::ldexp(1.0, -24));
  }

  static ir::Module *module;
  static codegen::CompiledFunction *compiled;
};

ir::Module *MathApproxTest::module = nullptr;
codegen::CompiledFunction *MathApproxTest::compiled = nullptr;

constexpr int64_t kPoints = 1 << 21;

TEST_F(MathApproxTest, Exp) {
  ErrorStats s = sweep(Exp, -87.3, 88.7, kPoints);
  report("exp [-87.3, 88.7]", s);
  EXPECT_LT(s.maxRel, 1.5e-7);
  ErrorStats unit = sweep(Exp, -1, 1, kPoints);
  report("exp [-1, 1]", unit);
  EXPECT_LT(unit.maxRel, 1.5e-7);
}

TEST_F(MathApproxTest, Log) {
  ErrorStats s = sweep(Log, 1e-37, 1e38, kPoints, /*logSpaced=*/true);
  report("log [1e-37, 1e38]", s);
  EXPECT_LT(s.maxRel, 1.5e-7);
  ErrorStats near1 = sweep(Log, 0.5, 2.0, kPoints);
  report("log [0.5, 2]", near1);
  EXPECT_LT(near1.maxAbs, 1e-7);
  ErrorStats denormal = sweep(Log, 1e-44, 1e-38, 4096, /*logSpaced=*/true);
  report("log denormals", denormal);
  EXPECT_LT(denormal.maxRel, 1.5e-7);
}

TEST_F(MathApproxTest, Tanh) {
  ErrorStats s = sweep(Tanh, -10, 10, kPoints);
  report("tanh [-10, 10]", s);
  EXPECT_LT(s.maxAbs, 1.5e-7);
  EXPECT_LT(s.maxRel, 2.5e-7);
  ErrorStats small = sweep(Tanh, -0.01, 0.01, kPoints);
  report("tanh [-0.01, 0.01]", small);
  EXPECT_LT(small.maxRel, 1.5e-7);
}

TEST_F(MathApproxTest, Sigmoid) {
  ErrorStats s = sweep(Sigmoid, -30, 30, kPoints);
  report("sigmoid [-30, 30]", s);
  EXPECT_LT(s.maxAbs, 1.5e-7);
  EXPECT_LT(s.maxRel, 2.5e-7);
}

TEST_F(MathApproxTest, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> xs = {0.0f,  -0.0f,  1.0f,    -1.0f,  inf,   -inf,  nan,
                           89.0f, -89.0f, -200.0f, 1e-45f, 20.0f, -20.0f};
  std::vector<Tensor> out = run(xs);
  ASSERT_EQ(out.size(), 4u);
  for (size_t i = 0; i < xs.size(); ++i) {
    for (Fn f : {Exp, Log, Tanh, Sigmoid}) {
      double want = reference(f, xs[i]);
      float wantF = static_cast<float>(want);
      float got = out[f].f32Vec()[i];
      if (std::isnan(wantF)) {
        EXPECT_TRUE(std::isnan(got)) << "fn " << f << " x = " << xs[i];
      } else if (std::fabs(want) < std::numeric_limits<float>::min()) {
        // Results below the normal range may flush to 0 (sigmoid(-89)).
        EXPECT_NEAR(got, want, std::numeric_limits<float>::min())
            << "fn " << f << " x = " << xs[i];
      } else if (std::isinf(wantF)) {
        EXPECT_EQ(got, wantF) << "fn " << f << " x = " << xs[i];
      } else {
        EXPECT_NEAR(got, want, 4e-7 * std::fabs(want))
            << "fn " << f << " x = " << xs[i];
      }
    }
  }
}

} // namespace
