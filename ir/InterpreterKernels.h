//===- ir/InterpreterKernels.h - Per-op kernels of the interpreter -*- C++
//-*-===//
//
// Internal to the reference interpreter (ir/Interpreter.cpp): one function per
// op family that computes an op's results from concrete tensors. The driver
// has already worked out every result shape with the op's type rule applied to
// the concrete operand shapes (so attributes and shapes are validated before a
// kernel runs); kernels receive those shapes and only check what depends on
// data (token ids, lengths, targets). Values are stored as float, but sums and
// products accumulate in double: this is the oracle, precision beats speed.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_INTERPRETERKERNELS_H
#define RNNC_IR_INTERPRETERKERNELS_H

#include "ir/Operation.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <type_traits>
#include <vector>

namespace rnnc::ir::interp {

using Shape = std::vector<int64_t>;
using Tensors = std::vector<Tensor>;

/// The inputs of one kernel: the op (for its attributes), its operand tensors
/// and the result shapes the type rule gave.
struct KernelArgs {
  const Operation &op;
  std::vector<const Tensor *> in;
  std::vector<Shape> outShapes;
};

int64_t numElements(const Shape &shape);

/// The storage of a tensor as a vector of T (float for f32, int32_t for i32).
template <typename T> const std::vector<T> &elems(const Tensor &t) {
  if constexpr (std::is_same_v<T, float>)
    return t.f32Vec();
  else
    return t.i32Vec();
}
template <typename T> std::vector<T> &elems(Tensor &t) {
  if constexpr (std::is_same_v<T, float>)
    return t.f32Vec();
  else
    return t.i32Vec();
}

/// For every element of `out` (row-major order) the flat offset it reads,
/// given the offset step of each output dim (0 repeats, as in broadcasting).
std::vector<int64_t> gatherOffsets(const Shape &out,
                                   const std::vector<int64_t> &steps);

/// The offsets that read an operand of shape `in` broadcast (numpy-style,
/// right-aligned) to `out`.
std::vector<int64_t> broadcastOffsets(const Shape &in, const Shape &out);

/// Copies `src` elements at `offsets` into a new tensor of shape `out`.
Tensor gather(const Tensor &src, const Shape &out,
              const std::vector<int64_t> &offsets);

// Op families; each returns the op's results.
Result<Tensors> runElementwise(const KernelArgs &a); // unary, binary, select
Result<Tensors> runCast(const KernelArgs &a);
Result<Tensors> runMatMul(const KernelArgs &a);
Result<Tensors> runShapeOp(const KernelArgs &a); // concat .. transpose
Result<Tensors> runReduce(const KernelArgs &a);
Result<Tensors> runSoftmax(const KernelArgs &a); // softmax, log_softmax
Result<Tensors> runEmbed(const KernelArgs &a);
Result<Tensors> runEmbedGrad(const KernelArgs &a);
Result<Tensors> runOneHot(const KernelArgs &a);
Result<Tensors> runLengthMask(const KernelArgs &a);
Result<Tensors> runCrossEntropy(const KernelArgs &a);
Result<Tensors> runMse(const KernelArgs &a);

} // namespace rnnc::ir::interp

#endif // RNNC_IR_INTERPRETERKERNELS_H
