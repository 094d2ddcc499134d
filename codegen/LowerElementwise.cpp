//===- codegen/LowerElementwise.cpp - Unary, binary and select ops --------===//
//
// An elementwise op becomes one loop nest over its result. Broadcasting is
// decided from the static types: an operand dim broadcasts when it is missing
// (right-aligned) or a static 1. Adjacent result dims along which every
// operand behaves the same (all broadcast or all not) are coalesced, so the
// common cases are one flat loop (same shapes) or two (a [H] bias added to
// [B,H]). In the innermost loop each operand's index step is the constant 1
// or 0, so the loop is unit-stride or invariant and the vectorizer widens it,
// transcendental functions included (they are inline IR, MathEmitter.h).
//
//===----------------------------------------------------------------------===//
#include "codegen/FunctionLowering.h"
#include "codegen/MathEmitter.h"

namespace rnnc::codegen {

namespace {

/// The scalar computation of one elementwise op on loaded operands.
llvm::Value *applyOp(llvm::IRBuilderBase &b, ir::OpKind kind,
                     llvm::ArrayRef<llvm::Value *> x) {
  using ir::OpKind;
  llvm::Value *zero = llvm::ConstantFP::get(x[0]->getType(), 0.0);
  switch (kind) {
  case OpKind::Neg:
    return b.CreateFNeg(x[0]);
  case OpKind::Exp:
    return emitExp(b, x[0]);
  case OpKind::Log:
    return emitLog(b, x[0]);
  case OpKind::Tanh:
    return emitTanh(b, x[0]);
  case OpKind::Sigmoid:
    return emitSigmoid(b, x[0]);
  case OpKind::Relu:
    // x > 0 ? x : 0, so NaN gives 0 as in the reference.
    return b.CreateSelect(b.CreateFCmpOGT(x[0], zero), x[0], zero);
  case OpKind::Sqrt:
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x[0]);
  case OpKind::Add:
    return b.CreateFAdd(x[0], x[1]);
  case OpKind::Sub:
    return b.CreateFSub(x[0], x[1]);
  case OpKind::Mul:
    return b.CreateFMul(x[0], x[1]);
  case OpKind::Div:
    return b.CreateFDiv(x[0], x[1]);
  case OpKind::Max: // NaN-propagating, like numpy.maximum
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::maximum, x[0], x[1]);
  case OpKind::Min:
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::minimum, x[0], x[1]);
  case OpKind::Select: // cond != 0 (NaN counts as true, as in the reference)
    return b.CreateSelect(b.CreateFCmpUNE(x[0], zero), x[1], x[2]);
  default:
    return nullptr;
  }
}

} // namespace

llvm::Error FunctionLowering::lowerElementwise(const ir::Operation &op) {
  const ir::TensorType &outType = op.result(0)->type();
  size_t rank = outType.rank();
  unsigned numIn = op.numOperands();
  std::vector<const Buffer *> in;
  // broadcast[i][d]: operand i repeats along result dim d.
  std::vector<std::vector<bool>> broadcast(numIn, std::vector<bool>(rank));
  for (unsigned i = 0; i < numIn; ++i) {
    const ir::TensorType &t = op.operand(i)->type();
    if (t.dtype() != DType::F32)
      return fail(op, "operands must be f32");
    if (t.rank() > rank)
      return fail(op, "operand has a higher rank than the result");
    in.push_back(&bufferOf(op.operand(i)));
    size_t lead = rank - t.rank();
    for (size_t d = 0; d < rank; ++d)
      broadcast[i][d] =
          d < lead ||
          (t.dim(d - lead).isStatic() && t.dim(d - lead).size == 1 &&
           !(outType.dim(d).isStatic() && outType.dim(d).size == 1));
  }
  const Buffer &out = define(op.result(0));

  // Coalesce result dims into groups with one broadcast pattern each.
  std::vector<llvm::Value *> groupSize;
  std::vector<std::vector<bool>> groupBcast; // [group][operand]
  for (size_t d = 0; d < rank; ++d) {
    std::vector<bool> pattern(numIn);
    for (unsigned i = 0; i < numIn; ++i)
      pattern[i] = broadcast[i][d];
    if (!groupBcast.empty() && groupBcast.back() == pattern) {
      groupSize.back() =
          b.CreateMul(groupSize.back(), out.dims[d], "", true, true);
    } else {
      groupSize.push_back(out.dims[d]);
      groupBcast.push_back(pattern);
    }
  }
  size_t groups = groupSize.size();
  // stride[i][g]: operand i's index step along group g (0 when broadcast).
  std::vector<std::vector<llvm::Value *>> stride(
      numIn, std::vector<llvm::Value *>(groups));
  for (unsigned i = 0; i < numIn; ++i) {
    llvm::Value *s = i64(1);
    for (size_t g = groups; g-- > 0;) {
      if (groupBcast[g][i]) {
        stride[i][g] = i64(0);
      } else {
        stride[i][g] = s;
        s = b.CreateMul(s, groupSize[g], "", true, true);
      }
    }
  }

  ir::OpKind kind = op.kind();
  std::vector<llvm::Value *> inIdx(numIn, i64(0));
  std::function<void(size_t, llvm::Value *)> nest = [&](size_t g,
                                                        llvm::Value *outIdx) {
    if (g == groups) {
      std::vector<llvm::Value *> x;
      for (unsigned i = 0; i < numIn; ++i)
        x.push_back(load(DType::F32, in[i]->data, inIdx[i]));
      store(DType::F32, applyOp(b, kind, x), out.data, outIdx);
      return;
    }
    emitLoop(groupSize[g], "ew", [&](llvm::Value *iv) {
      std::vector<llvm::Value *> saved = inIdx;
      for (unsigned i = 0; i < numIn; ++i)
        inIdx[i] = b.CreateAdd(inIdx[i], b.CreateMul(iv, stride[i][g]), "",
                               true, true);
      llvm::Value *o =
          b.CreateAdd(b.CreateMul(outIdx, groupSize[g], "", true, true), iv, "",
                      true, true);
      nest(g + 1, o);
      inIdx = saved;
    });
  };
  nest(0, i64(0));
  return llvm::Error::success();
}

} // namespace rnnc::codegen
