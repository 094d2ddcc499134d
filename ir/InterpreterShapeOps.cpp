//===- ir/InterpreterShapeOps.cpp - Kernels that move data ----------------===//
//
// concat, split, slice, reshape and transpose for the reference interpreter.
// They work for f32 and i32 alike; each is written as "which input element
// does every output element read", which is the easiest form to get right.
//
//===----------------------------------------------------------------------===//
#include "ir/InterpreterKernels.h"

namespace rnnc::ir::interp {

/// The normalized `axis` attribute (the type rule has checked its range).
static int64_t axisAttr(const Operation &op, size_t rank) {
  int64_t axis = op.getInt("axis");
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

/// Sizes of the dims before and after `axis`.
static void outerInner(const Shape &shape, int64_t axis, int64_t &outer,
                       int64_t &inner) {
  outer = inner = 1;
  for (int64_t k = 0; k < axis; ++k)
    outer *= shape[k];
  for (size_t k = axis + 1; k < shape.size(); ++k)
    inner *= shape[k];
}

template <typename T> static Tensor concatAs(const KernelArgs &a) {
  const Shape &out = a.outShapes[0];
  int64_t axis = axisAttr(a.op, out.size()), outer, inner;
  outerInner(out, axis, outer, inner);
  Tensor r(a.in[0]->dtype(), out);
  std::vector<T> &dst = elems<T>(r);
  int64_t pos = 0;
  // Output row o is the inputs' rows o laid side by side along the axis.
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *t : a.in) {
      int64_t chunk = t->dim(axis) * inner;
      const std::vector<T> &src = elems<T>(*t);
      for (int64_t k = 0; k < chunk; ++k)
        dst[pos++] = src[o * chunk + k];
    }
  return r;
}

/// The window [start, start + size) of `x` along `axis`.
template <typename T>
static Tensor window(const Tensor &x, int64_t axis, int64_t start,
                     int64_t size) {
  Shape out = x.shape();
  out[axis] = size;
  int64_t outer, inner;
  outerInner(out, axis, outer, inner);
  Tensor r(x.dtype(), out);
  std::vector<T> &dst = elems<T>(r);
  const std::vector<T> &src = elems<T>(x);
  int64_t pos = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < size * inner; ++k)
      dst[pos++] = src[(o * x.dim(axis) + start) * inner + k];
  return r;
}

template <typename T> static Tensors splitAs(const KernelArgs &a) {
  const Tensor &x = *a.in[0];
  int64_t axis = axisAttr(a.op, x.shape().size());
  int64_t piece = a.outShapes[0][axis];
  Tensors out;
  for (size_t p = 0; p < a.outShapes.size(); ++p)
    out.push_back(window<T>(x, axis, static_cast<int64_t>(p) * piece, piece));
  return out;
}

template <typename T> static Tensors runAs(const KernelArgs &a) {
  const Tensor &x = *a.in[0];
  const Shape &out = a.outShapes[0];
  switch (a.op.kind()) {
  case OpKind::Concat:
    return {concatAs<T>(a)};
  case OpKind::Split:
    return splitAs<T>(a);
  case OpKind::Slice:
    return {window<T>(x, axisAttr(a.op, out.size()), a.op.getInt("start"),
                      out[axisAttr(a.op, out.size())])};
  case OpKind::Reshape: {
    // Row-major data is unchanged by a reshape; only the shape is new.
    Tensor r(x.dtype(), out);
    elems<T>(r) = elems<T>(x);
    return {std::move(r)};
  }
  case OpKind::Transpose: {
    // Output dim i walks input dim perm[i].
    std::vector<int64_t> perm = a.op.getInts("perm");
    Shape inStrides = rowMajorStrides(x.shape());
    std::vector<int64_t> steps(out.size());
    for (size_t i = 0; i < out.size(); ++i)
      steps[i] = inStrides[perm[i]];
    return {gather(x, out, gatherOffsets(out, steps))};
  }
  default:
    return {};
  }
}

Result<Tensors> runShapeOp(const KernelArgs &a) {
  if (a.in[0]->dtype() == DType::F32)
    return runAs<float>(a);
  return runAs<int32_t>(a);
}

} // namespace rnnc::ir::interp
