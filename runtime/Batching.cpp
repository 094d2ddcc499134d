//===- runtime/Batching.cpp - Examples, padded batches, shuffling ---------===//
#include "runtime/Batching.h"

#include "runtime/Initializers.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace rnnc {

namespace {

int64_t steps(const Example &e, int64_t features) {
  if (features > 0)
    return static_cast<int64_t>(e.frames.size()) / features;
  return static_cast<int64_t>(e.tokens.size());
}

/// A uniform integer in [0, k): rejection of the top partial block keeps it
/// exactly uniform.
uint64_t below(Rng &rng, uint64_t k) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % k;
  uint64_t r;
  do
    r = rng.next();
  while (r >= limit);
  return r % k;
}

void shuffleInPlace(std::vector<int64_t> &v, Rng &rng) {
  for (size_t i = v.size(); i > 1; --i)
    std::swap(v[i - 1], v[below(rng, i)]);
}

} // namespace

Result<PaddedBatch> makeBatch(const ExampleSet &set,
                              const std::vector<int64_t> &indices) {
  if (indices.empty())
    return makeError("cannot make an empty batch");
  const int64_t B = static_cast<int64_t>(indices.size());
  const int64_t F = set.features, G = set.targetFeatures;
  for (int64_t idx : indices)
    if (idx < 0 || idx >= static_cast<int64_t>(set.size()))
      return makeError("example index " + std::to_string(idx) +
                       " is out of range (" + std::to_string(set.size()) +
                       " examples)");
  const Example &first = set.examples[indices[0]];
  const bool hasLabel = first.label >= 0;
  const bool hasY = !first.targetFrames.empty();
  const bool hasDec = !first.decoderIn.empty() || !first.decoderOut.empty();

  int64_t T = 0, S = 0;
  for (int64_t idx : indices) {
    const Example &e = set.examples[idx];
    std::string which = "example " + std::to_string(idx);
    if (F > 0 ? (!e.tokens.empty() || e.frames.size() % F)
              : !e.frames.empty())
      return makeError(which + ": input does not match " +
                       (F > 0 ? std::to_string(F) + " features per step"
                              : std::string("token input")));
    int64_t t = steps(e, F);
    if (t == 0)
      return makeError(which + " has an empty input sequence");
    if ((e.label >= 0) != hasLabel || (!e.targetFrames.empty()) != hasY ||
        (!e.decoderIn.empty() || !e.decoderOut.empty()) != hasDec)
      return makeError(which + " holds other targets than example " +
                       std::to_string(indices[0]));
    if (hasY && static_cast<int64_t>(e.targetFrames.size()) != t * G)
      return makeError(which + ": target has " +
                       std::to_string(e.targetFrames.size()) +
                       " values, expected " + std::to_string(t) + " steps x " +
                       std::to_string(G));
    if (hasDec && (e.decoderIn.size() != e.decoderOut.size() ||
                   e.decoderIn.empty()))
      return makeError(which + ": decoder input and output lengths differ");
    T = std::max(T, t);
    S = std::max(S, static_cast<int64_t>(e.decoderIn.size()));
  }

  PaddedBatch out;
  out.indices = indices;
  out.x = F > 0 ? Tensor(DType::F32, {T, B, F}) : Tensor(DType::I32, {T, B});
  out.lengths = Tensor(DType::I32, {B});
  if (hasLabel)
    out.labels = Tensor(DType::I32, {B});
  if (hasY)
    out.y = Tensor(DType::F32, {T, B, G});
  if (hasDec) {
    out.decoderIn = Tensor(DType::I32, {S, B});
    out.decoderOut = Tensor(DType::I32, {S, B});
    out.decoderLengths = Tensor(DType::I32, {B});
  }
  for (int64_t b = 0; b < B; ++b) {
    const Example &e = set.examples[indices[b]];
    int64_t t = steps(e, F);
    out.lengths.i32Data()[b] = static_cast<int32_t>(t);
    if (F > 0) {
      for (int64_t s = 0; s < t; ++s)
        std::copy_n(e.frames.data() + s * F, F,
                    out.x.f32Data() + (s * B + b) * F);
    } else {
      for (int64_t s = 0; s < t; ++s)
        out.x.i32Data()[s * B + b] = e.tokens[s];
    }
    if (hasLabel)
      out.labels.i32Data()[b] = e.label;
    if (hasY)
      for (int64_t s = 0; s < t; ++s)
        std::copy_n(e.targetFrames.data() + s * G, G,
                    out.y.f32Data() + (s * B + b) * G);
    if (hasDec) {
      int64_t n = static_cast<int64_t>(e.decoderIn.size());
      out.decoderLengths.i32Data()[b] = static_cast<int32_t>(n);
      for (int64_t s = 0; s < n; ++s) {
        out.decoderIn.i32Data()[s * B + b] = e.decoderIn[s];
        out.decoderOut.i32Data()[s * B + b] = e.decoderOut[s];
      }
    }
  }
  return out;
}

std::vector<int64_t> shuffledIndices(int64_t n, uint64_t seed) {
  std::vector<int64_t> v(n < 0 ? 0 : n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = i;
  Rng rng(seed);
  shuffleInPlace(v, rng);
  return v;
}

IndexSplit splitTrainVal(int64_t n, double valFraction, uint64_t seed) {
  std::vector<int64_t> all = shuffledIndices(n, seed);
  double f = std::clamp(valFraction, 0.0, 1.0);
  size_t nVal = static_cast<size_t>(std::floor(static_cast<double>(n) * f));
  IndexSplit s;
  s.val.assign(all.begin(), all.begin() + nVal);
  s.train.assign(all.begin() + nVal, all.end());
  return s;
}

BatchIterator::BatchIterator(const ExampleSet *set,
                             std::vector<int64_t> indices, int64_t batchSize,
                             uint64_t seed, bool shuffle, bool dropLast)
    : set(set), indices(std::move(indices)),
      batch(batchSize < 1 ? 1 : batchSize), seed(seed), shuffle(shuffle),
      dropLast(dropLast) {}

int64_t BatchIterator::batchesPerEpoch() const {
  int64_t n = static_cast<int64_t>(indices.size());
  return dropLast ? n / batch : (n + batch - 1) / batch;
}

int64_t BatchIterator::epoch() const {
  int64_t per = batchesPerEpoch();
  return per ? pos / per : 0;
}

Result<PaddedBatch> BatchIterator::next() {
  int64_t per = batchesPerEpoch();
  if (!set || per == 0)
    return makeError("no batches: " + std::to_string(indices.size()) +
                     " examples for batch size " + std::to_string(batch) +
                     (dropLast ? " (dropping the last partial batch)" : ""));
  int64_t e = pos / per, k = pos % per;
  if (e != orderEpoch) {
    order = indices;
    if (shuffle) {
      // Epoch e's stream: Rng's splitmix64 seeding decorrelates nearby seeds.
      Rng rng(seed + static_cast<uint64_t>(e + 1) * 0x9E3779B97F4A7C15ull);
      shuffleInPlace(order, rng);
    }
    orderEpoch = e;
  }
  int64_t begin = k * batch;
  int64_t end = std::min<int64_t>(begin + batch, order.size());
  auto b = makeBatch(*set, std::vector<int64_t>(order.begin() + begin,
                                                order.begin() + end));
  if (!b)
    return b;
  b->epochStart = k == 0;
  ++pos;
  return b;
}

} // namespace rnnc
