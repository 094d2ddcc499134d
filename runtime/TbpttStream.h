//===- runtime/TbpttStream.h - Batches for truncated BPTT -------*- C++ -*-===//
//
// char-rnn style batching of one long id stream for truncated
// backpropagation through time. The stream is cut into B contiguous lanes of
// L = W*T ids each, where W = floor((N - 1) / (B*T)) is the number of windows
// per epoch (N ids; the -1 leaves room for the last target). Lane b covers
// ids [b*L, (b+1)*L); the last N - 1 - B*L ids are not used. Window w of an
// epoch is, for every lane b and step t < T,
//
//   x[t, b] = ids[b*L + w*T + t],   y[t, b] = ids[b*L + w*T + t + 1],
//
// so window w+1 continues window w in every lane, and the driver carries
// each lane's final state into the next window. After W windows an epoch
// ends and the next window starts the lanes over (epochStart, so the driver
// resets the state). Every epoch sees the same windows in the same order.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_TBPTTSTREAM_H
#define RNNC_RUNTIME_TBPTTSTREAM_H

#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace rnnc {

class TbpttStream {
public:
  /// Fails, naming the sizes, unless batch >= 1, steps >= 1 and
  /// ids.size() >= batch*steps + 1 (at least one window).
  static Status check(const std::vector<int32_t> &ids, int64_t batch,
                      int64_t steps);
  /// check() and the stream, or check()'s error.
  static Result<TbpttStream> create(const std::vector<int32_t> *ids,
                                    int64_t batch, int64_t steps);
  /// `ids` must outlive the stream and pass check() (else valid() is false
  /// and next() returns all-zero windows); create() reports the error.
  TbpttStream(const std::vector<int32_t> *ids, int64_t batch, int64_t steps);

  struct Batch {
    Tensor x;       // i32[T,B]
    Tensor y;       // i32[T,B], x shifted by one step
    Tensor lengths; // i32[B], all T
    bool epochStart = false;
  };
  /// The window at position() (then advances).
  Batch next();

  /// The number of windows returned so far (over all epochs); restoring it
  /// with seek() continues identically.
  int64_t position() const { return pos; }
  void seek(int64_t position) { pos = position < 0 ? 0 : position; }
  /// W; 0 when !valid().
  int64_t windowsPerEpoch() const { return windows; }
  /// The 0-based epoch of the next window.
  int64_t epoch() const { return windows ? pos / windows : 0; }
  bool valid() const { return windows > 0; }
  int64_t batch() const { return b; }
  int64_t steps() const { return t; }

private:
  const std::vector<int32_t> *ids;
  int64_t b, t;
  int64_t windows = 0, laneLen = 0;
  int64_t pos = 0;
};

} // namespace rnnc

#endif // RNNC_RUNTIME_TBPTTSTREAM_H
