//===- runtime/Tensor.cpp - A dense, row-major host tensor ----------------===//
#include "runtime/Tensor.h"

#include <cassert>

namespace rnnc {

const char *dtypeName(DType dtype) {
  return dtype == DType::F32 ? "f32" : "i32";
}

static int64_t product(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape)
    : type(dtype), dims(std::move(shape)) {
  if (type == DType::F32)
    f.assign(product(dims), 0.0f);
  else
    i.assign(product(dims), 0);
}

Tensor Tensor::f32(std::vector<int64_t> shape, std::vector<float> data) {
  Tensor t;
  t.type = DType::F32;
  t.dims = std::move(shape);
  assert(static_cast<int64_t>(data.size()) == product(t.dims));
  t.f = std::move(data);
  return t;
}

Tensor Tensor::i32(std::vector<int64_t> shape, std::vector<int32_t> data) {
  Tensor t;
  t.type = DType::I32;
  t.dims = std::move(shape);
  assert(static_cast<int64_t>(data.size()) == product(t.dims));
  t.i = std::move(data);
  return t;
}

int64_t Tensor::numElements() const { return product(dims); }

double Tensor::at(int64_t flat) const {
  return type == DType::F32 ? static_cast<double>(f[flat])
                            : static_cast<double>(i[flat]);
}

std::string Tensor::typeString() const {
  std::string s = dtypeName(type);
  s += '[';
  for (size_t k = 0; k < dims.size(); ++k) {
    if (k)
      s += ',';
    s += std::to_string(dims[k]);
  }
  s += ']';
  return s;
}

std::vector<int64_t> rowMajorStrides(const std::vector<int64_t> &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t k = static_cast<int64_t>(shape.size()) - 2; k >= 0; --k)
    strides[k] = strides[k + 1] * shape[k + 1];
  return strides;
}

} // namespace rnnc
