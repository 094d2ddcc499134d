//===- ir/Interpreter.cpp - The reference interpreter ---------------------===//
//
// Walks a function op by op, keeping one concrete tensor per SSA value.
// Symbolic dims are bound from the argument shapes (the first argument that
// mentions a symbol binds it; later ones must agree). For every op, the result
// shapes come from the op's own type rule applied to the concrete operand
// shapes, so shape and attribute checking lives in one place (TypeRules) and
// malformed IR becomes an error, never a crash. Each result is also checked
// against its declared type under the bindings. A scan runs its body once per
// step, with the body's values rebound each time.
//
//===----------------------------------------------------------------------===//
#include "ir/Interpreter.h"

#include "ir/InterpreterKernels.h"
#include "ir/TypeRules.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <unordered_map>

namespace rnnc::ir {

using namespace interp;

namespace {

/// "%name" of a value, or "" when it has none.
std::string valueName(const Value *v) {
  return v->name().empty() ? std::string() : "%" + v->name();
}

class Interpreter {
public:
  Result<Tensors> run(const Function &fn, const Tensors &args);

private:
  /// Checks `t` against `type`, binding symbols not bound yet. `what` names
  /// the tensor in messages, e.g. "argument 2 (%W)".
  Status match(const Tensor &t, const TensorType &type,
               const std::string &what);
  /// The concrete shape of `type` under the current bindings.
  Result<Shape> resolve(const TensorType &type);
  /// Runs the ops of `block` and returns its terminator's operands.
  Result<Tensors> runBlock(const Block &block, OpKind terminator);
  Status runOp(const Operation &op);
  Result<Tensors> compute(const Operation &op,
                          const std::vector<const Tensor *> &in);
  Result<Tensors> runConstant(const Operation &op);
  Result<Tensors> runScan(const Operation &op,
                          const std::vector<const Tensor *> &in);

  std::unordered_map<const Value *, Tensor> env;
  std::map<std::string, int64_t> bindings;
  std::map<std::string, std::string> boundBy;
};

Status Interpreter::match(const Tensor &t, const TensorType &type,
                          const std::string &what) {
  std::string got = t.typeString();
  auto mismatch = [&](std::string why) {
    return makeError(what + ": expected " + type.str() + ", got " + got + why);
  };
  if (t.dtype() != type.dtype() || t.shape().size() != type.rank())
    return mismatch("");
  for (size_t k = 0; k < type.rank(); ++k) {
    const Dim &d = type.dim(k);
    int64_t n = t.dim(k);
    if (n < 0)
      return mismatch(" (negative dim)");
    if (d.isStatic()) {
      if (n != d.size)
        return mismatch("");
      continue;
    }
    auto it = bindings.find(d.sym);
    if (it == bindings.end()) {
      bindings[d.sym] = n;
      boundBy[d.sym] = what;
    } else if (it->second != n) {
      return mismatch(" (" + d.sym + " = " + std::to_string(it->second) +
                      ", bound by " + boundBy[d.sym] + ")");
    }
  }
  if (t.storedElements() != t.numElements())
    return makeError(what + ": a tensor of type " + got + " holds " +
                     std::to_string(t.storedElements()) + " elements");
  return Status::ok();
}

Result<Shape> Interpreter::resolve(const TensorType &type) {
  Shape shape;
  for (const Dim &d : type.dims()) {
    if (d.isStatic()) {
      shape.push_back(d.size);
      continue;
    }
    auto it = bindings.find(d.sym);
    if (it == bindings.end())
      return makeError("symbolic dim " + d.sym + " of " + type.str() +
                       " is not bound by any argument");
    shape.push_back(it->second);
  }
  return shape;
}

Result<Tensors> Interpreter::run(const Function &fn, const Tensors &args) {
  if (args.size() != fn.numArgs())
    return makeError("function @" + fn.name() + " takes " +
                     std::to_string(fn.numArgs()) + " argument(s), got " +
                     std::to_string(args.size()));
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    std::string what = "argument " + std::to_string(i);
    if (std::string name = valueName(fn.arg(i)); !name.empty())
      what += " (" + name + ")";
    if (Status s = match(args[i], fn.arg(i)->type(), what); !s)
      return makeError(s.error());
    env[fn.arg(i)] = args[i];
  }
  return runBlock(fn.body(), OpKind::Return);
}

Result<Tensors> Interpreter::runBlock(const Block &block, OpKind terminator) {
  for (const auto &op : block.ops()) {
    if (isTerminator(op->kind())) {
      if (op->kind() != terminator)
        return makeError("block ends in '" + std::string(op->name()) +
                         "', expected '" + std::string(opName(terminator)) +
                         "'");
      Tensors out;
      for (Value *v : op->operands()) {
        auto it = env.find(v);
        if (it == env.end())
          return makeError("'" + std::string(op->name()) +
                           "' uses a value that is not defined before it");
        out.push_back(it->second);
      }
      return out;
    }
    if (Status s = runOp(*op); !s)
      return makeError(s.error());
  }
  return makeError("block has no '" + std::string(opName(terminator)) + "'");
}

Status Interpreter::runOp(const Operation &op) {
  std::string where = op.loc().isKnown() ? op.loc().str() + ": " : "";
  std::string prefix = where + "'" + std::string(op.name()) + "' op ";
  std::vector<const Tensor *> in;
  for (unsigned i = 0; i < op.numOperands(); ++i) {
    auto it = env.find(op.operand(i));
    if (it == env.end())
      return makeError(prefix + "operand " + std::to_string(i) +
                       " is not defined before it");
    in.push_back(&it->second);
  }
  Result<Tensors> results = compute(op, in);
  if (!results)
    return makeError(prefix + results.error());
  if (results->size() != op.numResults())
    return makeError(prefix + "computed " + std::to_string(results->size()) +
                     " result(s) for " + std::to_string(op.numResults()) +
                     " declared");
  for (unsigned i = 0; i < op.numResults(); ++i) {
    if (Status s = match((*results)[i], op.result(i)->type(),
                         "result " + std::to_string(i));
        !s)
      return makeError(prefix + s.error());
    env[op.result(i)] = std::move((*results)[i]);
  }
  return Status::ok();
}

Result<Tensors> Interpreter::compute(const Operation &op,
                                     const std::vector<const Tensor *> &in) {
  OpKind kind = op.kind();
  if (kind == OpKind::Constant)
    return runConstant(op);
  if (kind == OpKind::Scan)
    return runScan(op, in);
  // Everything else: the type rule on the concrete shapes validates the op
  // and gives its result shapes.
  std::vector<TensorType> types;
  for (const Tensor *t : in)
    types.push_back(TensorType::get(t->dtype(), t->shape()));
  auto resultTypes = inferResultTypes(kind, types, op.attrs());
  if (!resultTypes)
    return makeError(resultTypes.error());
  KernelArgs args{op, in, {}};
  for (const TensorType &t : *resultTypes) {
    Shape s;
    for (const Dim &d : t.dims())
      s.push_back(d.size);
    args.outShapes.push_back(std::move(s));
  }
  if (isElementwise(kind) || kind == OpKind::Select)
    return runElementwise(args);
  switch (kind) {
  case OpKind::Cast:
    return runCast(args);
  case OpKind::MatMul:
    return runMatMul(args);
  case OpKind::Concat:
  case OpKind::Split:
  case OpKind::Slice:
  case OpKind::Reshape:
  case OpKind::Transpose:
    return runShapeOp(args);
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
    return runReduce(args);
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return runSoftmax(args);
  case OpKind::Embed:
    return runEmbed(args);
  case OpKind::EmbedGrad:
    return runEmbedGrad(args);
  case OpKind::OneHot:
    return runOneHot(args);
  case OpKind::LengthMask:
    return runLengthMask(args);
  case OpKind::CrossEntropy:
    return runCrossEntropy(args);
  case OpKind::Mse:
    return runMse(args);
  default:
    return makeError("cannot be interpreted here");
  }
}

Result<Tensors> Interpreter::runConstant(const Operation &op) {
  const TensorType &type = op.result(0)->type();
  auto shape = resolve(type);
  if (!shape)
    return makeError(shape.error());
  int64_t n = numElements(*shape);
  std::vector<double> values;
  if (const DenseFloats *dense = op.getDense("values")) {
    if (static_cast<int64_t>(dense->values.size()) != n)
      return makeError("has " + std::to_string(dense->values.size()) +
                       " values for " + std::to_string(n) + " elements of " +
                       type.str());
    values = dense->values;
  } else if (op.hasAttr("value")) {
    values.assign(n, op.getFloat("value"));
  } else {
    return makeError("has neither a 'value' nor a 'values' attribute");
  }
  Tensor r(type.dtype(), *shape);
  for (int64_t k = 0; k < n; ++k) {
    double v = values[k];
    if (type.dtype() == DType::F32) {
      r.f32Vec()[k] = static_cast<float>(v);
      continue;
    }
    if (!(v == std::trunc(v) && v >= INT32_MIN && v <= INT32_MAX))
      return makeError("value " + std::to_string(v) + " is not an i32");
    r.i32Vec()[k] = static_cast<int32_t>(v);
  }
  return Tensors{std::move(r)};
}

/// Row `row` of a [N,...] tensor, as a tensor of shape [...].
static Tensor rowOf(const Tensor &t, int64_t row) {
  Shape shape(t.shape().begin() + 1, t.shape().end());
  int64_t n = numElements(shape);
  Tensor r(t.dtype(), shape);
  if (t.dtype() == DType::F32)
    std::copy_n(t.f32Vec().begin() + row * n, n, r.f32Vec().begin());
  else
    std::copy_n(t.i32Vec().begin() + row * n, n, r.i32Vec().begin());
  return r;
}

/// Copies `src` into row `row` of the [N,...] tensor `dst`.
static void setRow(Tensor &dst, int64_t row, const Tensor &src) {
  int64_t n = src.numElements();
  if (dst.dtype() == DType::F32)
    std::copy_n(src.f32Vec().begin(), n, dst.f32Vec().begin() + row * n);
  else
    std::copy_n(src.i32Vec().begin(), n, dst.i32Vec().begin() + row * n);
}

Result<Tensors> Interpreter::runScan(const Operation &op,
                                     const std::vector<const Tensor *> &in) {
  ScanLayout l = scanLayout(op);
  if (l.numSeq < 1 || in.size() != l.numOperands())
    return makeError("has " + std::to_string(in.size()) +
                     " operands, but its attributes describe " +
                     std::to_string(l.numOperands()));
  if (op.numRegions() != 1)
    return makeError("must have exactly one body");
  const Block &body = *op.region(0);
  if (body.numArgs() != l.numSeq + l.numCarry + l.numCapture)
    return makeError("body has " + std::to_string(body.numArgs()) +
                     " arguments, expected " +
                     std::to_string(l.numSeq + l.numCarry + l.numCapture));
  if (op.numResults() < l.numCarry)
    return makeError("has fewer results than carried values");
  unsigned numOut = op.numResults() - l.numCarry;

  const Tensor &first = *in[l.seqBegin()];
  if (first.rank() < 2)
    return makeError("sequence operand 0 must be [T,B,...], got " +
                     first.typeString());
  int64_t steps = first.dim(0), batch = first.dim(1);
  for (unsigned i = 1; i < l.numSeq; ++i)
    if (in[i]->rank() < 2 || in[i]->dim(0) != steps)
      return makeError("sequence operand " + std::to_string(i) + " is " +
                       in[i]->typeString() + ", expected [" +
                       std::to_string(steps) + ",...]");
  const Tensor *lengths = l.hasLengths ? in[l.lengthsIndex()] : nullptr;
  if (lengths) {
    if (lengths->dtype() != DType::I32 || lengths->shape() != Shape{batch})
      return makeError("lengths must be i32[" + std::to_string(batch) +
                       "], got " + lengths->typeString());
    for (int64_t b = 0; b < batch; ++b) {
      int64_t len = lengths->i32Vec()[b];
      if (len < 0 || len > steps)
        return makeError("length " + std::to_string(len) + " of row " +
                         std::to_string(b) +
                         " is outside [0, T = " + std::to_string(steps) + "]");
    }
  }

  Tensors carries;
  for (unsigned i = 0; i < l.numCarry; ++i)
    carries.push_back(*in[l.carryBegin() + i]);
  // With lengths, a padded row's carry is held and its output zeroed, which
  // needs every carry and output to be [B,...].
  auto batchMajor = [&](const Tensor &t, const std::string &what) -> Status {
    if (lengths && (t.rank() < 1 || t.dim(0) != batch))
      return makeError("with lengths, " + what + " must be [" +
                       std::to_string(batch) + ",...], got " + t.typeString());
    return Status::ok();
  };
  for (unsigned i = 0; i < l.numCarry; ++i)
    if (Status s = batchMajor(carries[i], "carried value " + std::to_string(i));
        !s)
      return makeError(s.error());

  // Captures are loop-invariant: bound once, not copied every step.
  for (unsigned i = 0; i < l.numCapture; ++i)
    env[body.arg(l.numSeq + l.numCarry + i)] = *in[l.captureBegin() + i];

  Tensors stacked(numOut);
  std::vector<bool> allocated(numOut, false);
  for (int64_t s = 0; s < steps; ++s) {
    int64_t t = l.reverse ? steps - 1 - s : s;
    for (unsigned i = 0; i < l.numSeq; ++i)
      env[body.arg(i)] = rowOf(*in[i], t);
    for (unsigned i = 0; i < l.numCarry; ++i)
      env[body.arg(l.numSeq + i)] = carries[i];
    auto yielded = runBlock(body, OpKind::Yield);
    if (!yielded)
      return makeError("body at step " + std::to_string(t) + ": " +
                       yielded.error());
    if (yielded->size() != l.numCarry + numOut)
      return makeError("body yields " + std::to_string(yielded->size()) +
                       " values, expected " +
                       std::to_string(l.numCarry + numOut));
    for (unsigned i = 0; i < l.numCarry; ++i) {
      const Tensor &next = (*yielded)[i];
      if (next.dtype() != carries[i].dtype() ||
          next.shape() != carries[i].shape())
        return makeError("body yields " + next.typeString() +
                         " for carried value " + std::to_string(i) + " of " +
                         carries[i].typeString());
    }
    for (unsigned o = 0; o < numOut; ++o) {
      Tensor &out = (*yielded)[l.numCarry + o];
      if (Status st = batchMajor(out, "output " + std::to_string(o)); !st)
        return makeError(st.error());
      Shape full{steps};
      full.insert(full.end(), out.shape().begin(), out.shape().end());
      if (!allocated[o]) {
        stacked[o] = Tensor(out.dtype(), full);
        allocated[o] = true;
      } else if (stacked[o].shape() != full ||
                 stacked[o].dtype() != out.dtype()) {
        return makeError("output " + std::to_string(o) + " changes type to " +
                         out.typeString() + " at step " + std::to_string(t));
      }
    }
    for (int64_t b = 0; lengths && b < batch; ++b) {
      if (t < lengths->i32Vec()[b])
        continue;
      for (unsigned i = 0; i < l.numCarry; ++i)
        setRow((*yielded)[i], b, rowOf(carries[i], b));
      for (unsigned o = 0; o < numOut; ++o) {
        Tensor &out = (*yielded)[l.numCarry + o];
        setRow(out, b, Tensor(out.dtype(), {out.numElements() / batch}));
      }
    }
    for (unsigned i = 0; i < l.numCarry; ++i)
      carries[i] = std::move((*yielded)[i]);
    for (unsigned o = 0; o < numOut; ++o)
      setRow(stacked[o], t, (*yielded)[l.numCarry + o]);
  }
  // With no steps at all, the outputs' shapes come from their declared types.
  for (unsigned o = 0; o < numOut; ++o) {
    if (allocated[o])
      continue;
    auto shape = resolve(op.result(o)->type());
    if (!shape)
      return makeError(shape.error());
    stacked[o] = Tensor(op.result(o)->type().dtype(), *shape);
  }
  Tensors results = std::move(stacked);
  for (Tensor &c : carries)
    results.push_back(std::move(c));
  return results;
}

} // namespace

Result<std::vector<Tensor>> interpret(const Function &fn,
                                      const std::vector<Tensor> &args) {
  Interpreter interp;
  return interp.run(fn, args);
}

} // namespace rnnc::ir
