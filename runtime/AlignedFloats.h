//===- runtime/AlignedFloats.h - Aligned float arrays, packed -*- C++ -*-===//
//
// Owning storage for weights that compiled code reads in place, packed back
// to back (codegen::PackedArgs, the AOT runtime's loaded weights), with the
// start on a cache line as for the embedded weights of an AOT object; then
// each row of a [N, K] weight with K a multiple of 16 starts on one too.
// (std::vector only guarantees malloc's 16 bytes. No difference in speed
// was measurable on the char-LM at B = 1; this keeps the two layouts the
// same.)
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_ALIGNEDFLOATS_H
#define RNNC_RUNTIME_ALIGNEDFLOATS_H

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <vector>

namespace rnnc {

class AlignedFloats {
public:
  AlignedFloats() = default;
  /// n floats, uninitialized; empty if n is 0 or memory is short (check
  /// size()).
  explicit AlignedFloats(size_t n) {
    if (n == 0)
      return;
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    data_.reset(static_cast<float *>(std::aligned_alloc(64, bytes)));
    if (data_)
      size_ = n;
  }
  float *data() { return data_.get(); }
  const float *data() const { return data_.get(); }
  size_t size() const { return size_; }

private:
  struct Free {
    void operator()(float *p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  size_t size_ = 0;
};

/// Float arrays copied back to back into one aligned buffer, in order:
/// part i starts at offsets[i]. How weights are laid out so that the
/// compiled code can use a concatenation of consecutive ones in place.
struct PackedFloats {
  AlignedFloats data;
  std::vector<size_t> offsets;

  /// Packs `parts`; false (and nothing packed) when memory is short.
  bool pack(const std::vector<const std::vector<float> *> &parts) {
    size_t total = 0;
    for (const std::vector<float> *p : parts)
      total += p->size();
    data = AlignedFloats(total);
    offsets.clear();
    if (data.size() != total)
      return false;
    size_t at = 0;
    for (const std::vector<float> *p : parts) {
      offsets.push_back(at);
      std::copy(p->begin(), p->end(), data.data() + at);
      at += p->size();
    }
    return true;
  }
};

} // namespace rnnc

#endif // RNNC_RUNTIME_ALIGNEDFLOATS_H
