//===- ir/Types.cpp - Tensor types with static and symbolic dims ----------===//
#include "ir/Types.h"

namespace rnnc::ir {

TensorType TensorType::get(DType dtype, const std::vector<int64_t> &sizes) {
  std::vector<Dim> dims;
  for (int64_t n : sizes)
    dims.push_back(Dim::fixed(n));
  return TensorType(dtype, std::move(dims));
}

bool TensorType::isStatic() const {
  for (const Dim &d : shape)
    if (!d.isStatic())
      return false;
  return true;
}

int64_t TensorType::staticNumElements() const {
  int64_t n = 1;
  for (const Dim &d : shape) {
    if (!d.isStatic())
      return -1;
    n *= d.size;
  }
  return n;
}

std::string TensorType::str() const {
  std::string s = dtypeName(elem);
  s += '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ',';
    s += shape[i].str();
  }
  s += ']';
  return s;
}

} // namespace rnnc::ir
