//===- codegen/LowerTokens.cpp - embed(_grad), one_hot, length_mask -------===//
//
// The ops that read data as indices. A bad index is a run-time error reported
// through rnnc_report_error (runtime/KernelABI.h), never an out-of-bounds
// access: the code carries on with a safe index and the caller returns the
// error instead of the results.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"

namespace rnnc::codegen {

llvm::Error FunctionLowering::lowerEmbed(const ir::Operation &op) {
  const Buffer &table = bufferOf(op.operand(0));
  const Buffer &ids = bufferOf(op.operand(1));
  const Buffer &out = define(op.result(0));
  llvm::Value *rows = table.dims[0], *width = table.dims[1];
  llvm::Value *count = product(ids.dims);
  auto idAt = [&](llvm::Value *k, llvm::Value *&ok) {
    llvm::Value *id = b.CreateSExt(load(DType::I32, ids.data, k), i64Ty());
    ok = b.CreateAnd(b.CreateICmpSGE(id, i64(0)), b.CreateICmpSLT(id, rows));
    return id;
  };
  // The ids are checked here, the rows copied by parts: a training gather
  // ([T*B] rows of a folded [V,4H] table) is megabytes.
  emitLoop(count, "embed.check", [&](llvm::Value *k) {
    llvm::Value *ok, *id = idAt(k, ok);
    emitIf(b.CreateNot(ok), [&] { reportError(RNNC_ERR_EMBED_ID, id, rows); });
  });
  emitParallelLoop(
      count, b.CreateMul(count, width), "embed",
      [&](llvm::Value *begin, llvm::Value *end) {
        emitRange(begin, end, "embed", [&](llvm::Value *k) {
          llvm::Value *ok, *id = idAt(k, ok);
          id = b.CreateSelect(ok, id, i64(0));
          copy(DType::F32, elemPtr(DType::F32, out.data, b.CreateMul(k, width)),
               elemPtr(DType::F32, table.data, b.CreateMul(id, width)), width);
        });
      });
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerEmbedGrad(const ir::Operation &op) {
  // The scatter-add that embed's adjoint is: out[ids[k], :] += dy[k, :]. An
  // id outside [0, rows) adds nothing (the forward embed has reported it).
  // Parts take columns, not ids: two ids may be the same row, and each
  // element still gets its additions in the order of k, whatever the split.
  const Buffer &ids = bufferOf(op.operand(0));
  const Buffer &dy = bufferOf(op.operand(1));
  const Buffer &out = define(op.result(0));
  llvm::Value *rows = out.dims[0], *width = out.dims[1];
  llvm::Value *count = product(ids.dims);
  fill(DType::F32, out.data, f32(0.0), product(out.dims));
  emitParallelLoop(
      width, b.CreateMul(count, width), "embedgrad",
      [&](llvm::Value *begin, llvm::Value *end) {
        emitLoop(count, "embedgrad", [&](llvm::Value *k) {
          llvm::Value *id =
              b.CreateSExt(load(DType::I32, ids.data, k), i64Ty());
          llvm::Value *ok = b.CreateAnd(b.CreateICmpSGE(id, i64(0)),
                                        b.CreateICmpSLT(id, rows));
          emitIf(ok, [&] {
            llvm::Value *src = b.CreateMul(k, width);
            llvm::Value *dst = b.CreateMul(id, width);
            emitRange(begin, end, "embedgrad.j", [&](llvm::Value *j) {
              llvm::Value *at = b.CreateAdd(dst, j);
              store(
                  DType::F32,
                  b.CreateFAdd(load(DType::F32, out.data, at),
                               load(DType::F32, dy.data, b.CreateAdd(src, j))),
                  out.data, at);
            });
          });
        });
      });
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerOneHot(const ir::Operation &op) {
  const Buffer &ids = bufferOf(op.operand(0));
  const Buffer &out = define(op.result(0));
  llvm::Value *depth = i64(op.getInt("depth"));
  fill(DType::F32, out.data, f32(0.0), product(out.dims));
  // An id outside [0, depth) leaves its row all zero (as the reference).
  emitLoop(product(ids.dims), "onehot", [&](llvm::Value *k) {
    llvm::Value *id = b.CreateSExt(load(DType::I32, ids.data, k), i64Ty());
    llvm::Value *ok =
        b.CreateAnd(b.CreateICmpSGE(id, i64(0)), b.CreateICmpSLT(id, depth));
    emitIf(ok, [&] {
      store(DType::F32, f32(1.0), out.data,
            b.CreateAdd(b.CreateMul(k, depth), id));
    });
  });
  return llvm::Error::success();
}

void FunctionLowering::checkLengths(llvm::Value *lengths, llvm::Value *batch,
                                    llvm::Value *steps) {
  emitLoop(batch, "lencheck", [&](llvm::Value *r) {
    llvm::Value *len = b.CreateSExt(load(DType::I32, lengths, r), i64Ty());
    llvm::Value *bad =
        b.CreateOr(b.CreateICmpSLT(len, i64(0)), b.CreateICmpSGT(len, steps));
    emitIf(bad, [&] { reportError(RNNC_ERR_LENGTH, len, steps); });
  });
}

llvm::Error FunctionLowering::lowerLengthMask(const ir::Operation &op) {
  const Buffer &lengths = bufferOf(op.operand(0));
  const Buffer &out = define(op.result(0));
  llvm::Value *steps = out.dims[0], *batch = out.dims[1];
  checkLengths(lengths.data, batch, steps);
  emitLoop(steps, "mask.t", [&](llvm::Value *t) {
    emitLoop(batch, "mask.b", [&](llvm::Value *r) {
      llvm::Value *len =
          b.CreateSExt(load(DType::I32, lengths.data, r), i64Ty());
      store(DType::F32, b.CreateUIToFP(b.CreateICmpSLT(t, len), f32Ty()),
            out.data, b.CreateAdd(b.CreateMul(t, batch), r));
    });
  });
  return llvm::Error::success();
}

} // namespace rnnc::codegen
