//===- ir/InterpreterReductions.cpp - Reductions, tokens, masks, losses ---===//
//
// The interpreter's kernels that sum over data or read it as indices:
// reduce_*, softmax/log_softmax, embed, embed_grad, one_hot, length_mask and the
// losses.
// Sums accumulate in double. Data-dependent problems (an id outside the
// table, a target outside the vocabulary, a length outside [0, T]) are
// returned as errors naming the offending value.
//
//===----------------------------------------------------------------------===//
#include "ir/InterpreterKernels.h"

#include <cmath>
#include <limits>

namespace rnnc::ir::interp {

Result<Tensors> runReduce(const KernelArgs &a) {
  const Tensor &x = *a.in[0];
  const Shape &in = x.shape();
  std::vector<bool> reduced(in.size(), false);
  for (int64_t axis : a.op.getInts("axes"))
    reduced[axis < 0 ? axis + static_cast<int64_t>(in.size()) : axis] = true;
  // Each input element adds into the output element with the same index in
  // the kept dims: walk the input with step 0 along the reduced dims.
  Shape kept = in;
  int64_t count = 1;
  for (size_t k = 0; k < in.size(); ++k)
    if (reduced[k]) {
      kept[k] = 1;
      count *= in[k];
    }
  Shape keptStrides = rowMajorStrides(kept);
  std::vector<int64_t> steps(in.size());
  for (size_t k = 0; k < in.size(); ++k)
    steps[k] = reduced[k] ? 0 : keptStrides[k];
  std::vector<int64_t> dst = gatherOffsets(in, steps);

  OpKind kind = a.op.kind();
  int64_t n = numElements(kept);
  double init =
      kind == OpKind::ReduceMax ? -std::numeric_limits<double>::infinity() : 0;
  std::vector<double> acc(n, init);
  const std::vector<float> &src = x.f32Vec();
  for (size_t k = 0; k < src.size(); ++k) {
    double v = src[k];
    double &s = acc[dst[k]];
    if (kind != OpKind::ReduceMax)
      s += v;
    else if (std::isnan(v) || v > s) // NaN propagates, as in numpy.max
      s = v;
  }
  Tensor r(DType::F32, a.outShapes[0]);
  for (int64_t k = 0; k < n; ++k)
    r.f32Vec()[k] = static_cast<float>(kind == OpKind::ReduceMean
                                           ? acc[k] / static_cast<double>(count)
                                           : acc[k]);
  return Tensors{std::move(r)};
}

Result<Tensors> runSoftmax(const KernelArgs &a) {
  const Tensor &x = *a.in[0];
  const Shape &shape = x.shape();
  int64_t axis = a.op.getInt("axis", -1);
  if (axis < 0)
    axis += static_cast<int64_t>(shape.size());
  int64_t outer = 1, inner = 1, len = shape[axis];
  for (int64_t k = 0; k < axis; ++k)
    outer *= shape[k];
  for (size_t k = axis + 1; k < shape.size(); ++k)
    inner *= shape[k];
  bool logForm = a.op.kind() == OpKind::LogSoftmax;
  Tensor r(DType::F32, shape);
  const std::vector<float> &src = x.f32Vec();
  std::vector<float> &dst = r.f32Vec();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return (o * len + j) * inner + i; };
      // Subtracting the max keeps exp() from overflowing.
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < len; ++j)
        mx = std::max(mx, static_cast<double>(src[at(j)]));
      double sum = 0;
      for (int64_t j = 0; j < len; ++j)
        sum += std::exp(src[at(j)] - mx);
      double logSum = std::log(sum);
      for (int64_t j = 0; j < len; ++j) {
        double z = src[at(j)] - mx;
        dst[at(j)] =
            static_cast<float>(logForm ? z - logSum : std::exp(z) / sum);
      }
    }
  return Tensors{std::move(r)};
}

Result<Tensors> runEmbed(const KernelArgs &a) {
  const Tensor &table = *a.in[0], &ids = *a.in[1];
  int64_t v = table.dim(0), e = table.dim(1);
  Tensor r(DType::F32, a.outShapes[0]);
  for (size_t k = 0; k < ids.i32Vec().size(); ++k) {
    int64_t id = ids.i32Vec()[k];
    if (id < 0 || id >= v)
      return makeError("id " + std::to_string(id) + " (element " +
                       std::to_string(k) + ") is out of range for a table of " +
                       "V = " + std::to_string(v) + " rows");
    for (int64_t j = 0; j < e; ++j)
      r.f32Vec()[k * e + j] = table.f32Vec()[id * e + j];
  }
  return Tensors{std::move(r)};
}

Result<Tensors> runEmbedGrad(const KernelArgs &a) {
  // Sums in double, as every reduction here, then rounds once.
  const Tensor &ids = *a.in[0], &dy = *a.in[1];
  int64_t v = a.op.getInt("rows"), e = a.outShapes[0][1];
  std::vector<double> sum(static_cast<size_t>(v * e), 0.0);
  for (size_t k = 0; k < ids.i32Vec().size(); ++k) {
    int64_t id = ids.i32Vec()[k];
    if (id < 0 || id >= v)
      continue;
    for (int64_t j = 0; j < e; ++j)
      sum[id * e + j] += dy.f32Vec()[k * e + j];
  }
  Tensor r(DType::F32, a.outShapes[0]);
  for (size_t i = 0; i < sum.size(); ++i)
    r.f32Vec()[i] = static_cast<float>(sum[i]);
  return Tensors{std::move(r)};
}

Result<Tensors> runOneHot(const KernelArgs &a) {
  // An id outside [0, depth) gives an all-zero row (as TensorFlow's one_hot),
  // so padding ids such as -1 need no special case.
  const Tensor &ids = *a.in[0];
  int64_t depth = a.op.getInt("depth");
  Tensor r(DType::F32, a.outShapes[0]);
  for (size_t k = 0; k < ids.i32Vec().size(); ++k) {
    int64_t id = ids.i32Vec()[k];
    if (id >= 0 && id < depth)
      r.f32Vec()[k * depth + id] = 1.0f;
  }
  return Tensors{std::move(r)};
}

/// Checks that every length lies in [0, t]; `what` names the op for errors.
static Status checkLengths(const Tensor &lengths, int64_t t) {
  for (size_t b = 0; b < lengths.i32Vec().size(); ++b) {
    int64_t len = lengths.i32Vec()[b];
    if (len < 0 || len > t)
      return makeError("length " + std::to_string(len) + " of row " +
                       std::to_string(b) +
                       " is outside [0, T = " + std::to_string(t) + "]");
  }
  return Status::ok();
}

Result<Tensors> runLengthMask(const KernelArgs &a) {
  const Tensor &lengths = *a.in[0];
  int64_t t = a.outShapes[0][0], b = a.outShapes[0][1];
  if (Status s = checkLengths(lengths, t); !s)
    return makeError(s.error());
  Tensor r(DType::F32, a.outShapes[0]);
  for (int64_t i = 0; i < t; ++i)
    for (int64_t j = 0; j < b; ++j)
      r.f32Vec()[i * b + j] = i < lengths.i32Vec()[j] ? 1.0f : 0.0f;
  return Tensors{std::move(r)};
}

Result<Tensors> runCrossEntropy(const KernelArgs &a) {
  const Tensor &logits = *a.in[0], &targets = *a.in[1];
  const Tensor *mask = a.in.size() == 3 ? a.in[2] : nullptr;
  int64_t v = logits.shape().back();
  int64_t positions = targets.numElements();
  double total = 0, weight = 0;
  for (int64_t p = 0; p < positions; ++p) {
    double m = mask ? mask->f32Vec()[p] : 1.0;
    // A masked-out position is not read at all, so padding may carry any
    // target (e.g. -1).
    if (m == 0.0)
      continue;
    int64_t tgt = targets.i32Vec()[p];
    if (tgt < 0 || tgt >= v)
      return makeError(
          "target " + std::to_string(tgt) + " (position " + std::to_string(p) +
          ") is out of range for V = " + std::to_string(v) + " classes");
    const float *row = logits.f32Data() + p * v;
    double mx = -std::numeric_limits<double>::infinity();
    for (int64_t j = 0; j < v; ++j)
      mx = std::max(mx, static_cast<double>(row[j]));
    double sum = 0;
    for (int64_t j = 0; j < v; ++j)
      sum += std::exp(row[j] - mx);
    double nll = -(row[tgt] - mx - std::log(sum));
    total += m * nll;
    weight += m;
  }
  // No (unmasked) position at all gives 0, not 0/0.
  return Tensors{Tensor::scalar(
      weight == 0.0 ? 0.0f : static_cast<float>(total / weight))};
}

Result<Tensors> runMse(const KernelArgs &a) {
  const Tensor &pred = *a.in[0], &target = *a.in[1];
  const Tensor *mask = a.in.size() == 3 ? a.in[2] : nullptr;
  int64_t n = pred.numElements();
  // The mask covers leading dims; each mask entry weighs `trailing` elements.
  int64_t rows = mask ? mask->numElements() : n;
  int64_t trailing = rows == 0 ? 0 : n / rows;
  double total = 0, weight = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double m = mask ? mask->f32Vec()[r] : 1.0;
    if (m == 0.0)
      continue;
    for (int64_t k = r * trailing; k < (r + 1) * trailing; ++k) {
      double d = static_cast<double>(pred.f32Vec()[k]) - target.f32Vec()[k];
      total += m * d * d;
    }
    weight += m * static_cast<double>(trailing);
  }
  return Tensors{Tensor::scalar(
      weight == 0.0 ? 0.0f : static_cast<float>(total / weight))};
}

} // namespace rnnc::ir::interp
