//===- tests/unit/OptimizedModelsTest.cpp - The pipeline keeps what models
// compute -===//
//
// Every example model, and one-layer GRU and Elman models, is run as lowered
// on the reference interpreter (the reference) and after the optimization
// pipeline (passes/Pipeline.h) through the JIT, forward and gradient: the
// gradient is built from the optimized forward function with the training
// passes run on it, and optimized itself, as `rnnc train` does. The results
// must agree within the tolerance of ModelTestUtil.h; the passes reassociate
// sums (the bias joins the input projection, sums over steps run in another
// order), so they are not bit-equal. The optimized gradient also goes through
// the interpreter, to tell a pass bug from a codegen one. Every case has at
// least 8 steps and 2 rows, so the JIT's scans multiply against packed weights
// (runtime/PackedMatMul.cpp), forward and backward.
//
// The comparisons mean something only if the pipeline changed the IR, so the
// test also checks what it did to the char-LM: one matmul per forward step
// (gate fusion and hoisting), none carried as a weight-gradient sum in a
// backward step (sink-accumulators), and no product over the embedded tokens
// in the training gradient (fold-embedding).
//
//===----------------------------------------------------------------------===//
#include "GlobalPoolSize.h"
#include "ModelTestUtil.h"

#include "ir/Block.h"
#include "passes/Pipeline.h"

using namespace rnnc;
using namespace rnnc::test;

namespace {

struct Case {
  const char *name;
  std::string source;
  std::map<std::string, int64_t> sizes;
  std::map<std::string, int64_t> dims;
  int32_t vocab;
  std::vector<int32_t> lens;
};

/// A one-layer model over a prelude cell, trained against a target.
std::string oneLayer(const std::string &cell) {
  return "model m(I = 5, H = 6) {\n"
         "  input x: seq[f32[I]]\n"
         "  target y: seq[f32[H]]\n"
         "  h = " +
         cell +
         "(x, H=H)\n"
         "  loss mse(h, y)\n"
         "}\n";
}

/// Lengths for the B = 24, T = 9 cases: full rows and shorter ones.
const std::vector<int32_t> kLengths24 = {9, 4, 1, 8, 9, 2, 7, 5, 9, 3, 6, 9,
                                         1, 8, 2, 9, 4, 9, 5, 7, 9, 6, 3, 9};

std::vector<Case> cases() {
  return {
      {"charlm.rnn",
       readExample("charlm.rnn"),
       {{"V", 11}, {"H", 16}, {"E", 8}},
       {{"T", 9}, {"B", 3}},
       11,
       {7, 4, 1}},
      {"custom_cell.rnn",
       readExample("custom_cell.rnn"),
       {{"V", 7}, {"H", 8}},
       {{"T", 8}, {"B", 3}},
       7,
       {6, 2, 4}},
      {"classify.rnn",
       readExample("classify.rnn"),
       {{"V", 7}, {"C", 3}, {"H", 8}},
       {{"T", 8}, {"B", 3}},
       3,
       {6, 2, 4}},
      {"forecast.rnn",
       readExample("forecast.rnn"),
       {{"H", 8}},
       {{"T", 8}, {"B", 3}},
       1,
       {6, 2, 4}},
      {"seq2seq.rnn",
       readExample("seq2seq.rnn"),
       {{"Vs", 6}, {"Vt", 5}, {"H", 4}},
       {{"T", 8}, {"S", 8}, {"B", 2}},
       5,
       {4, 3}},
      {"dot_attention.rnn",
       readExample("dot_attention.rnn"),
       {{"Vs", 6}, {"Vt", 5}, {"H", 4}},
       {{"T", 8}, {"S", 8}, {"B", 2}},
       5,
       {4, 3}},
      // Big enough that the per-step products split across threads by
      // batch rows (the test runs with 3) and run the gate loops on their
      // rows (rnnc_matmul_packed_rows), forward and backward.
      {"charlm.rnn, B = 24",
       readExample("charlm.rnn"),
       {{"V", 11}, {"H", 128}, {"E", 8}},
       {{"T", 9}, {"B", 24}},
       11,
       kLengths24},
      {"gru", oneLayer("gru"), {}, {{"T", 8}, {"B", 3}}, 1, {6, 2, 4}},
      // The GRU's gate loop, after a scalar constant's fill (1 - z), also
      // runs inside its product's row split.
      {"gru, B = 24",
       oneLayer("gru"),
       {{"H", 128}},
       {{"T", 9}, {"B", 24}},
       1,
       kLengths24},
      {"rnn", oneLayer("rnn"), {}, {{"T", 8}, {"B", 3}}, 1, {6, 2, 4}},
  };
}

/// Matmuls directly in the bodies of the function's top-level scans, per
/// scan, and how many of those are weight-gradient products (transpose_a).
struct ScanMatmuls {
  std::vector<int> perScan, transposedA;
};
ScanMatmuls countScanMatmuls(ir::Function &fn) {
  ScanMatmuls r;
  for (auto &op : fn.body().ops()) {
    if (op->kind() != ir::OpKind::Scan)
      continue;
    int n = 0, ta = 0;
    for (auto &inner : op->region(0)->ops())
      if (inner->kind() == ir::OpKind::MatMul) {
        ++n;
        ta += inner->getBool("transpose_a");
      }
    r.perScan.push_back(n);
    r.transposedA.push_back(ta);
  }
  return r;
}

/// Top-level matmuls with an embed's result (the embedded tokens, one row
/// per position) as an operand.
int embeddedProducts(ir::Function &fn) {
  int n = 0;
  for (auto &op : fn.body().ops())
    if (op->kind() == ir::OpKind::MatMul)
      for (int i = 0; i < 2; ++i) {
        ir::Operation *d = op->operand(i)->definingOp();
        n += d && d->kind() == ir::OpKind::Embed;
      }
  return n;
}

TEST(OptimizedModels, MatchTheLoweredModelsForwardAndGradient) {
  const GlobalPoolSize threads(3);
  ASSERT_EQ(threads.got(), 3u);
  for (const Case &c : cases()) {
    SCOPED_TRACE(c.name);
    auto plain = lowerSource(c.name, c.source, c.sizes);
    ASSERT_TRUE(plain) << plain.error();
    auto opt = lowerSource(c.name, c.source, c.sizes);
    ASSERT_TRUE(opt) << opt.error();
    ir::Diagnostics diags;
    ASSERT_TRUE(passes::optimizeModule(*opt->module, diags)) << diags.str();
    const frontend::ModelInfo &info = plain->models.back();
    ir::Function &fn0 = *plain->module->lookup(info.name);
    ir::Function &fn1 = *opt->module->lookup(info.name);
    auto args = argsFor(fn0, info, c.dims, c.vocab, c.lens);

    auto want = ir::interpret(fn0, args);
    ASSERT_TRUE(want) << want.error();
    auto got = jitRun(fn1, args);
    ASSERT_TRUE(got) << got.error();
    Measured m;
    EXPECT_TRUE(sameResults(*got, *want, m)) << "forward";

    auto grad0 = passes::buildGradient(fn0);
    ASSERT_TRUE(grad0) << grad0.error();
    auto train1 = passes::trainingForward(fn1, diags);
    ASSERT_TRUE(train1) << train1.error();
    auto grad1 = passes::buildGradient(**train1);
    ASSERT_TRUE(grad1) << grad1.error();
    ASSERT_TRUE(passes::optimizeFunction(*grad1, diags)) << diags.str();
    auto gwant = ir::interpret(**grad0, args);
    ASSERT_TRUE(gwant) << gwant.error();
    auto ginterp = ir::interpret(**grad1, args);
    ASSERT_TRUE(ginterp) << ginterp.error();
    EXPECT_TRUE(sameResults(*ginterp, *gwant, m)) << "gradient, interpreter";
    auto ggot = jitRun(**grad1, args);
    ASSERT_TRUE(ggot) << ggot.error();
    EXPECT_TRUE(sameResults(*ggot, *gwant, m)) << "gradient, JIT";
    std::cout << "[ measured ] " << c.name << " optimized vs lowered: worst "
              << m.worstRel << "\n";
  }
}

TEST(OptimizedModels, PipelineFusesHoistsAndSinksTheCharLM) {
  auto p = lowerSource("charlm.rnn", readExample("charlm.rnn"),
                       {{"V", 11}, {"H", 16}, {"E", 8}});
  ASSERT_TRUE(p) << p.error();
  ir::Diagnostics diags;
  ir::Function &fn = *p->module->lookup(p->models.back().name);
  auto grad0 = passes::buildGradient(fn);
  ASSERT_TRUE(grad0);
  // As lowered: per step 4 gates x 2 operands, and the backward scans carry
  // the recurrent and input weight-gradient sums.
  EXPECT_EQ(countScanMatmuls(fn).perScan, (std::vector<int>{8, 8}));
  EXPECT_GT(countScanMatmuls(**grad0).transposedA.back(), 0);

  ASSERT_TRUE(passes::optimizeModule(*p->module, diags)) << diags.str();
  EXPECT_EQ(countScanMatmuls(fn).perScan, (std::vector<int>{1, 1}));
  auto grad1 = passes::buildGradient(fn);
  ASSERT_TRUE(grad1);
  ASSERT_TRUE(passes::optimizeFunction(*grad1, diags)) << diags.str();
  ScanMatmuls g = countScanMatmuls(**grad1);
  // Two forward scans with one matmul each, two backward scans with one
  // (dh = dS U), and no weight-gradient product left in any step.
  EXPECT_EQ(g.perScan, (std::vector<int>{1, 1, 1, 1}));
  EXPECT_EQ(g.transposedA, (std::vector<int>{0, 0, 0, 0}));
  // The hoisted first-layer projection multiplies the T*B embedded tokens
  // (forward, and dW = e^T dp backward) until fold-embedding, which rnnc
  // train runs first, moves it onto the table.
  EXPECT_GT(embeddedProducts(**grad1), 0);
  auto train = passes::trainingForward(fn, diags);
  ASSERT_TRUE(train) << train.error();
  auto grad2 = passes::buildGradient(**train);
  ASSERT_TRUE(grad2);
  ASSERT_TRUE(passes::optimizeFunction(*grad2, diags)) << diags.str();
  EXPECT_EQ(embeddedProducts(**grad2), 0);
  EXPECT_EQ(countScanMatmuls(**grad2).perScan, g.perScan);

  // Told the rows per call, the pass folds only a table of at most half of
  // them: the 11-row table at 22 rows a call, not at 21.
  for (int64_t rows : {21, 22}) {
    SCOPED_TRACE(rows);
    auto sized = passes::trainingForward(fn, diags, rows);
    ASSERT_TRUE(sized) << sized.error();
    EXPECT_EQ(embeddedProducts(**sized) == 0, rows == 22);
  }
}

} // namespace
