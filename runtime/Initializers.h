//===- runtime/Initializers.h - Seeded initialization -----------*- C++ -*-===//
//
// Fresh parameters are sampled from the spec the frontend records for each
// (constant, uniform, normal), with a PRNG fixed here rather than the
// standard library's distributions, whose output differs between libstdc++,
// libc++ and MSVC: the same seed gives the same weights on every machine.
//
// The generator is xoshiro256** (Blackman & Vigna 2018) seeded through
// splitmix64. Each parameter draws from its own stream, seeded from the run's
// seed and the parameter's name (FNV-1a), so adding, removing or reordering
// parameters never changes the values of the others. Doubles in [0, 1) take
// the top 53 bits of a draw. Uniform(lo, hi) is lo + (hi - lo) * u, rounded to
// f32 (so it may equal hi). Normal uses Marsaglia's polar method; it alone
// calls a libm function (log), correctly rounded in glibc, so on another libm
// a value could differ in the last bit of the double, which rounding to f32
// almost always hides. Constant and uniform use only exact IEEE operations.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_INITIALIZERS_H
#define RNNC_RUNTIME_INITIALIZERS_H

#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <string>

namespace rnnc {

/// How a parameter starts; mirrors frontend::InitSpec field for field, so the
/// runtime does not depend on the frontend (see docs/weights.md).
struct InitSpec {
  enum class Kind { None, Constant, Uniform, Normal };
  Kind kind = Kind::None;
  double value = 0;            // Constant
  double low = 0, high = 0;    // Uniform
  double mean = 0, stddev = 1; // Normal

  static InitSpec constant(double v) {
    InitSpec s;
    s.kind = Kind::Constant;
    s.value = v;
    return s;
  }
  static InitSpec uniform(double lo, double hi) {
    InitSpec s;
    s.kind = Kind::Uniform;
    s.low = lo;
    s.high = hi;
    return s;
  }
  static InitSpec normal(double mean, double stddev) {
    InitSpec s;
    s.kind = Kind::Normal;
    s.mean = mean;
    s.stddev = stddev;
    return s;
  }
};

/// splitmix64 (Steele, Lea & Flood 2014): one step, updating `state`.
uint64_t splitmix64(uint64_t &state);

/// FNV-1a 64-bit hash of a string, to derive per-parameter streams.
uint64_t fnv1a64(const std::string &s);

/// xoshiro256**: a small, fast, well-tested 64-bit generator.
class Rng {
public:
  /// The four state words come from splitmix64 over `seed`, as the authors
  /// recommend (never all zero).
  explicit Rng(uint64_t seed);
  /// The stream for one named parameter of a run seeded with `seed`.
  static Rng forName(uint64_t seed, const std::string &name);
  /// A generator in exactly this state (for the authors' test vectors).
  static Rng fromState(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3);

  uint64_t next();
  /// Uniform in [0, 1), 53 random bits.
  double nextDouble();
  /// Standard normal (mean 0, variance 1), polar method.
  double nextNormal();

private:
  uint64_t s[4];
};

/// Fills the f32 tensor `t` (shape and dtype already set) from `spec` with
/// the stream for `name`. Fails on Kind::None, an i32 tensor, or a spec that
/// makes no sense (non-finite numbers, low > high, negative stddev).
Status initializeTensor(Tensor &t, const InitSpec &spec, uint64_t seed,
                        const std::string &name);

} // namespace rnnc

#endif // RNNC_RUNTIME_INITIALIZERS_H
