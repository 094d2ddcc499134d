//===- tests/unit/AutodiffTestUtil.h - Gradient checks for autodiff tests -===//
//
// checkGradient builds fn's gradient function, runs it in the reference
// interpreter, and compares each gradient against finite differences of fn's
// loss, also run in the interpreter, with the five-point central stencil
//   fd = (-L(x+2h) + 8 L(x+h) - 8 L(x-h) + L(x-2h)) / (12 h)   (in double),
// per element for up to `maxElements` elements of each argument (spread over
// the tensor), plus one directional derivative along a pseudo-random
// direction v that covers every element: <grad, v> vs the stencil along v.
//
// Tolerance. The interpreter stores f32 (it accumulates in double), so L
// carries a rounding error of a few f32 ulps, ~2.4e-7 * |L| each; the stencil
// multiplies it by 18 / (12 h), ~1e-5 * |L| for h = 1e-2. Its truncation
// error is h^4 / 30 * |L^(5)|, ~1e-9 for inputs of order 1. So we require
//   |grad - fd| <= atol + rtol * |fd|,  atol = 1e-4 * max(1, |L|),
//   rtol = 1e-3
// (the directional check scales atol by sqrt(elements)); the largest error
// measured over these tests is 2e-5. A missing or doubled term is off by a
// relative O(1), so it cannot pass. Tests near a kink (relu at 0, ties of
// max/min) use a smaller h with atol scaled to the larger rounding error.
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
  double eps = 1e-2;
  double atol = 1e-4;
  double rtol = 1e-3;
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

/// The derivative of the loss along a perturbation of argument `a`:
/// `step(x, s)` adds s times the direction to x. Five-point central stencil
/// (-L(2h) + 8 L(h) - 8 L(-h) + L(-2h)) / (12 h).
template <typename Step>
double fdAlong(const ir::Function &fn, const std::vector<Tensor> &args,
               unsigned a, unsigned lossResult, double h, Step step) {
  auto at = [&](double s) {
    std::vector<Tensor> p = args;
    step(p[a].f32Vec(), s);
    return lossAt(fn, p, lossResult);
  };
  return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
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
           << "gradient function: " << got.error() << "\n"
           << os.str();
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
      double fd = fdAlong(fn, args, a, go.lossResult, co.eps,
                          [&](std::vector<float> &x, double s) {
                            x[e] += static_cast<float>(s);
                          });
      double want = g.at(e);
      if (!(std::fabs(want - fd) <= atol + co.rtol * std::fabs(fd)))
        return ::testing::AssertionFailure()
               << "arg " << a << " ('" << fn.arg(a)->name() << "') element "
               << e << ": gradient " << want << ", finite difference " << fd;
    }
    // Directional derivative along v over every element.
    std::vector<float> v = pseudoRandom(static_cast<size_t>(numel), 31 + a);
    double dot = 0;
    for (int64_t e = 0; e < numel; ++e)
      dot += g.at(e) * v[e];
    double fd = fdAlong(fn, args, a, go.lossResult, co.eps,
                        [&](std::vector<float> &x, double s) {
                          for (int64_t e = 0; e < numel; ++e)
                            x[e] += static_cast<float>(s * v[e]);
                        });
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
