//===- tests/unit/BeamSearchTest.cpp - Beam search against hand examples --===//
//
// A three-token language (a = 0, b = 1, EOS = 2) whose next-token
// probabilities are written out below, so every score can be checked by
// hand: greedy takes "a" then stops (P = 0.5 * 0.8 = 0.4 over 2 tokens);
// a beam of 2 also keeps "b", whose continuation "b a EOS" has
// P = 0.4 * 0.9 * 0.95 = 0.342 over 3 tokens. Length-normalized (alpha = 1),
// log(0.342)/3 = -0.358 beats log(0.4)/2 = -0.458, so the beam prefers the
// longer output; with alpha = 0 the raw probability 0.4 wins again.
//
//===----------------------------------------------------------------------===//
#include "runtime/BeamSearch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

using namespace rnnc;

namespace {

constexpr int32_t A = 0, B = 1, Eos = 2;

/// P(next | prefix) of the toy language, as log-probabilities.
std::vector<float> nextLogProbs(const std::vector<int32_t> &prefix) {
  static const std::map<std::vector<int32_t>, std::vector<double>> table = {
      {{}, {0.5, 0.4, 0.1}},
      {{A}, {0.1, 0.1, 0.8}},
      {{B}, {0.9, 0.05, 0.05}},
      {{A, A}, {0.1, 0.1, 0.8}},
      {{A, B}, {0.1, 0.1, 0.8}},
      {{B, A}, {0.025, 0.025, 0.95}},
      {{B, B}, {0.1, 0.1, 0.8}},
  };
  auto it = table.find(prefix);
  std::vector<double> p = it == table.end() ? std::vector<double>{0, 0, 1}
                                            : it->second;
  std::vector<float> out;
  for (double x : p)
    out.push_back(x > 0 ? static_cast<float>(std::log(x)) : -INFINITY);
  return out;
}

/// Runs the search to the end (at most maxLen steps) and returns it.
BeamSearch decode(int64_t width, double alpha, int maxLen = 10) {
  BeamSearch search(width, Eos, alpha);
  for (int t = 0; t < maxLen && !search.isDone(); ++t) {
    std::vector<float> rows;
    for (const BeamHypothesis &h : search.live()) {
      std::vector<float> r = nextLogProbs(h.tokens);
      rows.insert(rows.end(), r.begin(), r.end());
    }
    EXPECT_TRUE(search.step(rows, 3));
  }
  search.finish();
  return search;
}

TEST(BeamSearchTest, GreedyIsWidthOne) {
  auto r = decode(1, 1.0).results();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].tokens, (std::vector<int32_t>{A}));
  EXPECT_TRUE(r[0].finished);
  EXPECT_EQ(r[0].length(), 2);
  EXPECT_NEAR(r[0].logProb, std::log(0.5 * 0.8), 1e-6);
}

TEST(BeamSearchTest, WidthTwoFindsTheLongerBetterOutput) {
  BeamSearch s = decode(2, 1.0);
  auto r = s.results();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].tokens, (std::vector<int32_t>{B, A}));
  EXPECT_NEAR(r[0].logProb, std::log(0.4 * 0.9 * 0.95), 1e-6);
  EXPECT_NEAR(lengthNormalizedScore(r[0], 1.0), std::log(0.342) / 3, 1e-6);
  EXPECT_EQ(r[1].tokens, (std::vector<int32_t>{A}));
  EXPECT_NEAR(lengthNormalizedScore(r[1], 1.0), std::log(0.4) / 2, 1e-6);
}

TEST(BeamSearchTest, WithoutNormalizationShortWins) {
  auto r = decode(2, 0.0).results();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].tokens, (std::vector<int32_t>{A}));
}

TEST(BeamSearchTest, BeamShrinksAsHypothesesFinish) {
  BeamSearch s(2, Eos, 1.0);
  ASSERT_TRUE(s.step(nextLogProbs({}), 3));
  // Step 1 keeps a (-0.69) and b (-0.92); EOS (-2.30) falls off.
  ASSERT_EQ(s.live().size(), 2u);
  EXPECT_EQ(s.live()[0].tokens, (std::vector<int32_t>{A}));
  EXPECT_EQ(s.live()[1].tokens, (std::vector<int32_t>{B}));
  std::vector<float> rows = nextLogProbs({A});
  std::vector<float> rb = nextLogProbs({B});
  rows.insert(rows.end(), rb.begin(), rb.end());
  ASSERT_TRUE(s.step(rows, 3));
  // Step 2: "a EOS" (log 0.4) finishes, "b a" (log 0.36) stays live, and
  // the beam has one slot left.
  ASSERT_EQ(s.finished().size(), 1u);
  ASSERT_EQ(s.live().size(), 1u);
  EXPECT_EQ(s.live()[0].tokens, (std::vector<int32_t>{B, A}));
  EXPECT_FALSE(s.isDone());
  ASSERT_TRUE(s.step(nextLogProbs({B, A}), 3));
  EXPECT_TRUE(s.isDone());
}

TEST(BeamSearchTest, LengthLimitKeepsUnfinished) {
  // One step only: nothing has finished, so finish() offers the live ones.
  auto r = decode(2, 1.0, 1).results();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_FALSE(r[0].finished);
  EXPECT_EQ(r[0].tokens, (std::vector<int32_t>{A}));
  EXPECT_EQ(r[0].length(), 1);
}

TEST(BeamSearchTest, ExcludedTokensAndBadRows) {
  BeamSearch s(3, Eos, 1.0);
  // a excluded: only b and EOS can be chosen, so the beam of 3 gets 2.
  ASSERT_TRUE(s.step({-INFINITY, std::log(0.5f), std::log(0.5f)}, 3));
  EXPECT_EQ(s.live().size(), 1u);
  EXPECT_EQ(s.finished().size(), 1u);
  Status wrong = s.step({0, 0}, 3);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().find("expected 1 rows of 3"), std::string::npos);
  Status none = s.step({-INFINITY, NAN, -INFINITY}, 3);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("every token is excluded"), std::string::npos);
}

} // namespace
