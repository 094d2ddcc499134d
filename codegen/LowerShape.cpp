//===- codegen/LowerShape.cpp - matmul and the data-movement ops ----------===//
//
// matmul calls the runtime GEMM: rnnc_matmul, or rnnc_matmul_packed for a
// scan's per-step product whose weight the scan packed before its loop
// (LowerScan.cpp); shape-specialized generated kernels come later.
// concat, split and slice are memcpys of contiguous chunks: for an axis k,
// everything before k is an "outer" count and each operand contributes one
// chunk of dim(k) * (product of the dims after k) elements per outer index.
// reshape is a view of its operand's buffer (the data is already row-major).
// transpose is a loop nest over the result that reads the operand with
// permuted strides.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"
#include "ir/TypeRules.h"

#include <algorithm>

namespace rnnc::codegen {

bool isContractedSum(const ir::Operation &op) {
  // sum over the batch of A_b^T B_b, with A = [L..., K, M] and B =
  // [L..., K, N] row-major, is (A as [L*K, M])^T (B as [L*K, N]): one GEMM
  // whose contraction runs over the batch too. Autodiff makes this for the
  // weight gradient of a product over all steps (dW = sum_t dY_t^T X_t).
  if (op.kind() != ir::OpKind::MatMul || !op.getBool("transpose_a") ||
      op.getBool("transpose_b"))
    return false;
  size_t ra = op.operand(0)->type().rank();
  if (ra < 3 || op.operand(1)->type().rank() != ra)
    return false;
  const auto &uses = op.result(0)->uses();
  if (uses.size() != 1)
    return false;
  const ir::Operation &sum = *uses.front().user;
  if (sum.kind() != ir::OpKind::ReduceSum || sum.getBool("keepdims"))
    return false;
  std::vector<int64_t> axes = sum.getInts("axes");
  std::sort(axes.begin(), axes.end());
  for (size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != static_cast<int64_t>(i))
      return false;
  return axes.size() == ra - 2;
}

llvm::Error FunctionLowering::lowerContractedSum(const ir::Operation &sum) {
  const ir::Operation &mm = *sum.operand(0)->definingOp();
  const Buffer &a = bufferOf(mm.operand(0));
  const Buffer &bm = bufferOf(mm.operand(1));
  const Buffer &out = define(sum.result(0));
  size_t ra = a.dims.size();
  llvm::Value *m = a.dims[ra - 1], *n = bm.dims[ra - 1];
  llvm::Value *k = b.CreateMul(product(a.dims, 0, ra - 2), a.dims[ra - 2]);
  b.CreateCall(runtime(RuntimeFn::MatMul),
               {a.data, bm.data, out.data, i64(1), m, n, k, b.getInt32(1),
                b.getInt32(0), b.CreateMul(m, k), i64(0), b.CreateMul(m, n)});
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerMatMul(const ir::Operation &op) {
  if (isContractedSum(op))
    return llvm::Error::success(); // the reduce_sum that uses it emits it
  const Buffer &a = bufferOf(op.operand(0));
  const Buffer &bm = bufferOf(op.operand(1));
  const Buffer &out = define(op.result(0));
  bool ta = op.getBool("transpose_a"), tb = op.getBool("transpose_b");
  size_t ra = a.dims.size(), rb = bm.dims.size();
  if (ra < 2 || (rb != 2 && rb != ra))
    return fail(op, "operand ranks are not matmul's");
  llvm::Value *m = ta ? a.dims[ra - 1] : a.dims[ra - 2];
  llvm::Value *k = ta ? a.dims[ra - 2] : a.dims[ra - 1];
  llvm::Value *n = tb ? bm.dims[rb - 2] : bm.dims[rb - 1];
  llvm::Value *batch = product(a.dims, 0, ra - 2);
  llvm::Value *strideB = rb == 2 ? i64(0) : b.CreateMul(k, n);
  if (rb == 2 && !ta) {
    // One shared B and row-major A: all leading dims fold into M.
    m = b.CreateMul(batch, m);
    batch = i64(1);
    auto pw = packedWeights.find(&op);
    if (pw != packedWeights.end()) {
      llvm::CallInst *call =
          b.CreateCall(runtime(RuntimeFn::MatMulPacked),
                       {a.data, bm.data, pw->second.panels, pw->second.packed,
                        out.data, m, n, k, b.getInt32(tb)});
      lastPacked = PendingProduct{call, op.result(0)};
      return llvm::Error::success();
    }
  }
  b.CreateCall(runtime(RuntimeFn::MatMul),
               {a.data, bm.data, out.data, batch, m, n, k, b.getInt32(ta),
                b.getInt32(tb), b.CreateMul(m, k), strideB, b.CreateMul(m, n)});
  return llvm::Error::success();
}

int64_t normalizedAxis(const ir::Operation &op, size_t rank) {
  int64_t axis = op.getInt("axis");
  return axis < 0 ? axis + static_cast<int64_t>(rank) : axis;
}

/// Whether a concat can use its operands in place when they happen to lie
/// one after another: every dim before the axis is a static 1 (so the
/// result is the operands' data back to back), and the result is neither a
/// returned value nor a scan output (those must be written where they go).
bool FunctionLowering::concatMayAlias(const ir::Operation &op) {
  const ir::Value *r = op.result(0);
  if (op.numOperands() < 2 || resultSlot.count(r) || isPlaced(r))
    return false;
  const ir::TensorType &t = r->type();
  int64_t axis = normalizedAxis(op, t.rank());
  if (axis < 0 || axis >= static_cast<int64_t>(t.rank()))
    return false;
  for (int64_t d = 0; d < axis; ++d)
    if (!t.dim(d).isStatic() || t.dim(d).size != 1)
      return false;
  return true;
}

llvm::Error FunctionLowering::lowerConcat(const ir::Operation &op) {
  if (concatMayAlias(op)) {
    // The concatenations gate fusion makes of a cell's weights (Wi, Wf, Wg,
    // Wo along axis 0) are of consecutive parameters. A caller that packs
    // its parameters into one buffer in argument order (codegen::
    // PackedArgs, the AOT runtime) gets them in place: one pointer check
    // per operand instead of copying every weight on every call, which for
    // step-at-a-time use (rnnc sample, an AOT _step) was most of a step.
    // Otherwise the data is copied as usual; both give the same values.
    const ir::Value *r = op.result(0);
    DType dtype = r->type().dtype();
    std::vector<llvm::Value *> dims = dimsOf(r->type());
    llvm::Value *copyTo = allocate(product(allocB, dims), dtype, r->name());
    llvm::Value *adjacent = b.getTrue();
    for (unsigned k = 1; k < op.numOperands(); ++k) {
      const Buffer &prev = bufferOf(op.operand(k - 1));
      llvm::Value *end = elemPtr(dtype, prev.data, product(prev.dims));
      adjacent = b.CreateAnd(adjacent,
                             b.CreateICmpEQ(bufferOf(op.operand(k)).data, end));
    }
    emitIf(b.CreateNot(adjacent), [&] {
      llvm::Value *offset = i64(0);
      for (const ir::Value *v : op.operands()) {
        const Buffer &x = bufferOf(v);
        llvm::Value *n = product(x.dims);
        copy(dtype, elemPtr(dtype, copyTo, offset), x.data, n);
        offset = b.CreateAdd(offset, n);
      }
    });
    bind(r, b.CreateSelect(adjacent, bufferOf(op.operand(0)).data, copyTo,
                           "concat.data"));
    return llvm::Error::success();
  }
  const Buffer &out = define(op.result(0));
  int64_t axis = normalizedAxis(op, out.dims.size());
  if (axis < 0 || axis >= static_cast<int64_t>(out.dims.size()))
    return fail(op, "axis out of range");
  llvm::Value *outer = product(out.dims, 0, axis);
  llvm::Value *inner = product(out.dims, axis + 1);
  llvm::Value *outChunk = b.CreateMul(out.dims[axis], inner);
  llvm::Value *offset = i64(0);
  for (const ir::Value *v : op.operands()) {
    const Buffer &x = bufferOf(v);
    llvm::Value *chunk = b.CreateMul(x.dims[axis], inner);
    llvm::Value *at = offset;
    emitLoop(outer, "concat", [&](llvm::Value *o) {
      copy(out.dtype,
           elemPtr(out.dtype, out.data,
                   b.CreateAdd(b.CreateMul(o, outChunk), at)),
           elemPtr(x.dtype, x.data, b.CreateMul(o, chunk)), chunk);
    });
    offset = b.CreateAdd(offset, chunk);
  }
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerSplitOrSlice(const ir::Operation &op) {
  const Buffer &x = bufferOf(op.operand(0));
  int64_t axis = normalizedAxis(op, x.dims.size());
  if (axis < 0 || axis >= static_cast<int64_t>(x.dims.size()))
    return fail(op, "axis out of range");
  llvm::Value *outer = product(x.dims, 0, axis);
  llvm::Value *inner = product(x.dims, axis + 1);
  llvm::Value *inChunk = b.CreateMul(x.dims[axis], inner);
  for (unsigned r = 0; r < op.numResults(); ++r) {
    const Buffer &out = define(op.result(r));
    llvm::Value *chunk = b.CreateMul(out.dims[axis], inner);
    // A slice starts at `start`; split part r starts at r * part size.
    llvm::Value *start = op.kind() == ir::OpKind::Slice
                             ? i64(op.getInt("start"))
                             : b.CreateMul(i64(r), out.dims[axis]);
    llvm::Value *first = b.CreateMul(start, inner);
    emitLoop(outer, "window", [&](llvm::Value *o) {
      copy(
          out.dtype, elemPtr(out.dtype, out.data, b.CreateMul(o, chunk)),
          elemPtr(x.dtype, x.data, b.CreateAdd(b.CreateMul(o, inChunk), first)),
          chunk);
    });
  }
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerReshape(const ir::Operation &op) {
  bind(op.result(0), bufferOf(op.operand(0)).data);
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerTranspose(const ir::Operation &op) {
  const Buffer &x = bufferOf(op.operand(0));
  const Buffer &out = define(op.result(0));
  std::vector<int64_t> perm = op.getInts("perm");
  size_t rank = x.dims.size();
  if (perm.size() != rank)
    return fail(op, "perm does not match the rank");
  // inStride[k]: the input's row-major stride of dim k.
  std::vector<llvm::Value *> inStride(rank);
  llvm::Value *s = i64(1);
  for (size_t k = rank; k-- > 0;) {
    inStride[k] = s;
    s = b.CreateMul(s, x.dims[k]);
  }
  std::function<void(size_t, llvm::Value *, llvm::Value *)> nest =
      [&](size_t d, llvm::Value *outIdx, llvm::Value *inIdx) {
        if (d == rank) {
          store(out.dtype, load(x.dtype, x.data, inIdx), out.data, outIdx);
          return;
        }
        emitLoop(out.dims[d], "tr", [&](llvm::Value *iv) {
          nest(d + 1, b.CreateAdd(b.CreateMul(outIdx, out.dims[d]), iv),
               b.CreateAdd(inIdx, b.CreateMul(iv, inStride[perm[d]])));
        });
      };
  nest(0, i64(0), i64(0));
  return llvm::Error::success();
}

} // namespace rnnc::codegen
