//===- tests/unit/ScanRowsTest.cpp - Scans split by batch rows -----------===//
//
// A scan whose steps keep batch rows apart runs as one loop over time per
// range of rows (codegen/ScanRows.cpp, LowerScan.cpp, rnnc_scan_rows): with
// two pool threads and at least 4 rows per part, each thread runs the whole
// sequence for its rows. Here the example models and their gradients, built
// and optimized as `rnnc train` builds them, are compiled at B = 19 (parts
// of 9 and 10 rows, so the second part starts inside a vector of rows) with
// ragged lengths, and their results must match the reference interpreter
// on the same IR within ModelTestUtil.h's tolerance, with 2 threads and with
// 1 (where the same function runs over all rows at once).
//
// That the split happens is checked on the LLVM IR: for the char-LM every
// scan of the gradient (two forward, two backward) calls rnnc_scan_rows,
// which needs sink-accumulators to have moved the bias gradients' sums over
// the batch out of the backward scans; the other examples split at least
// one scan (seq2seq's attention decoder reads its own rows of a captured
// [B, S, H] memory).
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "ModelTestUtil.h"

#include "codegen/CompiledFunction.h"
#include "runtime/ThreadPool.h"

using namespace rnnc;
using namespace rnnc::test;

namespace {

size_t scansIn(const ir::Function &fn) {
  size_t n = 0;
  const_cast<ir::Function &>(fn).walk(
      [&](ir::Operation *op) { n += op->kind() == ir::OpKind::Scan; });
  return n;
}

/// Restores the pool's thread count.
struct PoolThreads {
  unsigned before = ThreadPool::global().threadCount();
  explicit PoolThreads(unsigned n) { ThreadPool::global().resize(n); }
  ~PoolThreads() { ThreadPool::global().resize(before); }
};

struct SplitCase {
  ExampleCase ex;
  /// Every scan of the gradient is split (else: at least one).
  bool allScans;
};

std::vector<int32_t> raggedLengths(int64_t batch, int32_t steps) {
  std::vector<int32_t> lens;
  for (int64_t b = 0; b < batch; ++b)
    lens.push_back(static_cast<int32_t>(1 + (b * 7 + 3) % steps));
  lens[4] = steps; // some row runs to the end
  return lens;
}

TEST(ScanRows, SplitScansMatchInterpreter) {
  const int64_t B = 19;
  std::vector<SplitCase> cases = {
      {{"charlm.rnn",
        {{"V", 11}, {"H", 16}, {"E", 8}},
        {{"T", 6}, {"B", B}},
        11,
        raggedLengths(B, 6)},
       true},
      // (Its backward scan sums values over the batch that it does not
      // stack, the gain, bias and peephole gradients, so it runs whole.)
      {{"custom_cell.rnn",
        {{"V", 7}, {"H", 16}},
        {{"T", 6}, {"B", B}},
        7,
        raggedLengths(B, 6)},
       false},
      {{"classify.rnn",
        {{"V", 7}, {"C", 3}, {"H", 8}},
        {{"T", 6}, {"B", B}},
        3,
        raggedLengths(B, 6)},
       false},
      {{"forecast.rnn",
        {{"H", 8}},
        {{"T", 6}, {"B", B}},
        1,
        raggedLengths(B, 6)},
       false},
      {{"seq2seq.rnn",
        {{"Vs", 6}, {"Vt", 5}, {"H", 8}},
        {{"T", 5}, {"S", 4}, {"B", B}},
        5,
        raggedLengths(B, 4)},
       false},
  };
  for (const SplitCase &c : cases) {
    const ExampleCase &ex = c.ex;
    SCOPED_TRACE(ex.file);
    auto built = trainGradient(ex.file, ex.sizes);
    ASSERT_TRUE(built) << built.error();
    const ir::Function &fn = built->model();
    const std::unique_ptr<ir::Function> &grad = built->grad;

    codegen::CompileOptions options;
    options.keepLLVMIR = true;
    auto compiled = codegen::compile(*grad, options);
    ASSERT_TRUE(compiled) << compiled.error();
    size_t split =
        countOf((*compiled)->llvmIRBefore(), "call void @rnnc_scan_rows(");
    if (c.allScans)
      EXPECT_EQ(split, scansIn(*grad));
    else
      EXPECT_GE(split, 1u);

    auto args =
        argsFor(fn, built->program.models[0], ex.dims, ex.vocab, ex.lens);
    auto want = ir::interpret(*grad, args);
    ASSERT_TRUE(want) << want.error();
    for (unsigned threads : {2u, 1u}) {
      SCOPED_TRACE(std::to_string(threads) + " threads");
      PoolThreads pool(threads);
      ASSERT_EQ(ThreadPool::global().threadCount(), threads);
      auto got = (*compiled)->run(args);
      ASSERT_TRUE(got) << got.error();
      Measured m;
      EXPECT_TRUE(sameResults(*got, *want, m));
      std::cout << "[ measured ] " << ex.file << " grad, " << split << " of "
                << scansIn(*grad) << " scans split, " << threads
                << " threads: worst " << m.worstRel << "\n";
    }
  }
}

// Below 4 rows per part the scan runs as before, on the caller, with its
// products split across threads: B = 7 gives one part.
TEST(ScanRows, SmallBatchRunsWhole) {
  auto p = lowerSource("charlm.rnn", readExample("charlm.rnn"),
                       {{"V", 11}, {"H", 16}, {"E", 8}});
  ASSERT_TRUE(p) << p.error();
  ir::Diagnostics diags;
  ASSERT_TRUE(passes::optimizeModule(*p->module, diags)) << diags.str();
  const ir::Function &fn = *p->module->functions().at(0);
  auto compiled = codegen::compile(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  auto args = argsFor(fn, p->models[0], {{"T", 6}, {"B", 7}}, 11,
                      {6, 1, 3, 5, 2, 6, 4});
  auto want = ir::interpret(fn, args);
  ASSERT_TRUE(want) << want.error();
  PoolThreads pool(2);
  auto got = (*compiled)->run(args);
  ASSERT_TRUE(got) << got.error();
  Measured m;
  EXPECT_TRUE(sameResults(*got, *want, m));
}

} // namespace
