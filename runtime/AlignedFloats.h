//===- runtime/AlignedFloats.h - A 64-byte aligned float array --*- C++ -*-===//
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

#include <cstddef>
#include <cstdlib>
#include <memory>

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

} // namespace rnnc

#endif // RNNC_RUNTIME_ALIGNEDFLOATS_H
