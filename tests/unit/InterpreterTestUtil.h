//===- tests/unit/InterpreterTestUtil.h - Helpers for interpreter tests ---===//
//
// Small helpers shared by the interpreter's unit tests: shorthand for dims and
// types, tensor construction, and an element-by-element comparison that
// reports the first mismatching index.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TESTS_UNIT_INTERPRETERTESTUTIL_H
#define RNNC_TESTS_UNIT_INTERPRETERTESTUTIL_H

#include "ir/Builder.h"
#include "ir/Interpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace rnnc::test {

using ir::Dim;
using ir::TensorType;

inline Dim N(int64_t n) { return Dim::fixed(n); }
inline Dim S(const char *name) { return Dim::symbolic(name); }
inline TensorType f32t(std::vector<Dim> dims) {
  return TensorType::f32(std::move(dims));
}
inline TensorType i32t(std::vector<Dim> dims) {
  return TensorType::i32(std::move(dims));
}

inline Tensor tf(std::vector<int64_t> shape, std::vector<float> data) {
  return Tensor::f32(std::move(shape), std::move(data));
}
inline Tensor ti(std::vector<int64_t> shape, std::vector<int32_t> data) {
  return Tensor::i32(std::move(shape), std::move(data));
}

/// Checks shape, dtype and every element of `got` against `want`.
inline ::testing::AssertionResult near(const Tensor &got, const Tensor &want,
                                       double tol = 1e-6) {
  if (got.dtype() != want.dtype() || got.shape() != want.shape())
    return ::testing::AssertionFailure()
           << "got " << got.typeString() << ", want " << want.typeString();
  for (int64_t k = 0; k < want.numElements(); ++k) {
    double g = got.at(k), w = want.at(k);
    bool same = (std::isnan(g) && std::isnan(w)) || g == w ||
                std::fabs(g - w) <= tol * std::max(1.0, std::fabs(w));
    if (!same)
      return ::testing::AssertionFailure()
             << "element " << k << ": got " << g << ", want " << w;
  }
  return ::testing::AssertionSuccess();
}

/// Runs `fn` and returns its single result, failing the test on an error.
inline Tensor runOne(const ir::Function &fn, const std::vector<Tensor> &args) {
  auto r = ir::interpret(fn, args);
  EXPECT_TRUE(r) << r.error();
  if (!r || r->size() != 1) {
    ADD_FAILURE() << "expected one result";
    return Tensor();
  }
  return (*r)[0];
}

/// The error message of running `fn`, or "" if it unexpectedly succeeds.
inline std::string runError(const ir::Function &fn,
                            const std::vector<Tensor> &args) {
  auto r = ir::interpret(fn, args);
  EXPECT_FALSE(r) << "expected an error";
  return r ? std::string() : r.error();
}

/// A deterministic pseudo-random fill in [-1, 1), so tests need no seeds.
inline std::vector<float> pseudoRandom(size_t n, unsigned salt) {
  std::vector<float> v(n);
  uint32_t s = 2463534242u + salt * 7919u;
  for (float &x : v) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    x = static_cast<float>(s % 20000) / 10000.0f - 1.0f;
  }
  return v;
}

} // namespace rnnc::test

#endif // RNNC_TESTS_UNIT_INTERPRETERTESTUTIL_H
