//===- codegen/LowerScan.cpp - The recurrence: scan as a loop over time ---===//
//
// scan(seqs..., inits..., captures... [, lengths]) becomes one loop over
// s = 0..T-1 (t = T-1-s when reversed) around the lowered body:
//
//  - carried values live in the buffers of the scan's final-carry results,
//    initialized by copying the inits; the body reads them in place;
//  - step inputs are views of their sequence at row t (time-major, so each
//    step is contiguous); captures are the operands' own buffers;
//  - the body's values have buffers allocated once on entry (the alloc
//    block), so no step allocates;
//  - a per-step output computed by a body op is written in place into row t
//    of its stacked result; any other output (a body argument, a view, a
//    constant) is copied there after the body. Then each next carry is copied
//    into its carry buffer (outputs first, since an output may be a carry's
//    current value). A carry that receives another carry's current value is
//    staged through a copy first.
//  - a per-step product x @ op(W) against a captured W gets W packed once,
//    before the loop (packScanWeights, runtime/PackedMatMul.cpp), when the
//    runtime judges that the steps repay the copy;
//  - with lengths, row b is active while t < len[b]: inactive rows keep their
//    carry and get zero outputs. While t is below the shortest length, the
//    copies move whole blocks. Lengths outside [0, T] are a run-time error.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"
#include "runtime/Gemm.h"

namespace rnnc::codegen {

void FunctionLowering::packScanWeights(const ir::Block &body,
                                       const ir::ScanLayout &l,
                                       llvm::Value *steps) {
  const unsigned captureBegin = l.numSeq + l.numCarry;
  for (const auto &opPtr : body.ops()) {
    const ir::Operation &op = *opPtr;
    if (op.kind() != ir::OpKind::MatMul || op.getBool("transpose_a") ||
        isContractedSum(op))
      continue;
    const ir::Value *a = op.operand(0), *w = op.operand(1);
    // Only a captured weight is the same at every step.
    if (w->definingOp() || w->ownerBlock() != &body ||
        w->argIndex() < captureBegin ||
        w->argIndex() >= captureBegin + l.numCapture)
      continue;
    if (w->type().rank() != 2 || a->type().rank() < 2 ||
        w->type().dtype() != DType::F32 || a->type().dtype() != DType::F32)
      continue;
    const bool tb = op.getBool("transpose_b");
    std::vector<llvm::Value *> ad = dimsOf(a->type()), wd = dimsOf(w->type());
    llvm::Value *m = product(ad, 0, ad.size() - 1), *k = ad.back();
    llvm::Value *n = tb ? wd[0] : wd[1];
    // gemm::packedFloats(N, K): N rounded up to kPackedColumns, times K.
    llvm::Value *width = allocB.getInt64(gemm::kPackedColumns);
    llvm::Value *cols = allocB.CreateMul(
        allocB.CreateUDiv(
            allocB.CreateAdd(n, allocB.getInt64(gemm::kPackedColumns - 1)),
            width),
        width);
    llvm::Value *panels =
        allocate(allocB.CreateMul(cols, k), DType::F32, "packed");
    llvm::Value *packed =
        b.CreateCall(runtime(RuntimeFn::PackB), {bufferOf(w).data, panels, m, n,
                                                 k, b.getInt32(tb), steps});
    packedWeights[&op] = {panels, packed};
  }
}

llvm::Error FunctionLowering::lowerScan(const ir::Operation &op) {
  ir::ScanLayout l = ir::scanLayout(op);
  if (op.numRegions() != 1 || l.numSeq < 1 ||
      op.numOperands() != l.numOperands())
    return fail(op, "operands do not match its attributes");
  const ir::Block &body = *op.region(0);
  const ir::Operation *yield = body.terminator();
  if (body.numArgs() != l.numSeq + l.numCarry + l.numCapture || !yield ||
      yield->kind() != ir::OpKind::Yield || op.numResults() < l.numCarry ||
      yield->numOperands() != op.numResults())
    return fail(op, "body does not match its operands and results");
  unsigned numOut = op.numResults() - l.numCarry;

  const ir::TensorType &seqType = op.operand(0)->type();
  const Buffer &seq0 = bufferOf(op.operand(0));
  llvm::Value *steps = seq0.dims[0], *batch = seq0.dims[1];

  const Buffer *lengths = nullptr;
  if (l.hasLengths) {
    lengths = &bufferOf(op.operand(l.lengthsIndex()));
    // Holding a row's carry and zeroing its outputs needs [B,...] values.
    auto batchMajor = [&](const ir::TensorType &t) {
      return t.rank() >= 1 && t.dim(0) == seqType.dim(1);
    };
    for (unsigned i = 0; i < yield->numOperands(); ++i)
      if (!batchMajor(yield->operand(i)->type()))
        return fail(op, "with lengths, carried values and outputs must be "
                        "[B,...], got " +
                            yield->operand(i)->type().str());
    checkLengths(lengths->data, batch, steps);
  }
  // The shortest length: while t is below it every row is active, and the
  // per-step copies below move whole [B,...] blocks instead of row by row
  // (at B = 64 the row loop made 128 calls to memcpy per LSTM step).
  llvm::Value *minLen = nullptr;
  if (lengths) {
    llvm::AllocaInst *least = entryAlloca(i64Ty(), "minlen");
    b.CreateStore(steps, least);
    emitLoop(batch, "minlen", [&](llvm::Value *r) {
      llvm::Value *len =
          b.CreateSExt(load(DType::I32, lengths->data, r), i64Ty());
      llvm::Value *cur = b.CreateLoad(i64Ty(), least);
      b.CreateStore(b.CreateSelect(b.CreateICmpSLT(len, cur), len, cur), least);
    });
    minLen = b.CreateLoad(i64Ty(), least, "minlen.value");
  }

  // Carries live in the final-carry results' buffers.
  std::vector<const Buffer *> carry(l.numCarry);
  for (unsigned i = 0; i < l.numCarry; ++i) {
    const Buffer &init = bufferOf(op.operand(l.carryBegin() + i));
    carry[i] = &define(op.result(numOut + i));
    copy(init.dtype, carry[i]->data, init.data, product(init.dims));
    bind(body.arg(l.numSeq + i), carry[i]->data);
  }
  for (unsigned i = 0; i < l.numCapture; ++i)
    bind(body.arg(l.numSeq + l.numCarry + i),
         bufferOf(op.operand(l.captureBegin() + i)).data);
  std::vector<const Buffer *> outs(numOut);
  for (unsigned o = 0; o < numOut; ++o)
    outs[o] = &define(op.result(o));
  packScanWeights(body, l, steps);

  // A next carry that is another carry's current value needs a staging copy.
  std::vector<llvm::Value *> staging(l.numCarry, nullptr);
  auto carryIndexOf = [&](const ir::Value *v) -> int {
    if (v->ownerBlock() != &body || v->argIndex() < l.numSeq ||
        v->argIndex() >= l.numSeq + l.numCarry)
      return -1;
    return static_cast<int>(v->argIndex() - l.numSeq);
  };
  for (unsigned i = 0; i < l.numCarry; ++i) {
    int j = carryIndexOf(yield->operand(i));
    if (j >= 0 && j != static_cast<int>(i))
      staging[i] =
          allocate(product(allocB, carry[i]->dims), carry[i]->dtype, "stage");
  }

  std::string bodyError;
  emitLoop(steps, "scan", [&](llvm::Value *s) {
    llvm::Value *t = l.reverse ? b.CreateSub(b.CreateSub(steps, i64(1)), s) : s;
    for (unsigned i = 0; i < l.numSeq; ++i) {
      const Buffer &seq = bufferOf(op.operand(i));
      llvm::Value *stepElems = product(seq.dims, 1);
      bind(body.arg(i),
           elemPtr(seq.dtype, seq.data, b.CreateMul(t, stepElems)));
    }
    // Outputs computed by a body op are written in place, into row t of
    // their stacked result (views and constants keep their own storage).
    std::vector<llvm::Value *> rowOut(numOut);
    for (unsigned o = 0; o < numOut; ++o) {
      rowOut[o] = elemPtr(outs[o]->dtype, outs[o]->data,
                          b.CreateMul(t, product(outs[o]->dims, 1)));
      const ir::Value *v = yield->operand(l.numCarry + o);
      const ir::Operation *def = v->definingOp();
      if (def && def->parentBlock() == &body &&
          def->kind() != ir::OpKind::Reshape &&
          def->kind() != ir::OpKind::Constant && !isPlaced(v))
        placeInto(v, rowOut[o]);
    }
    if (llvm::Error err = lowerBlock(body)) {
      bodyError = llvm::toString(std::move(err));
      return;
    }
    auto active = [&](llvm::Value *r) {
      llvm::Value *len =
          b.CreateSExt(load(DType::I32, lengths->data, r), i64Ty());
      return b.CreateICmpSLT(t, len);
    };
    llvm::Value *allActive = minLen ? b.CreateICmpSLT(t, minLen) : nullptr;
    // Outputs: row t of each stacked result.
    for (unsigned o = 0; o < numOut; ++o) {
      const Buffer &src = bufferOf(yield->operand(l.numCarry + o));
      llvm::Value *stepElems = product(outs[o]->dims, 1);
      llvm::Value *dst = rowOut[o];
      bool inPlace = src.data == dst;
      if (!lengths) {
        copy(src.dtype, dst, src.data, stepElems);
        continue;
      }
      if (!inPlace)
        emitIf(allActive, [&] { copy(src.dtype, dst, src.data, stepElems); });
      llvm::Value *rowElems = product(src.dims, 1);
      emitIf(b.CreateNot(allActive), [&] {
        emitLoop(batch, "scan.out", [&](llvm::Value *r) {
          llvm::Value *off = b.CreateMul(r, rowElems);
          llvm::Value *on = active(r);
          if (!inPlace)
            emitIf(on, [&] {
              copy(src.dtype, elemPtr(src.dtype, dst, off),
                   elemPtr(src.dtype, src.data, off), rowElems);
            });
          emitIf(b.CreateNot(on), [&] {
            llvm::Value *zero = src.dtype == DType::F32
                                    ? f32(0.0)
                                    : static_cast<llvm::Value *>(b.getInt32(0));
            fill(src.dtype, elemPtr(src.dtype, dst, off), zero, rowElems);
          });
        });
      });
    }
    // Next carries.
    std::vector<llvm::Value *> next(l.numCarry);
    for (unsigned i = 0; i < l.numCarry; ++i) {
      const Buffer &src = bufferOf(yield->operand(i));
      next[i] = src.data;
      if (staging[i]) {
        copy(src.dtype, staging[i], src.data, product(src.dims));
        next[i] = staging[i];
      }
    }
    for (unsigned i = 0; i < l.numCarry; ++i) {
      if (carryIndexOf(yield->operand(i)) == static_cast<int>(i))
        continue; // yielded unchanged
      const Buffer &c = *carry[i];
      if (!lengths) {
        copy(c.dtype, c.data, next[i], product(c.dims));
        continue;
      }
      emitIf(allActive,
             [&] { copy(c.dtype, c.data, next[i], product(c.dims)); });
      llvm::Value *rowElems = product(c.dims, 1);
      emitIf(b.CreateNot(allActive), [&] {
        emitLoop(batch, "scan.carry", [&](llvm::Value *r) {
          llvm::Value *off = b.CreateMul(r, rowElems);
          emitIf(active(r), [&] {
            copy(c.dtype, elemPtr(c.dtype, c.data, off),
                 elemPtr(c.dtype, next[i], off), rowElems);
          });
        });
      });
    }
  });
  if (!bodyError.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), bodyError);
  return llvm::Error::success();
}

} // namespace rnnc::codegen
