//===- ir/Types.h - Tensor types with static and symbolic dims -*- C++ -*-===//
//
// Every IR value is a tensor. Feature sizes are compile-time constants, which
// lets codegen specialize every loop; batch and time (and other run-time sizes
// such as a source length S) are symbolic dims, named by an identifier and bound
// to a concrete size when a function runs. Textual form: `f32[T,B,256]`,
// `i32[B]`, and `f32[]` for a scalar.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_TYPES_H
#define RNNC_IR_TYPES_H

#include "runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::ir {

using rnnc::DType;

/// One dimension: a static size (sym empty) or a symbolic one (size == -1).
struct Dim {
  int64_t size = 0;
  std::string sym;

  static Dim fixed(int64_t n) { return Dim{n, {}}; }
  static Dim symbolic(std::string name) { return Dim{-1, std::move(name)}; }
  bool isStatic() const { return sym.empty(); }
  bool operator==(const Dim &o) const {
    return size == o.size && sym == o.sym;
  }
  std::string str() const { return isStatic() ? std::to_string(size) : sym; }
};

class TensorType {
public:
  TensorType() = default;
  TensorType(DType dtype, std::vector<Dim> dims)
      : elem(dtype), shape(std::move(dims)) {}
  /// A type whose dims are all static.
  static TensorType get(DType dtype, const std::vector<int64_t> &sizes);
  static TensorType f32(std::vector<Dim> dims) {
    return TensorType(DType::F32, std::move(dims));
  }
  static TensorType i32(std::vector<Dim> dims) {
    return TensorType(DType::I32, std::move(dims));
  }

  DType dtype() const { return elem; }
  const std::vector<Dim> &dims() const { return shape; }
  const Dim &dim(size_t i) const { return shape[i]; }
  size_t rank() const { return shape.size(); }
  bool isScalar() const { return shape.empty(); }
  bool isStatic() const;
  /// The number of elements, or -1 when a dim is symbolic.
  int64_t staticNumElements() const;

  TensorType withDims(std::vector<Dim> dims) const {
    return TensorType(elem, std::move(dims));
  }
  TensorType withDType(DType dtype) const { return TensorType(dtype, shape); }

  bool operator==(const TensorType &o) const {
    return elem == o.elem && shape == o.shape;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }

  /// The textual form, e.g. "f32[T,B,256]".
  std::string str() const;

private:
  DType elem = DType::F32;
  std::vector<Dim> shape;
};

} // namespace rnnc::ir

#endif // RNNC_IR_TYPES_H
