//===- tests/unit/PassTestUtils.h - Helpers for the pass tests --*- C++ -*-===//
//
// Small helpers shared by the pass tests: type shorthands, a function in a
// module ready for building, running a pipeline, and structural queries.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TESTS_UNIT_PASSTESTUTILS_H
#define RNNC_TESTS_UNIT_PASSTESTUTILS_H

#include "ir/Builder.h"
#include "ir/TypeRules.h"
#include "passes/PassManager.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace rnnc::passtest {

using namespace rnnc::ir;

inline TensorType f32(std::vector<Dim> dims) {
  return TensorType::f32(std::move(dims));
}
inline Dim B() { return Dim::symbolic("B"); }
inline Dim T() { return Dim::symbolic("T"); }
inline Dim N(int64_t n) { return Dim::fixed(n); }

/// A module with one empty function named `name`.
struct TestModule {
  Module module;
  Function *fn;
  explicit TestModule(std::string name = "f")
      : fn(module.addFunction(std::make_unique<Function>(std::move(name)))) {}
  Builder builder() { return Builder(&fn->body()); }
};

/// Runs `pipeline` (e.g. "cse,dce") on the module, verifying after each pass
/// when the verifier is built.
inline Status runPipeline(Module &module, const std::string &pipeline) {
  passes::PassManager pm;
  Status parsed = pm.addPipeline(pipeline);
  if (!parsed)
    return parsed;
  Diagnostics diags;
  Status s = pm.run(module, diags);
  if (!s)
    return makeError(s.error() + "\n" + diags.str());
  return s;
}

/// The number of ops of `kind` in `block` and the blocks nested in it.
inline unsigned countOps(Block &block, OpKind kind) {
  unsigned n = 0;
  block.walk([&](Operation *op) { n += op->kind() == kind; });
  return n;
}

/// The number of ops (terminators included) directly in `block`.
inline unsigned numOps(const Block &block) {
  return static_cast<unsigned>(block.ops().size());
}

/// The first op of `kind` in `block` (pre-order), or null.
inline Operation *firstOp(Block &block, OpKind kind) {
  Operation *found = nullptr;
  block.walk([&](Operation *op) {
    if (!found && op->kind() == kind)
      found = op;
  });
  return found;
}

/// Checks that a scan's operands, attributes, body and results agree with its
/// type rule, independently of the verifier.
inline void expectScanConsistent(const Operation &scan) {
  ScanLayout l = scanLayout(scan);
  ASSERT_EQ(scan.numOperands(), l.numOperands());
  const Block &body = *scan.region(0);
  ASSERT_EQ(body.numArgs(), l.numSeq + l.numCarry + l.numCapture);
  std::vector<TensorType> types;
  for (Value *v : scan.operands())
    types.push_back(v->type());
  auto expected = inferResultTypes(OpKind::Scan, types, scan.attrs(), &body);
  ASSERT_TRUE(expected) << expected.error();
  ASSERT_EQ(expected->size(), scan.numResults());
  for (unsigned i = 0; i < scan.numResults(); ++i)
    EXPECT_EQ((*expected)[i], scan.result(i)->type()) << "result " << i;
  for (unsigned c = 0; c < l.numCarry; ++c)
    EXPECT_EQ(body.arg(l.numSeq + c)->type(),
              scan.operand(l.carryBegin() + c)->type());
  for (unsigned j = 0; j < l.numCapture; ++j)
    EXPECT_EQ(body.arg(l.numSeq + l.numCarry + j)->type(),
              scan.operand(l.captureBegin() + j)->type());
}

} // namespace rnnc::passtest

#endif // RNNC_TESTS_UNIT_PASSTESTUTILS_H
