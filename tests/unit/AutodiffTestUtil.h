//===- tests/unit/AutodiffTestUtil.h - Gradient checks for autodiff tests -===//
//
// checkGradient builds fn's gradient function, runs it in the reference
// interpreter, and compares each gradient against central finite differences
// of fn's loss, also run in the interpreter:
//   fd = (L(x + eps e) - L(x - eps e)) / (2 eps), computed in double.
// Per element for up to `maxElements` elements of each argument (spread over
// the tensor), plus one directional derivative along a pseudo-random
// direction v that covers every element: <grad, v> vs the FD along v.
//
// Tolerance. The interpreter stores f32 (it accumulates in double), so L
// carries a relative rounding error of a few f32 ulps, ~1e-7 * |L| per op
// and at most ~1e-6 * |L| for the small models here; divided by 2 eps with
// eps = 1e-3 that is ~5e-4 * |L| in fd. The truncation error of the central
// difference is eps^2 / 6 * |L'''| ~ 1e-7 for inputs of order 1. So
// |grad - fd| <= atol + rtol * |fd| with atol = 1e-3 * max(1, |L|) and
// rtol = 1e-2 is loose enough for rounding yet catches any wrong term (a
// missing or doubled contribution is off by a relative O(1)).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TESTS_UNIT_AUTODIFFTESTUTIL_H
#define RNNC_TESTS_UNIT_AUTODIFFTESTUTIL_H

#include "InterpreterTestUtil.h"
#include "ir/Interpreter.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/Autodiff.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace rnnc::test {

struct GradCheckOptions {
  double eps = 1e-3;
  double atol = 1e-3;
  double rtol = 1e-2;
  int64_t maxElements = 24;
};

/// fn's loss (result `lossResult`) at `args`, or NaN on an interpreter error.
inline double lossAt(const ir::Function &fn, const std::vector<Tensor> &args,
                     unsigned lossResult) {
  auto r = ir::interpret(fn, args);
  if (!r)
    return std::nan("");
  return (*r)[lossResult].at(0);
}

inline ::testing::AssertionResult
checkGradient(const ir::Function &fn, const std::vector<Tensor> &args,
              const passes::GradientOptions &go = {},
              GradCheckOptions co = {}) {
  auto grad = passes::buildGradient(fn, go);
  if (!grad)
    return ::testing::AssertionFailure() << "buildGradient: " << grad.error();
  ir::Diagnostics diags;
  if (!ir::verifyFunction(**grad, diags))
    return ::testing::AssertionFailure() << "verify: " << diags.str();
  auto base = ir::interpret(fn, args);
  if (!base)
    return ::testing::AssertionFailure() << "forward: " << base.error();
  auto got = ir::interpret(**grad, args);
  if (!got) {
    std::ostringstream os;
    ir::printFunction(**grad, os);
    return ::testing::AssertionFailure()
           << "gradient function: " << got.error() << "\n" << os.str();
  }
  auto wrt = passes::gradientArgs(fn, go);
  size_t n = base->size();
  if (got->size() != n + wrt->size())
    return ::testing::AssertionFailure()
           << "gradient function has " << got->size() << " results, want "
           << n + wrt->size();
  for (size_t i = 0; i < n; ++i)
    if (auto r = near((*got)[i], (*base)[i], 1e-5); !r)
      return ::testing::AssertionFailure()
             << "forward result " << i << " differs: " << r.message();
  double L = (*base)[go.lossResult].at(0);
  double atol = co.atol * std::max(1.0, std::fabs(L));
  for (size_t k = 0; k < wrt->size(); ++k) {
    unsigned a = (*wrt)[k];
    const Tensor &g = (*got)[n + k];
    if (g.shape() != args[a].shape())
      return ::testing::AssertionFailure()
             << "gradient of arg " << a << " is " << g.typeString();
    int64_t numel = args[a].numElements();
    int64_t count = std::min(numel, co.maxElements);
    for (int64_t c = 0; c < count; ++c) {
      int64_t e = count == numel ? c : (c * 7919) % numel;
      std::vector<Tensor> p = args, m = args;
      p[a].f32Data()[e] += static_cast<float>(co.eps);
      m[a].f32Data()[e] -= static_cast<float>(co.eps);
      // The step actually taken in f32.
      double h = static_cast<double>(p[a].f32Data()[e]) - m[a].f32Data()[e];
      double fd = (lossAt(fn, p, go.lossResult) - lossAt(fn, m, go.lossResult)) / h;
      double want = g.at(e);
      if (!(std::fabs(want - fd) <= atol + co.rtol * std::fabs(fd)))
        return ::testing::AssertionFailure()
               << "arg " << a << " ('" << fn.arg(a)->name() << "') element "
               << e << ": gradient " << want << ", finite difference " << fd;
    }
    // Directional derivative along v over every element.
    std::vector<float> v = pseudoRandom(static_cast<size_t>(numel), 31 + a);
    std::vector<Tensor> p = args, m = args;
    double dot = 0;
    for (int64_t e = 0; e < numel; ++e) {
      p[a].f32Data()[e] += static_cast<float>(co.eps * v[e]);
      m[a].f32Data()[e] -= static_cast<float>(co.eps * v[e]);
      dot += g.at(e) * v[e];
    }
    double fd = (lossAt(fn, p, go.lossResult) - lossAt(fn, m, go.lossResult)) /
                (2 * co.eps);
    double scale = std::sqrt(static_cast<double>(numel));
    if (!(std::fabs(dot - fd) <= scale * atol + co.rtol * std::fabs(fd)))
      return ::testing::AssertionFailure()
             << "arg " << a << " ('" << fn.arg(a)->name()
             << "') directional: <gradient, v> = " << dot
             << ", finite difference " << fd;
  }
  return ::testing::AssertionSuccess();
}

} // namespace rnnc::test

#endif // RNNC_TESTS_UNIT_AUTODIFFTESTUTIL_H
