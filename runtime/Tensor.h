//===- runtime/Tensor.h - A dense, row-major host tensor -------*- C++ -*-===//
//
// The value the interpreter computes with, the driver loads from .npy and
// safetensors files, and tests compare. Deliberately simple: a dtype, a shape of
// concrete sizes and contiguous row-major storage. f32 data lives in `f`, i32
// data (token ids, lengths) in `i`; only the one matching the dtype is used.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_TENSOR_H
#define RNNC_RUNTIME_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc {

enum class DType : uint8_t { F32, I32 };

/// "f32" or "i32".
const char *dtypeName(DType dtype);

class Tensor {
public:
  Tensor() = default;
  /// A zero-filled tensor of the given dtype and shape.
  Tensor(DType dtype, std::vector<int64_t> shape);

  static Tensor f32(std::vector<int64_t> shape, std::vector<float> data);
  static Tensor i32(std::vector<int64_t> shape, std::vector<int32_t> data);
  static Tensor scalar(float value) { return f32({}, {value}); }

  DType dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  int64_t dim(int64_t i) const { return dims[i]; }
  int64_t numElements() const;
  /// Elements the storage of its dtype holds; numElements() for any tensor
  /// built through the constructors, but a caller may resize f32Vec().
  int64_t storedElements() const {
    return static_cast<int64_t>(type == DType::F32 ? f.size() : i.size());
  }

  float *f32Data() { return f.data(); }
  const float *f32Data() const { return f.data(); }
  int32_t *i32Data() { return i.data(); }
  const int32_t *i32Data() const { return i.data(); }
  std::vector<float> &f32Vec() { return f; }
  const std::vector<float> &f32Vec() const { return f; }
  std::vector<int32_t> &i32Vec() { return i; }
  const std::vector<int32_t> &i32Vec() const { return i; }

  /// Element at a flat (row-major) index, converted to double whatever the
  /// dtype; convenient in tests and printing.
  double at(int64_t flat) const;

  /// "f32[2,3]".
  std::string typeString() const;

private:
  DType type = DType::F32;
  std::vector<int64_t> dims;
  std::vector<float> f;
  std::vector<int32_t> i;
};

/// Row-major strides of a shape, in elements.
std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape);

} // namespace rnnc

#endif // RNNC_RUNTIME_TENSOR_H
