//===- ir/InterpreterKernels.cpp - Elementwise, cast and matmul kernels ---===//
//
// The interpreter's arithmetic kernels and the indexing helpers the other
// kernel files share. Each elementwise result is computed in double and
// rounded once to float, so the oracle is as close to exact as f32 storage
// allows.
//
//===----------------------------------------------------------------------===//
#include "ir/InterpreterKernels.h"
#include "ir/ScalarSemantics.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

namespace rnnc::ir::interp {

int64_t numElements(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<int64_t> gatherOffsets(const Shape &out,
                                   const std::vector<int64_t> &steps) {
  int64_t n = numElements(out);
  std::vector<int64_t> offsets(n);
  std::vector<int64_t> index(out.size(), 0);
  int64_t cur = 0;
  for (int64_t f = 0; f < n; ++f) {
    offsets[f] = cur;
    // Advance the multi-index like an odometer, last dim fastest.
    for (int64_t d = static_cast<int64_t>(out.size()) - 1; d >= 0; --d) {
      ++index[d];
      cur += steps[d];
      if (index[d] < out[d])
        break;
      cur -= steps[d] * index[d];
      index[d] = 0;
    }
  }
  return offsets;
}

std::vector<int64_t> broadcastOffsets(const Shape &in, const Shape &out) {
  Shape inStrides = rowMajorStrides(in);
  std::vector<int64_t> steps(out.size(), 0);
  size_t lead = out.size() - in.size();
  for (size_t k = 0; k < in.size(); ++k)
    steps[lead + k] = in[k] == 1 ? 0 : inStrides[k];
  return gatherOffsets(out, steps);
}

Tensor gather(const Tensor &src, const Shape &out,
              const std::vector<int64_t> &offsets) {
  Tensor r(src.dtype(), out);
  for (size_t k = 0; k < offsets.size(); ++k) {
    if (src.dtype() == DType::F32)
      r.f32Vec()[k] = src.f32Vec()[offsets[k]];
    else
      r.i32Vec()[k] = src.i32Vec()[offsets[k]];
  }
  return r;
}

Result<Tensors> runElementwise(const KernelArgs &a) {
  OpKind kind = a.op.kind();
  const Shape &out = a.outShapes[0];
  Tensor r(DType::F32, out);
  std::vector<float> &dst = r.f32Vec();
  if (isElementwiseUnary(kind)) {
    const std::vector<float> &x = a.in[0]->f32Vec();
    for (size_t k = 0; k < dst.size(); ++k)
      dst[k] = static_cast<float>(evalUnary(kind, x[k]));
    return Tensors{std::move(r)};
  }
  std::vector<std::vector<int64_t>> offs;
  for (const Tensor *t : a.in)
    offs.push_back(broadcastOffsets(t->shape(), out));
  if (kind == OpKind::Select) {
    const auto &c = a.in[0]->f32Vec(), &x = a.in[1]->f32Vec(),
               &y = a.in[2]->f32Vec();
    for (size_t k = 0; k < dst.size(); ++k)
      dst[k] = c[offs[0][k]] != 0.0f ? x[offs[1][k]] : y[offs[2][k]];
    return Tensors{std::move(r)};
  }
  const auto &x = a.in[0]->f32Vec(), &y = a.in[1]->f32Vec();
  for (size_t k = 0; k < dst.size(); ++k)
    dst[k] =
        static_cast<float>(evalBinary(kind, x[offs[0][k]], y[offs[1][k]]));
  return Tensors{std::move(r)};
}

Result<Tensors> runCast(const KernelArgs &a) {
  const Tensor &x = *a.in[0];
  DType to = a.op.getString("to") == "i32" ? DType::I32 : DType::F32;
  Tensor r(to, x.shape());
  if (x.dtype() == to)
    return Tensors{x};
  if (to == DType::F32) {
    for (size_t k = 0; k < x.i32Vec().size(); ++k)
      r.f32Vec()[k] = static_cast<float>(x.i32Vec()[k]);
    return Tensors{std::move(r)};
  }
  // f32 -> i32 truncates toward zero; a value with no i32 truncation (NaN,
  // infinity, out of range) is an error rather than undefined behaviour.
  for (size_t k = 0; k < x.f32Vec().size(); ++k) {
    double v = std::trunc(static_cast<double>(x.f32Vec()[k]));
    if (!(v >= std::numeric_limits<int32_t>::min() &&
          v <= std::numeric_limits<int32_t>::max()))
      return makeError("cannot cast " + std::to_string(x.f32Vec()[k]) +
                       " (element " + std::to_string(k) + ") to i32");
    r.i32Vec()[k] = static_cast<int32_t>(v);
  }
  return Tensors{std::move(r)};
}

Result<Tensors> runMatMul(const KernelArgs &a) {
  using RowMajor =
      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Map = Eigen::Map<const RowMajor>;
  bool ta = a.op.getBool("transpose_a"), tb = a.op.getBool("transpose_b");
  const Tensor &x = *a.in[0], &y = *a.in[1];
  size_t rx = x.shape().size(), ry = y.shape().size();
  int64_t xr = x.dim(rx - 2), xc = x.dim(rx - 1);
  int64_t yr = y.dim(ry - 2), yc = y.dim(ry - 1);
  int64_t batch = 1;
  for (size_t k = 0; k + 2 < rx; ++k)
    batch *= x.dim(k);
  bool batchedRhs = ry == rx && rx > 2;
  // A shared rhs and an untransposed lhs: all leading dims fold into the rows
  // of one product ([T,B,K] @ W is one [T*B,K] @ W).
  if (!batchedRhs && !ta) {
    xr *= batch;
    batch = 1;
  }
  int64_t n = a.outShapes[0].back();
  Tensor r(DType::F32, a.outShapes[0]);
  // Products run in double so the oracle accumulates without f32 rounding.
  auto load = [](const float *p, int64_t rows, int64_t cols) {
    return Eigen::MatrixXd(Map(p, rows, cols).cast<double>());
  };
  auto multiply = [&](const Eigen::MatrixXd &l, const Eigen::MatrixXd &r) {
    if (ta && tb)
      return Eigen::MatrixXd(l.transpose() * r.transpose());
    if (ta)
      return Eigen::MatrixXd(l.transpose() * r);
    if (tb)
      return Eigen::MatrixXd(l * r.transpose());
    return Eigen::MatrixXd(l * r);
  };
  Eigen::MatrixXd shared;
  if (!batchedRhs)
    shared = load(y.f32Data(), yr, yc);
  for (int64_t b = 0; b < batch; ++b) {
    Eigen::MatrixXd lhs = load(x.f32Data() + b * xr * xc, xr, xc);
    Eigen::MatrixXd prod =
        batchedRhs ? multiply(lhs, load(y.f32Data() + b * yr * yc, yr, yc))
                   : multiply(lhs, shared);
    float *dst = r.f32Data() + b * prod.rows() * n;
    for (int64_t i = 0; i < prod.rows(); ++i)
      for (int64_t j = 0; j < n; ++j)
        dst[i * n + j] = static_cast<float>(prod(i, j));
  }
  return Tensors{std::move(r)};
}

} // namespace rnnc::ir::interp
