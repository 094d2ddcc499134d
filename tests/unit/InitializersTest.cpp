//===- tests/unit/InitializersTest.cpp - Seedable initialization ----------===//
//
// The generators against their authors' published outputs, golden values of
// whole initializations (computed independently with a Python transcription
// of the same algorithms, so a change that alters any model's initial weights
// fails here), determinism, ranges, and sample moments within statistical
// bounds (5 standard errors: a false failure is ~1e-6 likely, and the seed is
// fixed anyway).
//
//===----------------------------------------------------------------------===//
#include "runtime/Initializers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace rnnc;

namespace {

Tensor init(const InitSpec &spec, std::vector<int64_t> shape, uint64_t seed,
            const std::string &name) {
  Tensor t(DType::F32, std::move(shape));
  Status s = initializeTensor(t, spec, seed, name);
  EXPECT_TRUE(s) << s.error();
  return t;
}

void moments(const Tensor &t, double &mean, double &var) {
  double sum = 0, sq = 0;
  for (float x : t.f32Vec())
    sum += x;
  mean = sum / t.numElements();
  for (float x : t.f32Vec())
    sq += (x - mean) * (x - mean);
  var = sq / (t.numElements() - 1);
}

} // namespace

TEST(Initializers, GeneratorsMatchTheReferenceOutputs) {
  uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafull);
  Rng r = Rng::fromState(1, 2, 3, 4);
  EXPECT_EQ(r.next(), 11520u);
  EXPECT_EQ(r.next(), 0u);
  EXPECT_EQ(r.next(), 1509978240u);
  EXPECT_EQ(r.next(), 1215971899390074240u);
  EXPECT_EQ(fnv1a64("h1.Wi"), 0xac2de1fa955238f0ull);
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
}

TEST(Initializers, GoldenValues) {
  Tensor u = init(InitSpec::uniform(-0.1, 0.1), {2, 2}, 42, "h1.Wi");
  EXPECT_EQ(u.f32Vec(),
            (std::vector<float>{-0.006057837046682835f, -0.022431598976254463f,
                                -0.0357527919113636f, 0.04457169398665428f}));
  Tensor n = init(InitSpec::normal(0, 1), {4}, 7, "emb.weight");
  EXPECT_EQ(n.f32Vec(),
            (std::vector<float>{1.0736329555511475f, -0.26388686895370483f,
                                -0.3057120740413666f, 0.42162448167800903f}));
}

TEST(Initializers, DeterministicPerSeedAndName) {
  InitSpec spec = InitSpec::uniform(-1, 1);
  Tensor a = init(spec, {64}, 1, "x"), b = init(spec, {64}, 1, "x");
  EXPECT_EQ(a.f32Vec(), b.f32Vec());
  EXPECT_NE(a.f32Vec(), init(spec, {64}, 2, "x").f32Vec());
  EXPECT_NE(a.f32Vec(), init(spec, {64}, 1, "y").f32Vec());
  // A longer tensor starts with the same values: the stream is per name.
  Tensor longer = init(spec, {128}, 1, "x");
  EXPECT_TRUE(std::equal(a.f32Vec().begin(), a.f32Vec().end(),
                         longer.f32Vec().begin()));
}

TEST(Initializers, Constant) {
  Tensor t = init(InitSpec::constant(1), {3, 2}, 0, "bf");
  EXPECT_EQ(t.f32Vec(), std::vector<float>(6, 1.0f));
  Tensor s = init(InitSpec::constant(-2.5), {}, 0, "s");
  EXPECT_EQ(s.f32Vec(), std::vector<float>{-2.5f});
}

TEST(Initializers, UniformRangeAndMoments) {
  const double a = 0.0625;
  Tensor t = init(InitSpec::uniform(-a, a), {100000}, 123, "W");
  for (float x : t.f32Vec()) {
    ASSERT_GE(x, -a);
    ASSERT_LE(x, a);
  }
  double mean, var;
  moments(t, mean, var);
  double n = t.numElements(), v = a * a / 3; // variance of U(-a, a)
  EXPECT_NEAR(mean, 0, 5 * std::sqrt(v / n));
  // Var of the sample variance of U(-a,a): (mu4 - v^2)/n, mu4 = a^4/5.
  EXPECT_NEAR(var, v, 5 * std::sqrt((std::pow(a, 4) / 5 - v * v) / n));
  // Both halves of the range are used.
  EXPECT_LT(*std::min_element(t.f32Vec().begin(), t.f32Vec().end()), -0.99 * a);
  EXPECT_GT(*std::max_element(t.f32Vec().begin(), t.f32Vec().end()), 0.99 * a);
  // An asymmetric, degenerate range.
  Tensor d = init(InitSpec::uniform(3, 3), {10}, 1, "d");
  EXPECT_EQ(d.f32Vec(), std::vector<float>(10, 3.0f));
}

TEST(Initializers, NormalMoments) {
  Tensor t = init(InitSpec::normal(0, 1), {100000}, 99, "emb");
  double mean, var, n = t.numElements();
  moments(t, mean, var);
  EXPECT_NEAR(mean, 0, 5 / std::sqrt(n));
  EXPECT_NEAR(var, 1, 5 * std::sqrt(2 / n));
  // About 68.3% within one standard deviation (binomial s.e. ~0.0015).
  double within = 0;
  for (float x : t.f32Vec())
    within += std::fabs(x) < 1;
  EXPECT_NEAR(within / n, 0.6827, 5 * 0.0015);
  Tensor s = init(InitSpec::normal(2, 0.5), {100000}, 99, "emb");
  moments(s, mean, var);
  EXPECT_NEAR(mean, 2, 5 * 0.5 / std::sqrt(n));
  EXPECT_NEAR(var, 0.25, 5 * 0.25 * std::sqrt(2 / n));
}

TEST(Initializers, Errors) {
  auto fails = [](const InitSpec &spec, DType dtype, const std::string &what) {
    Tensor t(dtype, {2});
    Status s = initializeTensor(t, spec, 0, "p.w");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().find("cannot initialize 'p.w'"), std::string::npos);
    EXPECT_NE(s.error().find(what), std::string::npos) << s.error();
  };
  fails(InitSpec(), DType::F32, "no initializer");
  fails(InitSpec::constant(0), DType::I32, "only f32");
  fails(InitSpec::constant(NAN), DType::F32, "not finite");
  fails(InitSpec::uniform(1, -1), DType::F32, "bad uniform range");
  fails(InitSpec::uniform(0, INFINITY), DType::F32, "bad uniform range");
  fails(InitSpec::normal(0, -1), DType::F32, "bad normal");
}
