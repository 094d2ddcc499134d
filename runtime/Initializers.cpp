//===- runtime/Initializers.cpp - Seedable parameter initialization -------===//
//
// The generators are transcribed from the reference C code of their authors
// (prng.di.unimi.it); the algorithms are the contract, so any change to this
// file that changes a single output value changes every model's initial
// weights and must be treated as a format change.
//
//===----------------------------------------------------------------------===//
#include "runtime/Initializers.h"

#include <cmath>

namespace rnnc {

uint64_t splitmix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t fnv1a64(const std::string &s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

Rng::Rng(uint64_t seed) {
  for (uint64_t &w : s)
    w = splitmix64(seed);
}

Rng Rng::forName(uint64_t seed, const std::string &name) {
  // Mixing the hash through one splitmix step keeps seeds that differ in a
  // single bit from giving streams that start out related.
  uint64_t mixed = seed ^ fnv1a64(name);
  return Rng(splitmix64(mixed));
}

Rng Rng::fromState(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) {
  Rng r(0);
  r.s[0] = s0;
  r.s[1] = s1;
  r.s[2] = s2;
  r.s[3] = s3;
  return r;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t Rng::next() {
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double Rng::nextDouble() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

double Rng::nextNormal() {
  // Marsaglia's polar method: a point uniform in the unit disc gives a
  // normal deviate. The second deviate of each pair is dropped, so every
  // value costs a fixed, documented number of draws per accepted point.
  for (;;) {
    double u = 2 * nextDouble() - 1, v = 2 * nextDouble() - 1;
    double r = u * u + v * v;
    if (r >= 1 || r == 0)
      continue;
    return u * std::sqrt(-2 * std::log(r) / r);
  }
}

Status initializeTensor(Tensor &t, const InitSpec &spec, uint64_t seed,
                        const std::string &name) {
  auto fail = [&](const std::string &what) {
    return makeError("cannot initialize '" + name + "': " + what);
  };
  if (t.dtype() != DType::F32)
    return fail("only f32 parameters can be initialized, it is " +
                t.typeString());
  std::vector<float> &data = t.f32Vec();
  switch (spec.kind) {
  case InitSpec::Kind::None:
    return fail("it has no initializer; load it from a checkpoint");
  case InitSpec::Kind::Constant:
    if (!std::isfinite(spec.value))
      return fail("constant is not finite");
    for (float &x : data)
      x = static_cast<float>(spec.value);
    return Status::ok();
  case InitSpec::Kind::Uniform: {
    if (!std::isfinite(spec.low) || !std::isfinite(spec.high) ||
        spec.low > spec.high)
      return fail("bad uniform range");
    Rng rng = Rng::forName(seed, name);
    double width = spec.high - spec.low;
    for (float &x : data)
      x = static_cast<float>(spec.low + width * rng.nextDouble());
    return Status::ok();
  }
  case InitSpec::Kind::Normal: {
    if (!std::isfinite(spec.mean) || !std::isfinite(spec.stddev) ||
        spec.stddev < 0)
      return fail("bad normal parameters");
    Rng rng = Rng::forName(seed, name);
    for (float &x : data)
      x = static_cast<float>(spec.mean + spec.stddev * rng.nextNormal());
    return Status::ok();
  }
  }
  return fail("unknown initializer kind");
}

} // namespace rnnc
