//===- tests/unit/CodegenTestUtil.h - JIT vs interpreter -------*- C++ -*-===//
//
// Helpers for codegen tests: parse textual IR, JIT-compile a function, feed it
// and the reference interpreter the same random arguments for several
// bindings of the symbolic dims, and compare every result. Arguments are
// generated from their types; a few argument names select a special range
// (see randomArg), so tests stay a few lines of IR each.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TESTS_UNIT_CODEGENTESTUTIL_H
#define RNNC_TESTS_UNIT_CODEGENTESTUTIL_H

#include "codegen/CompiledFunction.h"
#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>

namespace rnnc::test {

using Bindings = std::map<std::string, int64_t>;

/// How many times `what` occurs in `text` (LLVM IR checks: calls, defines).
inline size_t countOf(const std::string &text, const std::string &what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

/// Parses and verifies `text`; fails the test on an error.
inline std::unique_ptr<ir::Module> parseIR(const std::string &text) {
  ir::Diagnostics diags;
  auto module = ir::parseModule(text, "test.ir", diags);
  if (!module || diags.hasErrors() || !ir::verifyModule(*module, diags)) {
    ADD_FAILURE() << "bad test IR:\n" << diags.str();
    return nullptr;
  }
  return module;
}

/// A random tensor for argument `name` of `type` under `bind`. Names pick
/// the range: f32 "pos*" (0.05, 4], "cond*" {0, 1}, else [-3, 3]; i32 names
/// containing "len" are lengths in [0, T] ([0, S] with "src"), row 0 full;
/// other i32 are ids in [0, V) with V = bind["V"] (5 when unbound).
inline Tensor randomArg(const std::string &name, const ir::TensorType &type,
                        const Bindings &bind, std::mt19937 &rng) {
  std::vector<int64_t> shape;
  for (const ir::Dim &d : type.dims())
    shape.push_back(d.isStatic() ? d.size : bind.at(d.sym));
  Tensor t(type.dtype(), shape);
  auto starts = [&](const char *p) { return name.rfind(p, 0) == 0; };
  if (type.dtype() == DType::I32) {
    bool isLength = name.find("len") != std::string::npos;
    int64_t steps =
        isLength ? bind.at(name.find("src") != std::string::npos ? "S" : "T")
                 : 0;
    int64_t hi = isLength ? steps + 1 : bind.count("V") ? bind.at("V") : 5;
    std::uniform_int_distribution<int32_t> dist(0,
                                                static_cast<int32_t>(hi - 1));
    for (int32_t &v : t.i32Vec())
      v = dist(rng);
    // Keep one full-length row so every step is exercised.
    if (isLength && !t.i32Vec().empty())
      t.i32Vec()[0] = static_cast<int32_t>(steps);
    return t;
  }
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  std::uniform_real_distribution<float> pos(0.05f, 4.0f);
  std::bernoulli_distribution coin(0.5);
  for (float &v : t.f32Vec())
    v = starts("pos")    ? pos(rng)
        : starts("cond") ? (coin(rng) ? 1.0f : 0.0f)
                         : dist(rng);
  return t;
}

/// |got - want| <= atol + rtol * |want| for every element (NaNs match NaNs).
inline ::testing::AssertionResult
allClose(const Tensor &got, const Tensor &want, double rtol, double atol) {
  if (got.dtype() != want.dtype() || got.shape() != want.shape())
    return ::testing::AssertionFailure()
           << "got " << got.typeString() << ", want " << want.typeString();
  for (int64_t k = 0; k < want.numElements(); ++k) {
    double g = got.at(k), w = want.at(k);
    if (std::isnan(g) && std::isnan(w))
      continue;
    if (g == w)
      continue;
    if (!(std::fabs(g - w) <= atol + rtol * std::fabs(w)))
      return ::testing::AssertionFailure()
             << "element " << k << ": got " << g << ", want " << w;
  }
  return ::testing::AssertionSuccess();
}

struct Tolerance {
  double rtol = 1e-5;
  double atol = 1e-6;
};

/// JIT-compiles `fn` once, then for each binding runs it and the interpreter
/// on the same random arguments and compares all results.
inline void
checkAgainstInterpreter(const ir::Function &fn,
                        const std::vector<Bindings> &bindings,
                        Tolerance tol = {}, unsigned seed = 1,
                        const codegen::CompileOptions &options = {}) {
  auto compiled = codegen::compile(fn, options);
  ASSERT_TRUE(compiled) << compiled.error();
  std::mt19937 rng(seed);
  for (const Bindings &bind : bindings) {
    std::string where = "@" + fn.name() + " with";
    for (const auto &[k, v] : bind)
      where += " " + k + "=" + std::to_string(v);
    std::vector<Tensor> args;
    for (unsigned i = 0; i < fn.numArgs(); ++i)
      args.push_back(
          randomArg(fn.arg(i)->name(), fn.arg(i)->type(), bind, rng));
    auto want = ir::interpret(fn, args);
    ASSERT_TRUE(want) << where << ": interpreter: " << want.error();
    auto got = (*compiled)->run(args);
    ASSERT_TRUE(got) << where << ": " << got.error();
    ASSERT_EQ(got->size(), want->size()) << where;
    for (size_t r = 0; r < want->size(); ++r)
      EXPECT_TRUE(allClose((*got)[r], (*want)[r], tol.rtol, tol.atol))
          << where << ", result " << r;
  }
}

/// Parses `text` and checks its function `name` (the first when empty).
inline void checkIR(const std::string &text,
                    const std::vector<Bindings> &bindings, Tolerance tol = {},
                    const std::string &name = "") {
  auto module = parseIR(text);
  ASSERT_TRUE(module);
  const ir::Function *fn =
      name.empty() ? module->functions().front().get() : module->lookup(name);
  ASSERT_TRUE(fn);
  checkAgainstInterpreter(*fn, bindings, tol);
}

} // namespace rnnc::test

#endif // RNNC_TESTS_UNIT_CODEGENTESTUTIL_H
