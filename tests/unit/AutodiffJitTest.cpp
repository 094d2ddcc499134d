//===- tests/unit/AutodiffJitTest.cpp - Gradients through the JIT --------===//
//
// The gradient function is ordinary IR, so codegen compiles it unchanged. The
// JIT's results (forward results and every gradient) must match the reference
// interpreter's for a char-LM-like model (2 stacked LSTMs, embed, linear,
// masked cross-entropy) at small sizes with padded rows, with activations
// saved and recomputed, for every example model, and for a cell of 80
// statements (long fused chains are cut into several loops).
//
// Tolerance. The JIT computes in f32 with its own exp/tanh/sigmoid (accurate
// to a few ulps, MathApproxTest) and sums in another order than the
// interpreter, which accumulates in double; the forward example models agree
// to rtol 2e-4 (CodegenExamplesTest). A gradient is a sum of T*B products of
// such values, so its absolute error scales with the size of the largest
// gradient entries, not of each one (an entry that cancels to ~0 has the
// same absolute error as the large ones): we require
//   |jit - interp| <= 1e-4 * |interp| + 1e-5 * max_k |interp_k|
// per result tensor, which a wrong or missing term (an O(1) relative error)
// cannot pass (measured: at most 2e-6 of the largest entry, printed by the
// test as "[ measured ]").
//
//===----------------------------------------------------------------------===//
#include "AutodiffTestUtil.h"
#include "ModelTestUtil.h"

using namespace rnnc;
using namespace rnnc::test;

namespace {

TEST(AutodiffJit, CharLMGradientMatchesInterpreter) {
  auto p = lowerSource("charlm.rnn", readExample("charlm.rnn"),
                       {{"V", 11}, {"H", 16}, {"E", 8}});
  ASSERT_TRUE(p) << p.error();
  const ir::Function &fn = *p->module->functions().at(0);
  for (bool recompute : {false, true}) {
    SCOPED_TRACE(recompute ? "recompute" : "saved");
    passes::GradientOptions go;
    go.recompute = recompute;
    auto grad = passes::buildGradient(fn, go);
    ASSERT_TRUE(grad) << grad.error();
    auto args =
        argsFor(fn, p->models[0], {{"T", 12}, {"B", 4}}, 11, {12, 7, 1, 10});
    auto want = ir::interpret(**grad, args);
    ASSERT_TRUE(want) << want.error();
    auto got = jitRun(**grad, args);
    ASSERT_TRUE(got) << got.error();
    Measured m;
    EXPECT_TRUE(sameResults(*got, *want, m));
    RecordProperty(recompute ? "worst_rel_recompute" : "worst_rel_saved",
                   std::to_string(m.worstRel));
    std::cout << "[ measured ] charlm grad, "
              << (recompute ? "recompute" : "saved")
              << ": worst |jit - interp| / (|interp| + max) = " << m.worstRel
              << "\n";
  }
}

TEST(AutodiffJit, ExampleGradientsMatchInterpreter) {
  for (const ExampleCase &ex : gradientExampleCases()) {
    SCOPED_TRACE(ex.file);
    auto p = lowerSource(ex.file, readExample(ex.file), ex.sizes);
    ASSERT_TRUE(p) << p.error();
    const ir::Function &fn = *p->module->functions().at(0);
    auto grad = passes::buildGradient(fn);
    ASSERT_TRUE(grad) << grad.error();
    auto args = argsFor(fn, p->models[0], ex.dims, ex.vocab, ex.lens);
    auto want = ir::interpret(**grad, args);
    ASSERT_TRUE(want) << want.error();
    auto got = jitRun(**grad, args);
    ASSERT_TRUE(got) << got.error();
    Measured m;
    EXPECT_TRUE(sameResults(*got, *want, m));
    std::cout << "[ measured ] " << ex.file << " grad: worst " << m.worstRel
              << "\n";
  }
}

TEST(AutodiffJit, LongCellGradientMatchesInterpreter) {
  // A cell of 80 statements a_k = a_{k-1} - 0.05 * tanh(a_{k-1}) * a_{k-1}
  // (neither dies out nor blows up, so the gradient reaches W): the
  // gradient's scans are long chains, cut into loops of bounded cost
  // (FusionPlan.h), and the forward scan saves some 160 values, with
  // ragged lengths.
  std::string src = "cell c(x: [I]) -> h: [H] {\n  param W: [H, I]\n"
                    "  a0 = W @ x + h\n";
  const int n = 80;
  for (int k = 1; k <= n; ++k)
    src += "  a" + std::to_string(k) + " = a" + std::to_string(k - 1) +
           " - 0.05 * tanh(a" + std::to_string(k - 1) + ") * a" +
           std::to_string(k - 1) + "\n";
  src += "  h = a" + std::to_string(n) +
         "\n}\nmodel m(H = 4) {\n  input x: seq[f32[H]]\n"
         "  target y: seq[f32[H]]\n  loss mse(c(x, H=H), y)\n}\n";
  auto p = lowerSource("chain.rnn", src, {});
  ASSERT_TRUE(p) << p.error();
  ir::Diagnostics diags;
  ASSERT_TRUE(passes::optimizeModule(*p->module, diags)) << diags.str();
  const ir::Function &fn = *p->module->functions().at(0);
  auto grad = passes::buildGradient(fn);
  ASSERT_TRUE(grad) << grad.error();
  std::unique_ptr<ir::Function> g = grad.take();
  ASSERT_TRUE(passes::optimizeFunction(g, diags)) << diags.str();
  auto args = argsFor(fn, p->models[0], {{"T", 5}, {"B", 3}}, 1, {5, 2, 0});
  auto want = ir::interpret(*g, args);
  ASSERT_TRUE(want) << want.error();
  auto got = jitRun(*g, args);
  ASSERT_TRUE(got) << got.error();
  Measured m;
  EXPECT_TRUE(sameResults(*got, *want, m));
  std::cout << "[ measured ] 80-line cell grad: worst " << m.worstRel << "\n";
}

} // namespace
