//===- ir/Builder.cpp - Creating ops at an insertion point ----------------===//
#include "ir/Builder.h"

#include "ir/TypeRules.h"

#include <cassert>

namespace rnnc::ir {

void Builder::setInsertionPointBefore(Operation *op) {
  Block *b = op->parentBlock();
  assert(b && "op is not in a block");
  setInsertionPoint(b, b->find(op));
}

void Builder::recordError(std::string message) {
  if (errorMessage.empty()) {
    errorMessage = std::move(message);
    errorLoc = curLoc;
  }
}

Operation *Builder::insert(std::unique_ptr<Operation> op) {
  assert(insBlock && "no insertion point");
  return insBlock->insert(insPos, std::move(op));
}

static bool anyNull(const std::vector<Value *> &values) {
  for (Value *v : values)
    if (!v)
      return true;
  return false;
}

Operation *Builder::create(OpKind kind, const std::vector<Value *> &operands,
                           AttrMap attrs) {
  if (anyNull(operands)) {
    recordError("'" + std::string(opName(kind)) + "' given an invalid operand");
    return nullptr;
  }
  std::vector<TensorType> types;
  for (Value *v : operands)
    types.push_back(v->type());
  auto results = inferResultTypes(kind, types, attrs);
  if (!results) {
    recordError("'" + std::string(opName(kind)) + "' op " + results.error());
    return nullptr;
  }
  return createUnchecked(kind, operands, *results, std::move(attrs));
}

Operation *Builder::createUnchecked(OpKind kind,
                                   const std::vector<Value *> &operands,
                                   const std::vector<TensorType> &resultTypes,
                                   AttrMap attrs) {
  return insert(std::make_unique<Operation>(kind, operands, resultTypes,
                                            std::move(attrs), curLoc));
}

Value *Builder::single(OpKind kind, const std::vector<Value *> &operands,
                       AttrMap attrs) {
  Operation *op = create(kind, operands, std::move(attrs));
  return op ? op->result(0) : nullptr;
}

Value *Builder::constant(const TensorType &type, double value) {
  return createUnchecked(OpKind::Constant, {}, {type}, {{"value", value}})
      ->result(0);
}

Value *Builder::constantDense(const TensorType &type,
                              std::vector<double> values) {
  if (type.staticNumElements() != static_cast<int64_t>(values.size())) {
    recordError("dense constant of type " + type.str() + " given " +
                std::to_string(values.size()) + " values");
    return nullptr;
  }
  return createUnchecked(OpKind::Constant, {}, {type},
                         {{"values", DenseFloats{std::move(values)}}})
      ->result(0);
}

Value *Builder::matmul(Value *a, Value *b, bool transposeA, bool transposeB) {
  AttrMap attrs;
  if (transposeA)
    attrs["transpose_a"] = true;
  if (transposeB)
    attrs["transpose_b"] = true;
  return single(OpKind::MatMul, {a, b}, std::move(attrs));
}

Value *Builder::concat(const std::vector<Value *> &xs, int64_t axis) {
  return single(OpKind::Concat, xs, {{"axis", axis}});
}

std::vector<Value *> Builder::split(Value *x, int64_t axis, int64_t parts) {
  Operation *op =
      create(OpKind::Split, {x}, {{"axis", axis}, {"parts", parts}});
  if (!op)
    return std::vector<Value *>(parts > 0 ? parts : 0, nullptr);
  return op->results();
}

Value *Builder::slice(Value *x, int64_t axis, int64_t start, int64_t size) {
  return single(OpKind::Slice, {x},
                {{"axis", axis}, {"start", start}, {"size", size}});
}

Value *Builder::reshape(Value *x, std::vector<int64_t> shape) {
  return single(OpKind::Reshape, {x}, {{"shape", std::move(shape)}});
}

Value *Builder::transpose(Value *x, std::vector<int64_t> perm) {
  return single(OpKind::Transpose, {x}, {{"perm", std::move(perm)}});
}

Value *Builder::reduce(OpKind kind, Value *x, std::vector<int64_t> axes,
                       bool keepdims) {
  AttrMap attrs{{"axes", std::move(axes)}};
  if (keepdims)
    attrs["keepdims"] = true;
  return single(kind, {x}, std::move(attrs));
}

Value *Builder::softmax(Value *x, int64_t axis) {
  return single(OpKind::Softmax, {x}, {{"axis", axis}});
}

Value *Builder::logSoftmax(Value *x, int64_t axis) {
  return single(OpKind::LogSoftmax, {x}, {{"axis", axis}});
}

Value *Builder::embed(Value *table, Value *ids) {
  return single(OpKind::Embed, {table, ids});
}

Value *Builder::cast(Value *x, DType to) {
  return single(OpKind::Cast, {x},
                {{"to", std::string(to == DType::F32 ? "f32" : "i32")}});
}

Operation *Builder::scan(const std::vector<Value *> &seqs,
                         const std::vector<Value *> &inits,
                         const std::vector<Value *> &captures, Value *lengths,
                         bool reverse, const ScanBodyFn &bodyFn) {
  std::vector<Value *> operands = seqs;
  operands.insert(operands.end(), inits.begin(), inits.end());
  operands.insert(operands.end(), captures.begin(), captures.end());
  if (lengths)
    operands.push_back(lengths);
  if (anyNull(operands)) {
    recordError("'scan' given an invalid operand");
    return nullptr;
  }
  for (Value *s : seqs)
    if (s->type().rank() < 2) {
      recordError("'scan' op sequence operand must be [T,B,...], got " +
                  s->type().str());
      return nullptr;
    }
  AttrMap attrs{{"num_seq", static_cast<int64_t>(seqs.size())},
                {"num_carry", static_cast<int64_t>(inits.size())},
                {"num_capture", static_cast<int64_t>(captures.size())}};
  if (reverse)
    attrs["reverse"] = true;
  if (lengths)
    attrs["has_lengths"] = true;
  // Create the op without results, build its body, then type it from the yield.
  auto owned = std::make_unique<Operation>(OpKind::Scan, operands,
                                           std::vector<TensorType>{},
                                           std::move(attrs), curLoc);
  Block *body = owned->addRegion();
  std::vector<Value *> stepArgs, carryArgs, captureArgs;
  for (Value *s : seqs) {
    std::vector<Dim> dims(s->type().dims().begin() + 1, s->type().dims().end());
    stepArgs.push_back(body->addArg(s->type().withDims(dims)));
  }
  for (Value *c : inits)
    carryArgs.push_back(body->addArg(c->type()));
  for (Value *c : captures)
    captureArgs.push_back(body->addArg(c->type()));

  Builder inner(body);
  inner.setLoc(curLoc);
  ScanBodyResult r = bodyFn(inner, stepArgs, carryArgs, captureArgs);
  if (inner.failed()) {
    recordError(inner.firstError());
    return nullptr;
  }
  std::vector<Value *> yielded = r.nextCarries;
  yielded.insert(yielded.end(), r.outputs.begin(), r.outputs.end());
  if (anyNull(yielded) || r.nextCarries.size() != inits.size()) {
    recordError("'scan' body must yield one value per carry, then outputs");
    return nullptr;
  }
  for (size_t i = 0; i < inits.size(); ++i)
    if (r.nextCarries[i]->type() != inits[i]->type()) {
      recordError("'scan' op carried value " + std::to_string(i) + " is " +
                  inits[i]->type().str() + " but the body yields " +
                  r.nextCarries[i]->type().str());
      return nullptr;
    }
  inner.yield(yielded);

  std::vector<TensorType> operandTypes;
  for (Value *v : operands)
    operandTypes.push_back(v->type());
  auto types =
      inferResultTypes(OpKind::Scan, operandTypes, owned->attrs(), body);
  if (!types) {
    recordError("'scan' op " + types.error());
    return nullptr;
  }
  for (const TensorType &t : *types)
    owned->addResult(t);
  return insert(std::move(owned));
}

Operation *Builder::yield(const std::vector<Value *> &values) {
  return createUnchecked(OpKind::Yield, values, {});
}

Operation *Builder::ret(const std::vector<Value *> &values) {
  return createUnchecked(OpKind::Return, values, {});
}

} // namespace rnnc::ir
