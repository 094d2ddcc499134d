//===- ir/Verifier.cpp - Structural and type checking of IR ---------------===//
//
// Walks each function once, keeping the set of values in scope: a block sees
// its own arguments and the results of earlier ops in it. A scan body is
// isolated from above (codegen turns it into a loop body that gets everything
// through its arguments), so its scope starts with only its own arguments;
// values of enclosing blocks are tracked separately to tell "defined outside
// the scan body" from "used before its definition". Every error names the op
// and is reported at its location; checking goes on after an error so one run
// lists all independent problems.
//
//===----------------------------------------------------------------------===//
#include "ir/Verifier.h"

#include "ir/TypeRules.h"

#include <unordered_set>

namespace rnnc::ir {

namespace {

using ValueSet = std::unordered_set<const Value *>;

class FunctionVerifier {
public:
  FunctionVerifier(const Function &fn, Diagnostics &diags)
      : fn(fn), diags(diags) {}

  bool verify() {
    unsigned before = diags.errorCount();
    ValueSet outer;
    verifyBlock(fn.body(), nullptr, outer);
    return diags.errorCount() == before;
  }

private:
  void opError(const Operation &op, const std::string &msg) {
    diags.error(op.loc(), "'" + std::string(op.name()) + "' op " + msg);
  }

  static std::string str(size_t n) { return std::to_string(n); }

  /// Checks one block. `scan` is the op owning it (null for the function
  /// body); `outer` holds the values of enclosing blocks.
  void verifyBlock(const Block &block, const Operation *scan,
                   const ValueSet &outer) {
    ValueSet visible;
    for (unsigned i = 0; i < block.numArgs(); ++i)
      visible.insert(block.arg(i));
    ValueSet later; // every result of this block, to spot use-before-def
    for (const auto &op : block.ops())
      for (unsigned i = 0; i < op->numResults(); ++i)
        later.insert(op->result(i));

    std::string_view wanted = scan ? "yield" : "return";
    for (const auto &opPtr : block.ops()) {
      const Operation &op = *opPtr;
      for (unsigned i = 0; i < op.numOperands(); ++i) {
        const Value *v = op.operand(i);
        if (visible.count(v))
          continue;
        if (!v)
          opError(op, "operand " + str(i) + " is null");
        else if (outer.count(v))
          opError(op, "operand " + str(i) +
                          ": use of value defined outside the scan body (pass "
                          "it in as a capture)");
        else if (later.count(v))
          opError(op, "operand " + str(i) + " is used before its definition");
        else
          opError(op, "operand " + str(i) +
                          " is not defined in this function or is out of "
                          "scope");
      }
      if (isTerminator(op.kind())) {
        if (op.name() != wanted)
          opError(op, scan ? "is not allowed in a scan body (expected 'yield')"
                           : "is only allowed at the end of a scan body");
        else if (&op != block.ops().back().get())
          opError(op, "must be the last op in its block");
      }
      verifyOp(op);
      if (op.kind() == OpKind::Scan && op.numRegions() == 1) {
        ValueSet inner = outer;
        inner.insert(visible.begin(), visible.end());
        verifyBlock(*op.region(0), &op, inner);
      }
      for (unsigned i = 0; i < op.numResults(); ++i)
        visible.insert(op.result(i));
    }
    const Operation *last = block.empty() ? nullptr : block.ops().back().get();
    if (!last || last->name() != wanted) {
      if (scan)
        opError(*scan, "body must end in 'yield'");
      else
        diags.error(fn.loc(),
                    "function '@" + fn.name() + "' body must end in 'return'");
    }
  }

  void verifyConstant(const Operation &op) {
    const AttrMap &attrs = op.attrs();
    auto value = attrs.find("value");
    auto values = attrs.find("values");
    if ((value == attrs.end()) == (values == attrs.end())) {
      opError(op, "needs exactly one of 'value' or 'values'");
      return;
    }
    if (value != attrs.end()) {
      if (!std::holds_alternative<double>(value->second) &&
          !std::holds_alternative<int64_t>(value->second))
        opError(op,
                "'value' must be a number, got " + attrToString(value->second));
      return;
    }
    const auto *dense = std::get_if<DenseFloats>(&values->second);
    if (!dense) {
      opError(op, "'values' must be dense<[...]>, got " +
                      attrToString(values->second));
      return;
    }
    const TensorType &type = op.result(0)->type();
    int64_t count = type.staticNumElements();
    if (count < 0)
      opError(op, "with 'values' needs a static type, got " + type.str() +
                      " (use a splat 'value' for symbolic dims)");
    else if (static_cast<int64_t>(dense->values.size()) != count)
      opError(op, "has " + str(dense->values.size()) + " values but type " +
                      type.str() + " has " + std::to_string(count) +
                      " elements");
  }

  /// The scan's layout attributes must be present, in range and agree with
  /// its operand count; checked before the type rule, which trusts them.
  bool verifyScanLayout(const Operation &op, ScanLayout &layout) {
    const char *counts[] = {"num_seq", "num_carry", "num_capture"};
    int64_t values[3];
    for (int i = 0; i < 3; ++i) {
      auto it = op.attrs().find(counts[i]);
      const int64_t *v =
          it == op.attrs().end() ? nullptr : std::get_if<int64_t>(&it->second);
      if (!v) {
        opError(op,
                std::string("needs an integer attribute '") + counts[i] + "'");
        return false;
      }
      if (*v < 0 || *v > static_cast<int64_t>(op.numOperands())) {
        opError(op, std::string("attribute '") + counts[i] +
                        "' = " + std::to_string(*v) + " is out of range");
        return false;
      }
      values[i] = *v;
    }
    for (const char *flag : {"has_lengths", "reverse"}) {
      auto it = op.attrs().find(flag);
      if (it != op.attrs().end() && !std::holds_alternative<bool>(it->second)) {
        opError(op, std::string("attribute '") + flag + "' must be a bool");
        return false;
      }
    }
    layout = scanLayout(op);
    if (values[0] < 1) {
      opError(op, "needs at least one sequence operand (num_seq >= 1)");
      return false;
    }
    if (layout.numOperands() != op.numOperands()) {
      opError(op, "has " + str(op.numOperands()) +
                      " operands but its attributes describe " +
                      str(layout.numOperands()));
      return false;
    }
    return true;
  }

  /// Body arguments and yield against the scan's operands.
  bool verifyScanBody(const Operation &op, const ScanLayout &layout) {
    if (op.numRegions() != 1) {
      opError(op, "must have exactly one body region");
      return false;
    }
    const Block &body = *op.region(0);
    unsigned numArgs = layout.numSeq + layout.numCarry + layout.numCapture;
    if (body.numArgs() != numArgs) {
      opError(op, "body has " + str(body.numArgs()) + " arguments, expected " +
                      str(numArgs) + " (" + str(layout.numSeq) + " step, " +
                      str(layout.numCarry) + " carry, " +
                      str(layout.numCapture) + " capture)");
      return false;
    }
    bool ok = true;
    for (unsigned i = 0; i < numArgs; ++i) {
      const TensorType &given = op.operand(i)->type();
      TensorType expected = given;
      if (i < layout.numSeq) {
        if (given.rank() < 2)
          continue; // the type rule reports this
        std::vector<Dim> dims(given.dims().begin() + 1, given.dims().end());
        expected = given.withDims(dims);
      }
      if (body.arg(i)->type() != expected) {
        const char *what = i < layout.numSeq           ? "step input"
                           : i < layout.captureBegin() ? "carry"
                                                       : "capture";
        opError(op, "body argument " + str(i) + " (" + what + ") is " +
                        body.arg(i)->type().str() + ", expected " +
                        expected.str());
        ok = false;
      }
    }
    const Operation *yield = body.terminator();
    if (!yield || yield->kind() != OpKind::Yield)
      return false; // reported by verifyBlock
    if (yield->numOperands() < layout.numCarry) {
      opError(*yield, "yields " + str(yield->numOperands()) +
                          " values, fewer than the scan's " +
                          str(layout.numCarry) + " carried values");
      return false;
    }
    if (layout.hasLengths && op.operand(0)->type().rank() >= 2) {
      // Lengths mask per batch row, so every carried and output value must
      // be batched along dim 0 with the sequences' batch dim.
      const Dim &batch = op.operand(0)->type().dim(1);
      for (unsigned i = layout.numCarry; i < yield->numOperands(); ++i) {
        const TensorType &t = yield->operand(i)->type();
        if (t.rank() == 0 || !(t.dim(0) == batch)) {
          opError(*yield, "per-step output " + str(i - layout.numCarry) +
                              " is " + t.str() +
                              ", but a scan with lengths "
                              "needs [" +
                              batch.str() + ",...]");
          ok = false;
        }
      }
      for (unsigned i = 0; i < layout.numCarry; ++i) {
        const TensorType &t = op.operand(layout.carryBegin() + i)->type();
        if (t.rank() == 0 || !(t.dim(0) == batch)) {
          opError(op, "carry " + str(i) + " is " + t.str() +
                          ", but a scan with lengths needs [" + batch.str() +
                          ",...]");
          ok = false;
        }
      }
    }
    for (unsigned i = 0; i < layout.numCarry; ++i) {
      const TensorType &init = op.operand(layout.carryBegin() + i)->type();
      const Value *next = yield->operand(i);
      if (next && next->type() != init) {
        opError(*yield, "carried value " + str(i) + " is " +
                            next->type().str() +
                            " but the scan's initial value is " + init.str());
        ok = false;
      }
    }
    return ok;
  }

  void verifyOp(const Operation &op) {
    const OpInfo &info = opInfo(op.kind());
    if (info.numOperands >= 0 &&
        op.numOperands() != static_cast<unsigned>(info.numOperands)) {
      opError(op, "expects " + str(info.numOperands) + " operand(s), got " +
                      str(op.numOperands()));
      return;
    }
    if (info.numResults >= 0 &&
        op.numResults() != static_cast<unsigned>(info.numResults)) {
      opError(op, "expects " + str(info.numResults) + " result(s), got " +
                      str(op.numResults()));
      return;
    }
    if (op.kind() != OpKind::Scan && op.numRegions() != 0) {
      opError(op, "must not have regions");
      return;
    }
    for (const Value *v : op.operands())
      if (!v)
        return; // reported by verifyBlock
    switch (op.kind()) {
    case OpKind::Constant:
      verifyConstant(op);
      return;
    case OpKind::Yield:
    case OpKind::Return:
      return; // checked by their enclosing scan / defines the function type
    case OpKind::Scan: {
      ScanLayout layout;
      if (!verifyScanLayout(op, layout) || !verifyScanBody(op, layout))
        return;
      break;
    }
    case OpKind::Split: {
      // Checked first: a huge `parts` would otherwise make the type rule
      // build that many result types.
      int64_t parts = op.getInt("parts", -1);
      if (parts != static_cast<int64_t>(op.numResults())) {
        opError(op,
                "has " + str(op.numResults()) +
                    " results but attribute 'parts' is " +
                    (op.hasAttr("parts") ? attrToString(op.attrs().at("parts"))
                                         : std::string("missing")));
        return;
      }
      break;
    }
    case OpKind::Slice:
      // Bounded so that start + size cannot overflow in the type rule.
      for (const char *name : {"start", "size"}) {
        int64_t v = op.getInt(name, 0);
        if (v < -(int64_t(1) << 61) || v > (int64_t(1) << 61)) {
          opError(op, std::string("attribute '") + name + "' is out of range");
          return;
        }
      }
      break;
    case OpKind::Reshape: {
      // The type rule multiplies the new dims (entries and copied input dims)
      // without overflow checks; make sure that product fits.
      int64_t product = 1;
      std::vector<int64_t> shape = op.getInts("shape");
      const TensorType &in = op.operand(0)->type();
      for (size_t i = 0; i < shape.size(); ++i) {
        int64_t s = shape[i];
        if (s == 0 && i < in.rank() && in.dim(i).isStatic())
          s = in.dim(i).size;
        if (s > 0 && (__builtin_mul_overflow(product, s, &product) ||
                      product > (int64_t(1) << 62))) {
          opError(op,
                  "shape " + attrToString(shape) + " has too many elements");
          return;
        }
      }
      break;
    }
    default:
      break;
    }
    std::vector<TensorType> operandTypes;
    for (const Value *v : op.operands())
      operandTypes.push_back(v->type());
    const Block *body = op.numRegions() ? op.region(0) : nullptr;
    auto inferred = inferResultTypes(op.kind(), operandTypes, op.attrs(), body);
    if (!inferred) {
      opError(op, inferred.error());
      return;
    }
    if (inferred->size() != op.numResults()) {
      opError(op, "has " + str(op.numResults()) +
                      " results but its type rule gives " +
                      str(inferred->size()));
      return;
    }
    for (unsigned i = 0; i < op.numResults(); ++i)
      if (op.result(i)->type() != (*inferred)[i])
        opError(op, "result " + str(i) + " is declared " +
                        op.result(i)->type().str() + " but inferred " +
                        (*inferred)[i].str());
  }

  const Function &fn;
  Diagnostics &diags;
};

} // namespace

bool verifyFunction(const Function &fn, Diagnostics &diags) {
  return FunctionVerifier(fn, diags).verify();
}

bool verifyModule(const Module &module, Diagnostics &diags) {
  bool ok = true;
  for (const auto &fn : module.functions())
    ok &= verifyFunction(*fn, diags);
  return ok;
}

} // namespace rnnc::ir
