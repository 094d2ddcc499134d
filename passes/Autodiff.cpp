//===- passes/Autodiff.cpp - Reverse-mode AD as an IR transformation ------===//
//
// buildGradient(fn) builds `<fn>_grad`: a copy of fn's forward computation,
// then its reverse sweep, returning fn's results followed by the gradients.
//
// Algorithm:
//   1. Clone fn's body into the new function (same arguments), keeping a map
//      from each original value to its copy (the primal).
//   2. Activity: a value is varied if it is f32 and depends on a wrt argument
//      (forward propagation; a scan body's carries to a fixed point). Only
//      varied values get adjoints; ops whose operands are not varied (lengths,
//      masks, integer ids) are skipped, so they need no rule.
//   3. Reverse sweep over the original ops, seeded with d loss = 1: each op's
//      rule (AdjointRules.cpp) reads the primal values of the copy and the
//      adjoints of its results and accumulates into its operands' adjoints.
//   4. A scan's adjoint is a scan in the opposite direction (BPTT;
//      ScanAdjoint.cpp).
//   5. Return fn's results, then each wrt argument's adjoint (0 if none);
//      simplify with canonicalize, cse, dce, which also removes whatever
//      forward work the gradient turned out not to need.
//
// The scan adjoint and its handling of lengths are in ScanAdjoint.cpp.
//
//===----------------------------------------------------------------------===//
#include "passes/Autodiff.h"

#include "ir/Builder.h"
#include "ir/Diagnostics.h"
#include "ir/Verifier.h"
#include "passes/AdjointRules.h"
#include "passes/GradientState.h"
#include "passes/Passes.h"

#include <memory>
#include <sstream>
#include <unordered_map>

namespace rnnc::passes {

using namespace ir;
using ad::AdjointContext;
using ad::ValueSet;

namespace ad {

Value *lookup(const ValueMap &m, const Value *v) {
  auto it = m.find(v);
  return it == m.end() ? nullptr : it->second;
}

/// Copies `op` (and its region) at b's insertion point, mapping operands
/// through `map` and recording its results. Existing entries are kept, so a
/// value already mapped (a saved activation) is not shadowed by its copy.
Operation *cloneOp(Builder &b, const Operation &op, ValueMap &map) {
  std::vector<Value *> operands;
  for (const Value *v : op.operands())
    operands.push_back(lookup(map, v));
  std::vector<TensorType> types;
  for (unsigned i = 0; i < op.numResults(); ++i)
    types.push_back(op.result(i)->type());
  b.setLoc(op.loc());
  Operation *n = b.createUnchecked(op.kind(), operands, types, op.attrs());
  for (unsigned i = 0; i < op.numResults(); ++i) {
    n->result(i)->setName(op.result(i)->name());
    map.emplace(op.result(i), n->result(i));
  }
  for (unsigned r = 0; r < op.numRegions(); ++r) {
    const Block &from = *op.region(r);
    Block *to = n->addRegion();
    for (unsigned a = 0; a < from.numArgs(); ++a)
      map.emplace(from.arg(a),
                  to->addArg(from.arg(a)->type(), from.arg(a)->name()));
    Builder inner(to);
    for (const auto &o : from.ops())
      cloneOp(inner, *o, map);
  }
  return n;
}

} // namespace ad

namespace {

using ad::cloneOp;
using ad::GradientState;
using ad::isF32;
using ad::lookup;
using ad::ValueMap;

/// Marks varied values in `block` (see the file comment), scans included.
void propagateVaried(const Block &block, ValueSet &varied) {
  auto mark = [&](const Value *v) {
    if (isF32(v))
      varied.insert(v);
  };
  for (const auto &p : block.ops()) {
    const Operation &op = *p;
    if (isTerminator(op.kind()))
      continue;
    if (op.kind() == OpKind::Scan) {
      ScanLayout l = scanLayout(op);
      const Block &body = *op.region(0);
      for (unsigned i = 0; i < l.numSeq + l.numCarry + l.numCapture; ++i)
        if (varied.count(op.operand(i)))
          mark(body.arg(i));
      const Operation *yield = body.terminator();
      for (bool changed = true; changed;) {
        propagateVaried(body, varied);
        changed = false;
        for (unsigned c = 0; c < l.numCarry; ++c) {
          const Value *arg = body.arg(l.numSeq + c);
          if (varied.count(yield->operand(c)) && !varied.count(arg) &&
              isF32(arg)) {
            varied.insert(arg);
            changed = true;
          }
        }
      }
      unsigned numOut = yield->numOperands() - l.numCarry;
      for (unsigned k = 0; k < numOut; ++k)
        if (varied.count(yield->operand(l.numCarry + k)))
          mark(op.result(k));
      for (unsigned c = 0; c < l.numCarry; ++c)
        if (varied.count(body.arg(l.numSeq + c)))
          mark(op.result(numOut + c));
      continue;
    }
    bool any = false;
    for (const Value *v : op.operands())
      any |= varied.count(v) != 0;
    if (any)
      for (unsigned i = 0; i < op.numResults(); ++i)
        mark(op.result(i));
  }
}

/// The state of one buildGradient call.
class GradientBuilder {
public:
  GradientBuilder(const Function &fn, Function &grad,
                  const GradientOptions &options)
      : fn(fn), grad(grad), opts(options), b(&grad.body()),
        top(
            b, [this](const Value *v) { return lookup(fwd, v); }, varied) {}

  Result<std::vector<Value *>> run(const std::vector<unsigned> &wrt);

private:
  const Function &fn;
  Function &grad;
  const GradientOptions &opts;
  Builder b;
  ValueMap fwd;
  ValueSet varied;
  AdjointContext top;
};

Result<std::vector<Value *>>
GradientBuilder::run(const std::vector<unsigned> &wrt) {
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    fwd[fn.arg(i)] = grad.arg(i);
  for (const auto &p : fn.body().ops())
    if (!isTerminator(p->kind()))
      cloneOp(b, *p, fwd);
  if (b.failed())
    return makeError("autodiff: copying the forward function: " +
                     b.firstError());

  for (unsigned a : wrt)
    varied.insert(fn.arg(a));
  propagateVaried(fn.body(), varied);

  const Operation *ret = fn.returnOp();
  const Value *loss = ret->operand(opts.lossResult);
  if (Status s = top.accumulate(loss, top.scalar(1.0)); !s)
    return Error{s.error()};
  for (auto it = fn.body().ops().rbegin(); it != fn.body().ops().rend(); ++it) {
    const Operation &op = **it;
    if (isTerminator(op.kind()))
      continue;
    GradientState st{b, fwd, varied, top, opts.recompute};
    Status s = op.kind() == OpKind::Scan ? ad::emitScanAdjoint(st, op)
                                         : ad::emitAdjoint(top, op);
    if (!s)
      return Error{s.error()};
  }
  std::vector<Value *> results;
  for (const Value *v : ret->operands())
    results.push_back(lookup(fwd, v));
  for (unsigned a : wrt) {
    Value *d = top.adjoint(fn.arg(a));
    results.push_back(d ? d : top.zeros(fn.arg(a)->type()));
  }
  if (b.failed())
    return makeError("autodiff: " + b.firstError());
  return results;
}

} // namespace

Result<std::vector<unsigned>> gradientArgs(const Function &fn,
                                           const GradientOptions &options) {
  std::vector<unsigned> wrt = options.wrt;
  if (wrt.empty())
    for (unsigned i = 0; i < fn.numArgs(); ++i) {
      auto it = fn.argAttrs(i).find("param");
      if (it != fn.argAttrs(i).end() &&
          std::holds_alternative<bool>(it->second) &&
          std::get<bool>(it->second))
        wrt.push_back(i);
    }
  for (unsigned a : wrt) {
    if (a >= fn.numArgs())
      return makeError("autodiff: wrt argument " + std::to_string(a) +
                       " out of range (the function has " +
                       std::to_string(fn.numArgs()) + ")");
    if (fn.arg(a)->type().dtype() != DType::F32)
      return makeError("autodiff: cannot differentiate with respect to '" +
                       fn.arg(a)->name() + "' of type " +
                       fn.arg(a)->type().str() + " (not f32)");
  }
  return wrt;
}

/// An empty function named `name` with fn's arguments (types, names and
/// attributes), as the gradient and a copy of fn both start.
static std::unique_ptr<Function> withArgsOf(const Function &fn,
                                            std::string name) {
  auto out = std::make_unique<Function>(std::move(name), fn.loc());
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    out->addArg(fn.arg(i)->type(), fn.arg(i)->name(), fn.argAttrs(i));
  return out;
}

Result<std::unique_ptr<Function>>
buildGradient(const Function &fn, const GradientOptions &options) {
  const Operation *ret = fn.returnOp();
  if (!ret)
    return makeError("autodiff: '" + fn.name() + "' has no return");
  if (options.lossResult >= ret->numOperands())
    return makeError("autodiff: loss result " +
                     std::to_string(options.lossResult) + " out of range ('" +
                     fn.name() + "' has " + std::to_string(ret->numOperands()) +
                     " results)");
  const TensorType &lt = ret->operand(options.lossResult)->type();
  if (lt != TensorType::f32({}))
    return makeError("autodiff: the loss must be f32[], result " +
                     std::to_string(options.lossResult) + " is " + lt.str());
  auto wrt = gradientArgs(fn, options);
  if (!wrt)
    return Error{wrt.error()};

  auto grad = withArgsOf(fn, fn.name() + "_grad");
  GradientBuilder gb(fn, *grad, options);
  auto results = gb.run(*wrt);
  if (!results)
    return Error{results.error()};
  Builder rb(&grad->body());
  rb.ret(*results);

  Module m;
  m.addFunction(std::move(grad));
  if (options.simplify) {
    std::vector<std::unique_ptr<Pass>> pipeline;
    pipeline.push_back(createDCEPass());
    pipeline.push_back(createCanonicalizePass());
    pipeline.push_back(createCSEPass());
    pipeline.push_back(createDCEPass());
    for (auto &pass : pipeline)
      if (Status s = pass->run(m); !s)
        return makeError("autodiff: simplifying: " + s.error());
  }
  Diagnostics diags;
  if (!verifyModule(m, diags))
    return makeError("autodiff: the gradient function does not verify: " +
                     diags.str());
  return std::move(m.functions().front());
}

std::unique_ptr<Function> cloneFunction(const Function &fn) {
  auto copy = withArgsOf(fn, fn.name());
  ValueMap map;
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    map.emplace(fn.arg(i), copy->arg(i));
  Builder b(&copy->body());
  for (const auto &op : fn.body().ops())
    cloneOp(b, *op, map);
  return copy;
}

namespace {

class GradientPass : public Pass {
public:
  std::string_view name() const override { return "grad"; }
  std::string_view description() const override {
    return "append <fn>_grad (reverse-mode gradient of result 0 w.r.t. the "
           "params) after each function with an f32[] first result";
  }
  Status run(Module &module) override {
    std::vector<std::unique_ptr<Function>> out;
    for (auto &fn : module.functions()) {
      const Operation *ret = fn->returnOp();
      bool hasLoss = ret && ret->numOperands() > 0 &&
                     ret->operand(0)->type() == TensorType::f32({});
      auto wrt = gradientArgs(*fn);
      std::unique_ptr<Function> grad;
      if (hasLoss && wrt && !wrt->empty()) {
        auto g = buildGradient(*fn);
        if (!g)
          return makeError("in function '" + fn->name() + "': " + g.error());
        grad = g.take();
      }
      out.push_back(std::move(fn));
      if (grad)
        out.push_back(std::move(grad));
    }
    module.functions() = std::move(out);
    return Status::ok();
  }
};

} // namespace

std::unique_ptr<Pass> createGradientPass() {
  return std::make_unique<GradientPass>();
}

} // namespace rnnc::passes
