//===- tools/rnnc/SequenceTask.h - Independent sequences ----*- C++ -*-===//
//
// Classification, forecasting and seq2seq train on independent examples
// that a runtime BatchIterator (runtime/Batching.h) batches: each epoch in
// its own seeded order, the state afresh every batch. The iterator's
// position is then the whole of the task's training position, so seek()
// resumes exactly. SequenceTask holds that iterator and answers TrainTask's
// position/epoch questions from it; a subclass makes it in attach() and
// fills its own slots from nextBatch().
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_SEQUENCETASK_H
#define RNNC_TOOLS_RNNC_SEQUENCETASK_H

#include "runtime/Batching.h"
#include "tools/rnnc/TrainTask.h"

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

namespace rnnc::driver {

/// Where a model with one input and one target (classifier, forecaster)
/// takes a batch: the input, the target, and every lengths argument.
struct InputTargetSlots {
  unsigned input = 0, target = 0;
  std::vector<unsigned> lengths;

  void bind(const ModelArgs &layout) {
    input = layout.inputs()[0];
    target = layout.targets()[0];
    lengths = layout.lengths();
  }
  /// Moves the batch's x and `targetValues` (its labels or its y) into
  /// place, and its lengths into every lengths argument.
  void fill(std::vector<Tensor> &args, PaddedBatch &b,
            Tensor &&targetValues) const {
    args[input] = std::move(b.x);
    args[target] = std::move(targetValues);
    for (unsigned l : lengths)
      args[l] = b.lengths;
  }
};

class SequenceTask : public TrainTask {
public:
  int64_t position() const override { return iter->position(); }
  void seek(int64_t p) override { iter->seek(p); }
  int64_t epoch() const override { return iter->epoch(); }
  int64_t batchesPerEpoch() const override { return iter->batchesPerEpoch(); }

protected:
  /// The next training batch. Every subclass's attach() builds or probes
  /// its batches, so a failure here is a bug; it is reported (naming
  /// `where`, the data) rather than dereferenced.
  PaddedBatch nextBatch(const std::string &where) {
    auto b = iter->next();
    if (!b) {
      std::cerr << "rnnc: internal error: " << where << ": " << b.error()
                << "\n";
      std::abort();
    }
    return b.take();
  }

  /// The TaskBatch of a batch of independent sequences: `units` is what
  /// the loss averages over; the state always starts afresh.
  static TaskBatch freshBatch(int64_t rows, int64_t units) {
    TaskBatch tb;
    tb.rows = rows;
    tb.units = units;
    tb.resetState = true;
    return tb;
  }

  /// Made by the subclass's attach() over its training examples.
  std::optional<BatchIterator> iter;
};

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_SEQUENCETASK_H
