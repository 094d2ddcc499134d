//===- runtime/Batching.h - Examples, padded batches, shuffling -*- C++ -*-===//
//
// What the data loaders produce for models that read whole sequences
// (classification, forecasting windows, seq2seq), and how those examples
// become batches. An Example holds one sequence (token ids or feature
// frames) and whichever targets the task has; makeBatch stacks examples into
// time-major tensors padded to the longest sequence in the batch, with the
// per-row lengths the model uses to mask the padding (padding is 0; models
// never read it, see frontend/ModelInfo.h).
//
// Order is deterministic: shuffles use the seeded xoshiro256** generator of
// Initializers.h (exact integer draws, no std:: distributions), so the same
// seed gives the same split and the same batches on every machine. Each
// epoch's order depends only on (seed, epoch), so a resumed run can seek to
// any batch without replaying the earlier ones.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_BATCHING_H
#define RNNC_RUNTIME_BATCHING_H

#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace rnnc {

/// One example. Input is either `tokens` (one id per step) or `frames`
/// (`features` floats per step, row-major [steps, features]); targets are
/// any of: a class `label`, per-step f32 `targetFrames` aligned with the
/// input, and a decoder sequence (seq2seq teacher forcing: `decoderIn` is
/// BOS + target, `decoderOut` is target + EOS, same length).
struct Example {
  std::vector<int32_t> tokens;
  std::vector<float> frames;
  int32_t label = -1;
  std::vector<float> targetFrames;
  std::vector<int32_t> decoderIn, decoderOut;
};

/// Examples plus the sizes makeBatch needs to shape f32 tensors.
struct ExampleSet {
  std::vector<Example> examples;
  /// Floats per step of `frames` (0: token input) and of `targetFrames`.
  int64_t features = 0, targetFeatures = 0;
  size_t size() const { return examples.size(); }
};

/// A padded batch, time-major, B = number of rows. Tensors for targets the
/// examples do not have are left empty (rank 0, no elements).
struct PaddedBatch {
  Tensor x;          // i32[T,B] tokens or f32[T,B,F] frames
  Tensor lengths;    // i32[B]: steps of x in each row
  Tensor labels;     // i32[B]
  Tensor y;          // f32[T,B,F'], aligned with x (shares lengths)
  Tensor decoderIn;  // i32[S,B]
  Tensor decoderOut; // i32[S,B]
  Tensor decoderLengths; // i32[B]
  /// Which examples, in row order (indices into the ExampleSet).
  std::vector<int64_t> indices;
  bool epochStart = false;
  int64_t batchSize() const { return static_cast<int64_t>(indices.size()); }
};

/// Stacks set.examples[indices[b]] as row b. Fails on an empty selection,
/// an index out of range, examples that disagree on what they hold, or
/// sizes that do not match `features` (naming the example).
Result<PaddedBatch> makeBatch(const ExampleSet &set,
                              const std::vector<int64_t> &indices);

/// 0..n-1 in an order drawn by a Fisher-Yates shuffle seeded with `seed`.
std::vector<int64_t> shuffledIndices(int64_t n, uint64_t seed);

struct IndexSplit {
  std::vector<int64_t> train, val;
};
/// A seeded shuffle of 0..n-1: the first floor(n * valFraction) indices
/// validate, the rest train (each part kept in shuffled order).
IndexSplit splitTrainVal(int64_t n, double valFraction, uint64_t seed);

/// Batches over a subset of an ExampleSet, epoch after epoch. With
/// `shuffle`, epoch e visits the indices in the order of a shuffle seeded
/// with (seed, e); without, in the given order. The last batch of an epoch
/// is smaller when the count does not divide (dropLast skips it instead).
class BatchIterator {
public:
  BatchIterator(const ExampleSet *set, std::vector<int64_t> indices,
                int64_t batchSize, uint64_t seed, bool shuffle = true,
                bool dropLast = false);

  /// The batch at position() (then advances); fails like makeBatch, or
  /// when there is no batch at all (no indices, or fewer than batchSize
  /// with dropLast).
  Result<PaddedBatch> next();

  int64_t batchesPerEpoch() const;
  /// Batches returned so far over all epochs; seek() to resume.
  int64_t position() const { return pos; }
  void seek(int64_t position) { pos = position < 0 ? 0 : position; }
  int64_t epoch() const;

private:
  const ExampleSet *set;
  std::vector<int64_t> indices;
  int64_t batch;
  uint64_t seed;
  bool shuffle, dropLast;
  int64_t pos = 0;
  /// The order of the epoch `orderEpoch` (cached: reshuffling per batch
  /// would cost O(n) each).
  std::vector<int64_t> order;
  int64_t orderEpoch = -1;
};

} // namespace rnnc

#endif // RNNC_RUNTIME_BATCHING_H
