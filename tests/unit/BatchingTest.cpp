//===- tests/unit/BatchingTest.cpp - Padded batches and shuffles ----------===//
//
// makeBatch's layout checked element by element against the examples,
// shuffles against an independent transcription of Fisher-Yates over the
// same generator, the split, and the batch iterator's epochs and seeking.
//
//===----------------------------------------------------------------------===//
#include "runtime/Batching.h"

#include "runtime/Initializers.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace rnnc;

namespace {
ExampleSet tokenSet(int n) {
  ExampleSet s;
  for (int k = 0; k < n; ++k) {
    Example e;
    for (int t = 0; t <= k % 4; ++t)
      e.tokens.push_back(100 * k + t + 1);
    e.label = k % 3;
    s.examples.push_back(e);
  }
  return s;
}
} // namespace

TEST(BatchingTest, TokensArePaddedTimeMajor) {
  ExampleSet s = tokenSet(6);
  auto b = makeBatch(s, {3, 0, 5});
  ASSERT_TRUE(b) << b.error();
  // Lengths 4, 1, 2: T = 4.
  ASSERT_EQ(b->x.shape(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(b->lengths.i32Vec(), (std::vector<int32_t>{4, 1, 2}));
  EXPECT_EQ(b->labels.i32Vec(), (std::vector<int32_t>{0, 0, 2}));
  for (int64_t row = 0; row < 3; ++row) {
    const Example &e = s.examples[b->indices[row]];
    for (int64_t t = 0; t < 4; ++t) {
      int32_t want = t < (int64_t)e.tokens.size() ? e.tokens[t] : 0;
      EXPECT_EQ(b->x.i32Vec()[t * 3 + row], want) << t << "," << row;
    }
  }
  EXPECT_TRUE(b->y.f32Vec().empty()); // no per-step targets: left empty
  EXPECT_TRUE(b->decoderIn.i32Vec().empty());
}

TEST(BatchingTest, FramesTargetsAndDecoder) {
  ExampleSet s;
  s.features = 2;
  s.targetFeatures = 1;
  Example a, c;
  a.frames = {1, 2, 3, 4, 5, 6}; // 3 steps
  a.targetFrames = {7, 8, 9};
  c.frames = {10, 11}; // 1 step
  c.targetFrames = {12};
  s.examples = {a, c};
  auto b = makeBatch(s, {0, 1});
  ASSERT_TRUE(b) << b.error();
  ASSERT_EQ(b->x.shape(), (std::vector<int64_t>{3, 2, 2}));
  // x[t, b, f] at (t*2 + b)*2 + f.
  EXPECT_EQ(b->x.f32Vec(),
            (std::vector<float>{1, 2, 10, 11, 3, 4, 0, 0, 5, 6, 0, 0}));
  EXPECT_EQ(b->y.f32Vec(), (std::vector<float>{7, 12, 8, 0, 9, 0}));
  EXPECT_EQ(b->lengths.i32Vec(), (std::vector<int32_t>{3, 1}));

  ExampleSet p;
  Example e1, e2;
  e1.tokens = {5, 6};
  e1.decoderIn = {1, 9};
  e1.decoderOut = {9, 2};
  e2.tokens = {7};
  e2.decoderIn = {1, 8, 8};
  e2.decoderOut = {8, 8, 2};
  p.examples = {e1, e2};
  auto d = makeBatch(p, {0, 1});
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->decoderIn.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(d->decoderIn.i32Vec(), (std::vector<int32_t>{1, 1, 9, 8, 0, 8}));
  EXPECT_EQ(d->decoderOut.i32Vec(), (std::vector<int32_t>{9, 8, 2, 8, 0, 2}));
  EXPECT_EQ(d->decoderLengths.i32Vec(), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(d->lengths.i32Vec(), (std::vector<int32_t>{2, 1}));
}

TEST(BatchingTest, MakeBatchErrors) {
  ExampleSet s = tokenSet(3);
  EXPECT_FALSE(makeBatch(s, {}));
  auto r = makeBatch(s, {0, 7});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("index 7"), std::string::npos);
  s.examples[1].label = -1;
  r = makeBatch(s, {0, 1});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("example 1"), std::string::npos);
  s.examples[2].tokens.clear();
  EXPECT_FALSE(makeBatch(s, {2}));
}

TEST(BatchingTest, ShuffleIsSeededFisherYates) {
  // Independent transcription: for i = n-1..1, j uniform in [0, i] by
  // rejection from 64-bit draws, swap.
  auto reference = [](int64_t n, uint64_t seed) {
    std::vector<int64_t> v(n);
    for (int64_t i = 0; i < n; ++i)
      v[i] = i;
    Rng rng(seed);
    for (int64_t i = n - 1; i >= 1; --i) {
      uint64_t k = static_cast<uint64_t>(i) + 1, r;
      uint64_t bound = (UINT64_MAX / k) * k; // a multiple of k
      do
        r = rng.next();
      while (r >= bound);
      std::swap(v[i], v[r % k]);
    }
    return v;
  };
  for (uint64_t seed : {0ull, 1ull, 12345ull})
    for (int64_t n : {1, 2, 10, 1000})
      EXPECT_EQ(shuffledIndices(n, seed), reference(n, seed)) << seed << n;
  EXPECT_NE(shuffledIndices(50, 1), shuffledIndices(50, 2));
  std::vector<int64_t> v = shuffledIndices(100, 9);
  std::sort(v.begin(), v.end());
  for (int64_t i = 0; i < 100; ++i)
    EXPECT_EQ(v[i], i);
}

TEST(BatchingTest, SplitTrainVal) {
  IndexSplit s = splitTrainVal(103, 0.1, 5);
  EXPECT_EQ(s.val.size(), 10u);
  EXPECT_EQ(s.train.size(), 93u);
  std::set<int64_t> all(s.train.begin(), s.train.end());
  all.insert(s.val.begin(), s.val.end());
  EXPECT_EQ(all.size(), 103u);
  std::vector<int64_t> order = shuffledIndices(103, 5);
  EXPECT_EQ(s.val, std::vector<int64_t>(order.begin(), order.begin() + 10));
}

TEST(BatchingTest, IteratorCoversEachEpochAndSeeks) {
  ExampleSet s = tokenSet(10);
  std::vector<int64_t> idx{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  BatchIterator it(&s, idx, 4, 77);
  EXPECT_EQ(it.batchesPerEpoch(), 3);
  std::vector<std::vector<int64_t>> seen;
  for (int e = 0; e < 3; ++e) {
    std::multiset<int64_t> epoch;
    for (int k = 0; k < 3; ++k) {
      auto b = it.next();
      ASSERT_TRUE(b) << b.error();
      EXPECT_EQ(b->epochStart, k == 0);
      EXPECT_EQ(b->batchSize(), k < 2 ? 4 : 2);
      epoch.insert(b->indices.begin(), b->indices.end());
      seen.push_back(b->indices);
    }
    EXPECT_EQ(epoch, std::multiset<int64_t>(idx.begin(), idx.end()));
  }
  EXPECT_NE(seen[0], seen[3]); // epochs are reshuffled
  BatchIterator again(&s, idx, 4, 77);
  again.seek(4);
  for (int k = 4; k < 9; ++k)
    EXPECT_EQ(again.next()->indices, seen[k]);

  BatchIterator ordered(&s, idx, 4, 77, /*shuffle=*/false, /*dropLast=*/true);
  EXPECT_EQ(ordered.batchesPerEpoch(), 2);
  EXPECT_EQ(ordered.next()->indices, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(ordered.next()->indices, (std::vector<int64_t>{4, 5, 6, 7}));
  EXPECT_EQ(ordered.next()->indices, (std::vector<int64_t>{0, 1, 2, 3}));
  BatchIterator none(&s, {1, 2}, 4, 1, true, true);
  EXPECT_FALSE(none.next());
}
