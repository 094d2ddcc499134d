//===- codegen/LowerReductions.cpp - Reductions, softmax and losses -------===//
//
// reduce_*: the operand's dims are coalesced into alternating runs of reduced
// and kept dims. The result is first filled with the identity (0 or -inf);
// then a loop nest walks the operand in memory order. When the innermost run
// is reduced, it is summed into a register accumulator (a `reassoc` add, so
// the vectorizer may split it into lanes) and combined into the result once;
// otherwise the innermost loop updates contiguous result elements in place.
//
// softmax/log_softmax over axis k: for every (outer, inner) position a max
// pass, a pass that stores e^(x - max) and sums it, and a normalizing pass.
// cross_entropy and mse accumulate their totals in double, as the reference
// interpreter does, so long sums do not drift; each row's inner sums are f32.
//
// Large ones run in parts on the thread pool (emitParallelLoop): reductions
// by their outer kept rows or, for column sums, by columns; softmax by outer
// positions; cross_entropy computes each position's nll in parts and sums
// them after, in order. No split changes a bit of the result: each element
// is still combined in memory order.
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"
#include "codegen/MathEmitter.h"

namespace rnnc::codegen {

namespace {

/// a + b with reassociation allowed: marks a reduction the vectorizer may
/// reorder.
llvm::Value *reassocAdd(llvm::IRBuilderBase &b, llvm::Value *x,
                        llvm::Value *y) {
  llvm::Value *r = b.CreateFAdd(x, y);
  if (auto *inst = llvm::dyn_cast<llvm::Instruction>(r)) {
    llvm::FastMathFlags fmf;
    fmf.setAllowReassoc();
    fmf.setAllowContract();
    inst->setFastMathFlags(fmf);
  }
  return r;
}

} // namespace

llvm::Error FunctionLowering::lowerReduce(const ir::Operation &op) {
  if (const ir::Operation *d = op.operand(0)->definingOp();
      d && isContractedSum(*d))
    return lowerContractedSum(op);
  const Buffer &x = bufferOf(op.operand(0));
  const Buffer &out = define(op.result(0));
  size_t rank = x.dims.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t a : op.getInts("axes")) {
    int64_t axis = a < 0 ? a + static_cast<int64_t>(rank) : a;
    if (axis < 0 || axis >= static_cast<int64_t>(rank))
      return fail(op, "axis out of range");
    reduced[axis] = true;
  }
  bool isMax = op.kind() == ir::OpKind::ReduceMax;
  auto combine = [&](llvm::Value *acc, llvm::Value *v) {
    return isMax ? b.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, acc, v)
                 : reassocAdd(b, acc, v);
  };
  llvm::Value *identity =
      f32(isMax ? -std::numeric_limits<double>::infinity() : 0.0);

  // Runs of dims with the same reduced flag.
  std::vector<llvm::Value *> runSize;
  std::vector<bool> runReduced;
  llvm::Value *count = i64(1);
  for (size_t d = 0; d < rank; ++d) {
    if (reduced[d])
      count = b.CreateMul(count, x.dims[d]);
    if (!runSize.empty() && runReduced.back() == reduced[d]) {
      runSize.back() = b.CreateMul(runSize.back(), x.dims[d]);
    } else {
      runSize.push_back(x.dims[d]);
      runReduced.push_back(reduced[d]);
    }
  }
  llvm::Value *outElems = product(out.dims);
  fill(DType::F32, out.data, identity, outElems);

  size_t runs = runSize.size();
  std::function<void(size_t, llvm::Value *, llvm::Value *)> nest =
      [&](size_t g, llvm::Value *inIdx, llvm::Value *outIdx) {
        if (g == runs) {
          llvm::Value *cur = load(DType::F32, out.data, outIdx);
          store(DType::F32, combine(cur, load(DType::F32, x.data, inIdx)),
                out.data, outIdx);
          return;
        }
        llvm::Value *inBase = b.CreateMul(inIdx, runSize[g]);
        if (g + 1 == runs && runReduced[g]) {
          // Innermost reduced run: accumulate in a register (a slot of the
          // function the nest is in: a parallel part has its own).
          llvm::AllocaInst *acc = entryAlloca(f32Ty(), "acc");
          b.CreateStore(identity, acc);
          emitLoop(runSize[g], "red", [&](llvm::Value *iv) {
            llvm::Value *v = load(DType::F32, x.data, b.CreateAdd(inBase, iv));
            b.CreateStore(combine(b.CreateLoad(f32Ty(), acc), v), acc);
          });
          llvm::Value *cur = load(DType::F32, out.data, outIdx);
          store(DType::F32, combine(cur, b.CreateLoad(f32Ty(), acc)), out.data,
                outIdx);
          return;
        }
        llvm::Value *outBase =
            runReduced[g] ? outIdx : b.CreateMul(outIdx, runSize[g]);
        emitLoop(runSize[g], "red", [&](llvm::Value *iv) {
          nest(g + 1, b.CreateAdd(inBase, iv),
               runReduced[g] ? outBase : b.CreateAdd(outBase, iv));
        });
      };
  // Large reductions run in parts that write disjoint results, each result
  // still combined in memory order, so the split never changes a bit: by
  // the outermost kept run, or for column sums ([reduced, kept], the bias
  // gradients over [T,B,4H]) by columns.
  llvm::Value *inElems = product(x.dims);
  if (runs >= 1 && !runReduced[0]) {
    emitParallelLoop(runSize[0], inElems, "reduce",
                     [&](llvm::Value *begin, llvm::Value *end) {
                       emitRange(begin, end, "red",
                                 [&](llvm::Value *iv) { nest(1, iv, iv); });
                     });
  } else if (runs == 2) {
    emitParallelLoop(
        runSize[1], inElems, "reduce",
        [&](llvm::Value *begin, llvm::Value *end) {
          emitLoop(runSize[0], "red", [&](llvm::Value *i) {
            llvm::Value *row = b.CreateMul(i, runSize[1]);
            emitRange(begin, end, "red.j", [&](llvm::Value *j) {
              llvm::Value *cur = load(DType::F32, out.data, j);
              store(DType::F32,
                    combine(cur, load(DType::F32, x.data, b.CreateAdd(row, j))),
                    out.data, j);
            });
          });
        });
  } else {
    nest(0, i64(0), i64(0));
  }

  if (op.kind() == ir::OpKind::ReduceMean) {
    llvm::Value *denom = b.CreateSIToFP(count, f32Ty());
    emitLoop(outElems, "mean", [&](llvm::Value *i) {
      store(DType::F32, b.CreateFDiv(load(DType::F32, out.data, i), denom),
            out.data, i);
    });
  }
  return llvm::Error::success();
}

std::pair<llvm::Value *, llvm::Value *> FunctionLowering::emitMaxAndExpSum(
    llvm::Value *len, llvm::function_ref<llvm::Value *(llvm::Value *)> x,
    llvm::function_ref<void(llvm::Value *, llvm::Value *)> each) {
  // Slots of the function being emitted: a parallel part has its own.
  llvm::AllocaInst *mx = entryAlloca(f32Ty(), "max");
  llvm::AllocaInst *sum = entryAlloca(f32Ty(), "sum");
  // Subtracting the max keeps e^x from overflowing.
  b.CreateStore(f32(-std::numeric_limits<double>::infinity()), mx);
  emitLoop(len, "max", [&](llvm::Value *j) {
    b.CreateStore(b.CreateBinaryIntrinsic(llvm::Intrinsic::maxnum,
                                          b.CreateLoad(f32Ty(), mx), x(j)),
                  mx);
  });
  llvm::Value *m = b.CreateLoad(f32Ty(), mx);
  b.CreateStore(f32(0.0), sum);
  emitLoop(len, "expsum", [&](llvm::Value *j) {
    llvm::Value *e = emitExp(b, b.CreateFSub(x(j), m));
    if (each)
      each(j, e);
    b.CreateStore(reassocAdd(b, b.CreateLoad(f32Ty(), sum), e), sum);
  });
  return {m, b.CreateLoad(f32Ty(), sum)};
}

llvm::Error FunctionLowering::lowerSoftmax(const ir::Operation &op) {
  const Buffer &x = bufferOf(op.operand(0));
  const Buffer &out = define(op.result(0));
  size_t rank = x.dims.size();
  int64_t axis = op.getInt("axis", -1);
  if (axis < 0)
    axis += static_cast<int64_t>(rank);
  if (axis < 0 || axis >= static_cast<int64_t>(rank))
    return fail(op, "axis out of range");
  bool logForm = op.kind() == ir::OpKind::LogSoftmax;
  llvm::Value *outer = product(x.dims, 0, axis);
  llvm::Value *len = x.dims[axis];
  llvm::Value *inner = product(x.dims, axis + 1);
  // Parts take outer positions; each has its own max and sum slots. About
  // 25 vector instructions an element: an exp, a division.
  llvm::Value *work = b.CreateMul(product(x.dims), i64(25));
  emitParallelLoop(
      outer, work, "softmax", [&](llvm::Value *begin, llvm::Value *end) {
        emitRange(begin, end, "sm.o", [&](llvm::Value *o) {
          emitLoop(inner, "sm.i", [&](llvm::Value *i) {
            llvm::Value *base =
                b.CreateAdd(b.CreateMul(b.CreateMul(o, len), inner), i);
            auto at = [&](llvm::Value *j) {
              return b.CreateAdd(base, b.CreateMul(j, inner));
            };
            auto [m, s] = emitMaxAndExpSum(
                len,
                [&](llvm::Value *j) { return load(DType::F32, x.data, at(j)); },
                [&](llvm::Value *j, llvm::Value *e) {
                  if (!logForm)
                    store(DType::F32, e, out.data, at(j));
                });
            if (logForm) {
              llvm::Value *logSum = emitLog(b, s);
              emitLoop(len, "sm.norm", [&](llvm::Value *j) {
                llvm::Value *z =
                    b.CreateFSub(load(DType::F32, x.data, at(j)), m);
                store(DType::F32, b.CreateFSub(z, logSum), out.data, at(j));
              });
            } else {
              emitLoop(len, "sm.norm", [&](llvm::Value *j) {
                store(DType::F32,
                      b.CreateFDiv(load(DType::F32, out.data, at(j)), s),
                      out.data, at(j));
              });
            }
          });
        });
      });
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerCrossEntropy(const ir::Operation &op) {
  const Buffer &logits = bufferOf(op.operand(0));
  const Buffer &targets = bufferOf(op.operand(1));
  const Buffer *mask =
      op.numOperands() == 3 ? &bufferOf(op.operand(2)) : nullptr;
  const Buffer &out = define(op.result(0));
  size_t rank = logits.dims.size();
  if (rank < 1)
    return fail(op, "logits must have rank >= 1");
  llvm::Value *positions = product(logits.dims, 0, rank - 1);
  llvm::Value *classes = logits.dims[rank - 1];
  llvm::Type *f64 = b.getDoubleTy();
  // A masked-out position is not read at all: padding may hold any target.
  auto maskAt = [&](llvm::Value *p) {
    return mask ? load(DType::F32, mask->data, p) : f32(1.0);
  };
  auto targetAt = [&](llvm::Value *p, llvm::Value *&ok) {
    llvm::Value *tgt = b.CreateSExt(load(DType::I32, targets.data, p), i64Ty());
    ok = b.CreateAnd(b.CreateICmpSGE(tgt, i64(0)),
                     b.CreateICmpSLT(tgt, classes));
    return tgt;
  };
  // Three passes, so that the costly middle one may run in parts and the
  // result still not depend on the split: the targets are checked here;
  // each position's nll goes to a buffer; the total is summed in position
  // order.
  emitLoop(positions, "ce.check", [&](llvm::Value *p) {
    emitIf(b.CreateFCmpUNE(maskAt(p), f32(0.0)), [&] {
      llvm::Value *ok, *tgt = targetAt(p, ok);
      emitIf(b.CreateNot(ok),
             [&] { reportError(RNNC_ERR_TARGET, tgt, classes); });
    });
  });
  llvm::Value *nlls =
      allocate(product(allocB, logits.dims, 0, rank - 1), DType::F32, "ce.nll");
  // About 22 vector instructions a logit: the exp and the max.
  llvm::Value *work = b.CreateMul(product(logits.dims), i64(22));
  emitParallelLoop(
      positions, work, "ce", [&](llvm::Value *begin, llvm::Value *end) {
        emitRange(begin, end, "ce", [&](llvm::Value *p) {
          emitIf(b.CreateFCmpUNE(maskAt(p), f32(0.0)), [&] {
            llvm::Value *ok, *tgt = targetAt(p, ok);
            tgt = b.CreateSelect(ok, tgt, i64(0));
            llvm::Value *row =
                elemPtr(DType::F32, logits.data, b.CreateMul(p, classes));
            auto [rowMax, sum] = emitMaxAndExpSum(
                classes,
                [&](llvm::Value *j) { return load(DType::F32, row, j); }, {});
            // nll = -(x[target] - max - log(sum))
            llvm::Value *picked =
                b.CreateFSub(load(DType::F32, row, tgt), rowMax);
            store(DType::F32, b.CreateFSub(emitLog(b, sum), picked), nlls, p);
          });
        });
      });
  llvm::AllocaInst *total = entryAlloca(f64, "ce.total");
  llvm::AllocaInst *weight = entryAlloca(f64, "ce.weight");
  b.CreateStore(llvm::ConstantFP::get(f64, 0.0), total);
  b.CreateStore(llvm::ConstantFP::get(f64, 0.0), weight);
  emitLoop(positions, "ce.total", [&](llvm::Value *p) {
    llvm::Value *m = maskAt(p);
    emitIf(b.CreateFCmpUNE(m, f32(0.0)), [&] {
      llvm::Value *md = b.CreateFPExt(m, f64);
      llvm::Value *nll = b.CreateFPExt(load(DType::F32, nlls, p), f64);
      b.CreateStore(
          b.CreateFAdd(b.CreateLoad(f64, total), b.CreateFMul(md, nll)), total);
      b.CreateStore(b.CreateFAdd(b.CreateLoad(f64, weight), md), weight);
    });
  });
  llvm::Value *w = b.CreateLoad(f64, weight);
  llvm::Value *mean = b.CreateFDiv(b.CreateLoad(f64, total), w);
  // No (unmasked) position at all gives 0, not 0/0.
  mean = b.CreateSelect(b.CreateFCmpOEQ(w, llvm::ConstantFP::get(f64, 0.0)),
                        llvm::ConstantFP::get(f64, 0.0), mean);
  store(DType::F32, b.CreateFPTrunc(mean, f32Ty()), out.data, i64(0));
  return llvm::Error::success();
}

llvm::Error FunctionLowering::lowerMse(const ir::Operation &op) {
  const Buffer &pred = bufferOf(op.operand(0));
  const Buffer &target = bufferOf(op.operand(1));
  const Buffer *mask =
      op.numOperands() == 3 ? &bufferOf(op.operand(2)) : nullptr;
  const Buffer &out = define(op.result(0));
  // The mask covers the leading dims; each entry weighs `trailing` elements.
  size_t maskRank = mask ? mask->dims.size() : 0;
  llvm::Value *rows = product(pred.dims, 0, maskRank);
  llvm::Value *trailing = product(pred.dims, maskRank);
  llvm::Type *f64 = b.getDoubleTy();
  llvm::AllocaInst *total = entryAlloca(f64, "mse.total");
  llvm::AllocaInst *weight = entryAlloca(f64, "mse.weight");
  llvm::AllocaInst *sum = entryAlloca(f32Ty(), "mse.sum");
  b.CreateStore(llvm::ConstantFP::get(f64, 0.0), total);
  b.CreateStore(llvm::ConstantFP::get(f64, 0.0), weight);
  emitLoop(rows, "mse", [&](llvm::Value *r) {
    llvm::Value *m = mask ? load(DType::F32, mask->data, r) : f32(1.0);
    emitIf(b.CreateFCmpUNE(m, f32(0.0)), [&] {
      llvm::Value *base = b.CreateMul(r, trailing);
      b.CreateStore(f32(0.0), sum);
      emitLoop(trailing, "mse.row", [&](llvm::Value *k) {
        llvm::Value *i = b.CreateAdd(base, k);
        llvm::Value *d = b.CreateFSub(load(DType::F32, pred.data, i),
                                      load(DType::F32, target.data, i));
        b.CreateStore(
            reassocAdd(b, b.CreateLoad(f32Ty(), sum), b.CreateFMul(d, d)), sum);
      });
      llvm::Value *md = b.CreateFPExt(m, f64);
      b.CreateStore(
          b.CreateFAdd(
              b.CreateLoad(f64, total),
              b.CreateFMul(md, b.CreateFPExt(b.CreateLoad(f32Ty(), sum), f64))),
          total);
      b.CreateStore(
          b.CreateFAdd(b.CreateLoad(f64, weight),
                       b.CreateFMul(md, b.CreateSIToFP(trailing, f64))),
          weight);
    });
  });
  llvm::Value *w = b.CreateLoad(f64, weight);
  llvm::Value *mean = b.CreateFDiv(b.CreateLoad(f64, total), w);
  mean = b.CreateSelect(b.CreateFCmpOEQ(w, llvm::ConstantFP::get(f64, 0.0)),
                        llvm::ConstantFP::get(f64, 0.0), mean);
  store(DType::F32, b.CreateFPTrunc(mean, f32Ty()), out.data, i64(0));
  return llvm::Error::success();
}

} // namespace rnnc::codegen
