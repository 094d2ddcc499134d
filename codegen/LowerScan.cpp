//===- codegen/LowerScan.cpp - The recurrence: scan as a loop over time ---===//
//
// scan(seqs..., inits..., captures... [, lengths]) becomes one loop over
// s = 0..T-1 (t = T-1-s when reversed) around the lowered body:
//
//  - carried values start in the buffers of the scan's final-carry results,
//    initialized by copying the inits; the body reads them in place;
//  - step inputs are views of their sequence at row t (time-major, so each
//    step is contiguous); captures are the operands' own buffers;
//  - the body's values have buffers allocated once on entry (the alloc
//    block), so no step allocates;
//  - a per-step output computed by a body op is written in place into row t
//    of its stacked result; any other output (a body argument, a view, a
//    constant) is copied there after the body. A next carry computed by a
//    body op is not copied: the next step reads it where it was written
//    (pointer mode: its output row, or one of two ping-pong buffers), and
//    the last step's is copied into the final-carry buffer once. Any other
//    next carry is copied into its carry buffer (outputs first, since an
//    output may be a carry's current value); one that receives another
//    carry's current value is staged through a copy first.
//  - a per-step product x @ op(W) against a captured W gets W packed once,
//    before the loop (packScanWeights, runtime/PackedMatMul.cpp), when the
//    runtime judges that the steps repay the copy;
//  - with lengths, row b is active while t < len[b]: inactive rows keep their
//    carry and get zero outputs (a carry in pointer mode is gathered back
//    into its buffer on such steps). While t is below the shortest length,
//    the copies move whole blocks. Lengths outside [0, T] are a run-time error.
//  - a scan whose steps keep batch rows apart (ScanRows.cpp) has its loop
//    over time emitted into a function of a row range, `<fn>.rows(env,
//    first, end)`, with every [B, ...] buffer viewed from row `first` and
//    B read as the range's row count; rnnc_scan_rows runs it on disjoint
//    rows on the pool's threads (no hand-off between threads per step) or
//    on all rows on the caller. Buffers are still the whole batch's,
//    allocated on entry; the outer function's values the part uses reach
//    it through an env array (passOuterValues). Work without rows (a slice
//    of a captured bias) runs once, before the split.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"
#include "runtime/Gemm.h"

#include <array>
#include <unordered_set>

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

  // Carries live in the final-carry results' buffers, or (pointer mode,
  // below) wherever the last step wrote them.
  std::vector<const Buffer *> carry(l.numCarry);
  for (unsigned i = 0; i < l.numCarry; ++i) {
    const Buffer &init = bufferOf(op.operand(l.carryBegin() + i));
    carry[i] = &define(op.result(numOut + i));
    copy(init.dtype, carry[i]->data, init.data, product(init.dims));
  }
  // A value a body op computes can be defined in memory given to it (views
  // and constants keep their own storage).
  auto placeable = [&](const ir::Value *v) {
    const ir::Operation *def = v->definingOp();
    return def && def->parentBlock() == &body &&
           def->kind() != ir::OpKind::Reshape &&
           def->kind() != ir::OpKind::Constant && !isPlaced(v);
  };
  // Outputs placed into row t of their result: the first of each value.
  std::vector<bool> placesOut(numOut, false);
  for (unsigned o = 0; o < numOut; ++o) {
    const ir::Value *v = yield->operand(l.numCarry + o);
    bool first = true;
    for (unsigned p = 0; p < o; ++p)
      first &= yield->operand(l.numCarry + p) != v;
    placesOut[o] = first && placeable(v);
  }
  // Pointer mode: a next carry computed by a body op is not copied into the
  // carry's buffer; the next step reads it where it was written. That is
  // row t of an output it also is (h of an LSTM), else one of two
  // ping-pong buffers the steps alternate between (its c). At B = 64 that
  // saves the caller two 64 KiB copies per LSTM step, during which the
  // other threads wait. A slot holds where the carry is now; steps with
  // inactive rows (lengths) gather it back into the carry's buffer. Each
  // step's value is read only by the next step, so the buffer it is in is
  // not written again before it has been read: an output row never is,
  // and a ping-pong buffer two steps later.
  std::vector<const Buffer *> outs(numOut);
  std::vector<int> outputOf(l.numCarry, -1);
  std::vector<std::array<llvm::Value *, 2>> pingPong(l.numCarry,
                                                     {nullptr, nullptr});
  std::vector<bool> pointerMode(l.numCarry, false);
  {
    std::unordered_set<const ir::Value *> taken;
    for (unsigned i = 0; i < l.numCarry; ++i) {
      const ir::Value *v = yield->operand(i);
      for (unsigned o = 0; o < numOut && outputOf[i] < 0; ++o)
        if (placesOut[o] && yield->operand(l.numCarry + o) == v)
          outputOf[i] = static_cast<int>(o);
      bool isOutput = false;
      for (unsigned o = 0; o < numOut; ++o)
        isOutput |= yield->operand(l.numCarry + o) == v;
      if (outputOf[i] < 0 && !isOutput && placeable(v) && !taken.count(v)) {
        llvm::Value *elems = product(allocB, carry[i]->dims);
        pingPong[i] = {allocate(elems, carry[i]->dtype, "pingpong"),
                       allocate(elems, carry[i]->dtype, "pingpong")};
      }
      if (outputOf[i] < 0 && !pingPong[i][0])
        continue;
      taken.insert(v);
      pointerMode[i] = true;
    }
    for (unsigned o = 0; o < numOut; ++o)
      outs[o] = &define(op.result(o));
  }
  for (unsigned i = 0; i < l.numCapture; ++i)
    bind(body.arg(l.numSeq + l.numCarry + i),
         bufferOf(op.operand(l.captureBegin() + i)).data);
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

  // Split by batch rows when every step keeps rows apart (ScanRows.cpp):
  // the loop over time below goes into a function of a row range, which
  // rnnc_scan_rows runs on disjoint rows in parallel or on all of them.
  std::optional<std::string> rowSym = fuse ? rowSplitSymbol(op) : std::nullopt;
  llvm::Function *partFn = nullptr;
  std::optional<OutlinedScope> part;
  // The rows this loop covers: [first, first + rows) (first null: all).
  llvm::Value *first = nullptr, *rows = batch;
  if (rowSym) {
    // Ops without rows (constants, slices of a captured bias) run once,
    // before the split: each thread would write the same buffer.
    for (const auto &o : body.ops())
      if (!ir::isTerminator(o->kind()) &&
          !hasRowsOf(o->result(0)->type(), *rowSym)) {
        if (llvm::Error err = lowerOp(*o))
          return err;
        preLowered.insert(o.get());
      }
    part = enterOutlined(".rows");
    partFn = part->fn;
    first = partFn->getArg(1);
    rows = b.CreateSub(partFn->getArg(2), first, "rows", true, true);
    rowPart = RowPart{*rowSym, batch, first};
    symbolValues[*rowSym] = rows;
  }
  // Row `first` of a [B, ...] buffer.
  auto atFirst = [&](const Buffer &buf) {
    if (!first)
      return buf.data;
    return elemPtr(buf.dtype, buf.data,
                   b.CreateMul(first, product(buf.dims, 1)));
  };
  auto atFirstOf = [&](llvm::Value *data, const Buffer &like) {
    Buffer view = like;
    view.data = data;
    return atFirst(view);
  };

  // This loop's rows of the carries, ping-pong and staging buffers.
  std::vector<llvm::Value *> carryAt(l.numCarry);
  std::vector<llvm::AllocaInst *> current(l.numCarry, nullptr);
  for (unsigned i = 0; i < l.numCarry; ++i) {
    carryAt[i] = atFirst(*carry[i]);
    if (pingPong[i][0])
      pingPong[i] = {atFirstOf(pingPong[i][0], *carry[i]),
                     atFirstOf(pingPong[i][1], *carry[i])};
    if (staging[i])
      staging[i] = atFirstOf(staging[i], *carry[i]);
    bind(body.arg(l.numSeq + i), carryAt[i]);
    if (!pointerMode[i])
      continue;
    current[i] = entryAlloca(b.getPtrTy(), "carry.at");
    b.CreateStore(carryAt[i], current[i]);
  }
  // Where a carry is now is known only at run time, so its places share
  // one alias scope, distinct from every other buffer's.
  for (unsigned i = 0; i < l.numCarry; ++i) {
    if (!current[i])
      continue;
    if (outputOf[i] >= 0)
      shareAliasScope({carry[i]->data, outs[outputOf[i]]->data}, current[i]);
    else
      shareAliasScope({carry[i]->data, pingPong[i][0], pingPong[i][1]},
                      current[i]);
  }
  // A capture with a row per batch row is read at this loop's rows.
  for (unsigned i = 0; i < l.numCapture && rowSym; ++i) {
    const ir::Value *c = op.operand(l.captureBegin() + i);
    if (hasRowsOf(c->type(), *rowSym))
      bind(body.arg(l.numSeq + l.numCarry + i), atFirst(bufferOf(c)));
  }
  llvm::Value *lengthsAt = lengths ? atFirst(*lengths) : nullptr;

  std::string bodyError;
  emitLoop(steps, "scan", [&](llvm::Value *s) {
    llvm::Value *t = l.reverse ? b.CreateSub(b.CreateSub(steps, i64(1)), s) : s;
    for (unsigned i = 0; i < l.numSeq; ++i) {
      const Buffer &seq = bufferOf(op.operand(i));
      llvm::Value *stepElems = product(seq.dims, 1);
      Buffer row = seq;
      row.dims.erase(row.dims.begin());
      row.data = elemPtr(seq.dtype, seq.data, b.CreateMul(t, stepElems));
      bind(body.arg(i), atFirst(row));
    }
    // Outputs computed by a body op are written in place, into row t of
    // their stacked result.
    std::vector<llvm::Value *> rowOut(numOut);
    for (unsigned o = 0; o < numOut; ++o) {
      Buffer row = *outs[o];
      row.dims.erase(row.dims.begin());
      row.data = elemPtr(outs[o]->dtype, outs[o]->data,
                         b.CreateMul(t, product(outs[o]->dims, 1)));
      rowOut[o] = atFirst(row);
      if (placesOut[o])
        placeInto(yield->operand(l.numCarry + o), rowOut[o]);
    }
    // Carries in pointer mode: read where they are, written to their next
    // place (a ping-pong buffer by the parity of s).
    std::vector<llvm::Value *> nextAt(l.numCarry, nullptr);
    llvm::Value *odd = b.CreateTrunc(s, b.getInt1Ty());
    for (unsigned i = 0; i < l.numCarry; ++i) {
      if (!current[i])
        continue;
      bind(body.arg(l.numSeq + i),
           b.CreateLoad(b.getPtrTy(), current[i], "carry.now"));
      if (outputOf[i] >= 0) {
        nextAt[i] = rowOut[outputOf[i]];
      } else {
        nextAt[i] = b.CreateSelect(odd, pingPong[i][1], pingPong[i][0]);
        addToAliasFamily(nextAt[i], pingPong[i][0]);
        placeInto(yield->operand(i), nextAt[i]);
      }
    }
    if (llvm::Error err = lowerBlock(body)) {
      bodyError = llvm::toString(std::move(err));
      return;
    }
    auto active = [&](llvm::Value *r) {
      llvm::Value *len = b.CreateSExt(load(DType::I32, lengthsAt, r), i64Ty());
      return b.CreateICmpSLT(t, len);
    };
    // (The shortest length of the whole batch: a bound for any rows.)
    llvm::Value *allActive = minLen ? b.CreateICmpSLT(t, minLen) : nullptr;
    // Outputs: row t of each stacked result. With lengths, all outputs
    // share one loop over rows and one test of each row's length: a loop
    // per output put hundreds of loops into the time loop of a big body
    // (a gradient's forward scan has an output per saved value), and
    // LLVM's loop passes took time quadratic in their number.
    auto outSrc = [&](unsigned o) -> const Buffer & {
      return bufferOf(yield->operand(l.numCarry + o));
    };
    if (!lengths) {
      for (unsigned o = 0; o < numOut; ++o)
        if (outSrc(o).data != rowOut[o]) // not written in place
          copy(outSrc(o).dtype, rowOut[o], outSrc(o).data,
               product(outSrc(o).dims));
    } else if (numOut > 0) {
      emitIf(allActive, [&] {
        for (unsigned o = 0; o < numOut; ++o)
          if (outSrc(o).data != rowOut[o]) // not written in place
            copy(outSrc(o).dtype, rowOut[o], outSrc(o).data,
                 product(outSrc(o).dims));
      });
      emitIf(b.CreateNot(allActive), [&] {
        emitLoop(rows, "scan.out", [&](llvm::Value *r) {
          llvm::Value *on = active(r);
          // Row r of output o, in its source and in row t of its result.
          auto rowOf = [&](unsigned o, llvm::Value *data) {
            const Buffer &src = outSrc(o);
            return elemPtr(src.dtype, data,
                           b.CreateMul(r, product(src.dims, 1)));
          };
          emitIf(on, [&] {
            for (unsigned o = 0; o < numOut; ++o)
              if (outSrc(o).data != rowOut[o]) // not written in place
                copy(outSrc(o).dtype, rowOf(o, rowOut[o]),
                     rowOf(o, outSrc(o).data), product(outSrc(o).dims, 1));
          });
          emitIf(b.CreateNot(on), [&] {
            for (unsigned o = 0; o < numOut; ++o) {
              const Buffer &src = outSrc(o);
              llvm::Value *zero =
                  src.dtype == DType::F32
                      ? f32(0.0)
                      : static_cast<llvm::Value *>(b.getInt32(0));
              fill(src.dtype, rowOf(o, rowOut[o]), zero, product(src.dims, 1));
            }
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
      const Buffer &c = bufferOf(body.arg(l.numSeq + i));
      llvm::Value *elems = product(c.dims);
      if (!lengths) {
        if (current[i])
          b.CreateStore(nextAt[i], current[i]); // no copy
        else
          copy(c.dtype, carryAt[i], next[i], elems);
        continue;
      }
      emitIf(allActive, [&] {
        if (current[i])
          b.CreateStore(nextAt[i], current[i]);
        else
          copy(c.dtype, carryAt[i], next[i], elems);
      });
      llvm::Value *rowElems = product(c.dims, 1);
      emitIf(b.CreateNot(allActive), [&] {
        // A carry in pointer mode first comes back to its buffer whole,
        // where the inactive rows then keep their values.
        if (current[i]) {
          llvm::Value *now = c.data;
          emitIf(b.CreateICmpNE(now, carryAt[i]),
                 [&] { copy(c.dtype, carryAt[i], now, elems); });
          b.CreateStore(carryAt[i], current[i]);
        }
        emitLoop(rows, "scan.carry", [&](llvm::Value *r) {
          llvm::Value *off = b.CreateMul(r, rowElems);
          emitIf(active(r), [&] {
            copy(c.dtype, elemPtr(c.dtype, carryAt[i], off),
                 elemPtr(c.dtype, next[i], off), rowElems);
          });
        });
      });
    }
  });
  if (bodyError.empty()) {
    // The final carries, where the last step left them.
    for (unsigned i = 0; i < l.numCarry; ++i) {
      if (!current[i])
        continue;
      llvm::Value *at = b.CreateLoad(b.getPtrTy(), current[i], "carry.final");
      llvm::Value *elems = product(bufferOf(body.arg(l.numSeq + i)).dims);
      emitIf(b.CreateICmpNE(at, carryAt[i]),
             [&] { copy(carry[i]->dtype, carryAt[i], at, elems); });
    }
  }
  if (partFn) {
    rowPart.reset();
    symbolValues[*rowSym] = batch;
    leaveOutlined(*part);
    llvm::Value *env = passOuterValues(partFn);
    b.CreateCall(runtime(RuntimeFn::ScanRows), {partFn, env, batch});
  }
  if (!bodyError.empty())
    return llvm::createStringError(llvm::inconvertibleErrorCode(), bodyError);
  return llvm::Error::success();
}

} // namespace rnnc::codegen
