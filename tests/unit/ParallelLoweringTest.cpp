//===- tests/unit/ParallelLoweringTest.cpp - Token ops and losses in parts ===//
//
// embed, embed_grad, the reductions, softmax and cross_entropy lower their
// main loop through FunctionLowering::emitParallelLoop: an outlined function
// that rnnc_parallel_for runs in parts when the op is large (the char-LM's
// [T*B, 4H] gather, its bias-gradient column sums, its loss over [T, B, V]).
// Checked here at sizes far above the split threshold: the LLVM IR calls
// rnnc_parallel_for with each op's outlined loop; the results match the
// reference interpreter; and one and two threads give the same bits, since
// each part writes its own elements and every element is still combined in
// the same order. A parallel loop inside a row-split scan's part (a nested
// outlined function) is checked the same way, and a bad id or target is
// still reported, from the serial check before the parts.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "GlobalPoolSize.h"

#include "codegen/CompiledFunction.h"

#include <cstring>

using namespace rnnc;
using namespace rnnc::test;

namespace {

/// Each op's result is returned, so none is dead. V = 40 classes (ids are
/// drawn from [0, V) by randomArg), E = 300 columns.
const char *kTokenOps = R"(
func @ops(%table: f32[40,300], %ids: i32[T,B], %dy: f32[T,B,300], %logits: f32[T,B,40], %len: i32[B], %x: f32[T,B,300]) -> (f32[T,B,300], f32[40,300], f32[300], f32[T,B], f32[T,300], f32[T,B,40], f32[T,B,40], f32[], f32[], f32[B]) {
  %e = embed(%table, %ids) : f32[T,B,300]
  %g = embed_grad(%ids, %dy) {rows = 40} : f32[40,300]
  %cols = reduce_sum(%x) {axes = [0, 1]} : f32[300]
  %rows = reduce_sum(%x) {axes = [2]} : f32[T,B]
  %mid = reduce_max(%x) {axes = [1]} : f32[T,300]
  %sm = softmax(%logits) {axis = -1} : f32[T,B,40]
  %lsm = log_softmax(%logits) {axis = 1} : f32[T,B,40]
  %m = length_mask(%len, %logits) : f32[T,B]
  %ce = cross_entropy(%logits, %ids, %m) : f32[]
  %ce1 = cross_entropy(%logits, %ids) : f32[]
  %mean = reduce_mean(%m) {axes = [0]} : f32[B]
  return(%e, %g, %cols, %rows, %mid, %sm, %lsm, %ce, %ce1, %mean)
})";

Result<std::unique_ptr<codegen::CompiledFunction>>
compileKeepingIR(const ir::Function &fn) {
  codegen::CompileOptions options;
  options.keepLLVMIR = true;
  return codegen::compile(fn, options);
}

std::vector<Tensor> randomArgs(const ir::Function &fn, const Bindings &bind,
                               unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    args.push_back(randomArg(fn.arg(i)->name(), fn.arg(i)->type(), bind, rng));
  return args;
}

/// Runs `fn` compiled on 1 and on 2 threads: both match the interpreter,
/// and match each other bit for bit.
void checkSplitRuns(const ir::Function &fn, const codegen::CompiledFunction &c,
                    const std::vector<Tensor> &args) {
  auto want = ir::interpret(fn, args);
  ASSERT_TRUE(want) << want.error();
  std::vector<std::vector<Tensor>> got;
  for (unsigned threads : {1u, 2u}) {
    const GlobalPoolSize pool(threads);
    ASSERT_EQ(pool.got(), threads);
    auto r = c.run(args);
    ASSERT_TRUE(r) << r.error();
    ASSERT_EQ(r->size(), want->size());
    // Sums of hundreds of values in [-3, 3] cancel down to ~1: their
    // rounding is relative to the partial sums, not to the result.
    for (size_t k = 0; k < want->size(); ++k)
      EXPECT_TRUE(allClose((*r)[k], (*want)[k], 1e-5, 1e-4))
          << threads << " threads, result " << k;
    got.push_back(std::move(*r));
  }
  for (size_t k = 0; k < got[0].size(); ++k)
    EXPECT_EQ(0, std::memcmp(got[0][k].f32Data(), got[1][k].f32Data(),
                             got[0][k].f32Vec().size() * sizeof(float)))
        << "result " << k << " differs between 1 and 2 threads";
}

TEST(ParallelLowering, LargeTokenOpsAndLossesSplitAndKeepTheirBits) {
  auto module = parseIR(kTokenOps);
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  auto compiled = compileKeepingIR(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  const std::string &ir = (*compiled)->llvmIRBefore();
  // An outlined loop per op: two softmaxes, two cross_entropy, and the
  // reductions (sum by columns, sum of rows, max by outer rows, the mean
  // over T as a column sum).
  auto loops = [&](const std::string &name) {
    return countOf(ir, "define internal void @rnnc.ops." + name);
  };
  EXPECT_EQ(loops("embed("), 1u);
  EXPECT_EQ(loops("embedgrad("), 1u);
  EXPECT_EQ(loops("softmax"), 2u);
  EXPECT_EQ(loops("ce"), 2u);
  EXPECT_EQ(loops("reduce"), 4u);
  EXPECT_EQ(countOf(ir, "call void @rnnc_parallel_for("), 10u);
  // T*B = 600 rows: every loop is well above the split threshold.
  checkSplitRuns(fn, **compiled, randomArgs(fn, {{"T", 20}, {"B", 30}}, 7));
}

TEST(ParallelLowering, SmallStaticOpsStayInline) {
  auto module = parseIR(R"(
func @small(%table: f32[5,3], %ids: i32[4], %logits: f32[4,5]) -> (f32[4,3], f32[4,5], f32[]) {
  %e = embed(%table, %ids) : f32[4,3]
  %sm = softmax(%logits) {axis = -1} : f32[4,5]
  %ce = cross_entropy(%logits, %ids) : f32[]
  return(%e, %sm, %ce)
})");
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  codegen::CompileOptions options;
  options.optLevel = 0;
  auto ir = codegen::emitLLVMIR(fn, options);
  ASSERT_TRUE(ir) << ir.error();
  EXPECT_EQ(countOf(*ir, "rnnc_parallel_for"), 0u) << *ir;
  checkAgainstInterpreter(fn, {{}});
}

TEST(ParallelLowering, BadIdsAndTargetsAreStillReported) {
  auto module = parseIR(kTokenOps);
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  auto compiled = codegen::compile(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  const GlobalPoolSize pool(2);
  std::vector<Tensor> args = randomArgs(fn, {{"T", 20}, {"B", 30}}, 3);
  // Id 40 at position 517 (of 600): past the first part's rows.
  args[1].i32Vec()[517] = 40;
  auto r = (*compiled)->run(args);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("embed: id 40 is out of range"), std::string::npos)
      << r.error();
}

TEST(ParallelLowering, ABadTargetIsReportedUnlessMaskedOut) {
  auto module = parseIR(R"(
func @loss(%logits: f32[T,B,40], %tgt: i32[T,B], %len: i32[B]) -> (f32[]) {
  %m = length_mask(%len, %logits) : f32[T,B]
  %ce = cross_entropy(%logits, %tgt, %m) : f32[]
  return(%ce)
})");
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  auto compiled = codegen::compile(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  const GlobalPoolSize pool(2);
  const int64_t T = 20, B = 30;
  std::vector<Tensor> args = randomArgs(fn, {{"T", T}, {"B", B}}, 5);
  std::vector<int32_t> &len = args[2].i32Vec();
  std::fill(len.begin(), len.end(), static_cast<int32_t>(T));
  len[B - 1] = 10;
  // Padding (t = 19 of the last row) may hold anything.
  args[1].i32Vec()[19 * B + B - 1] = -5;
  auto padded = (*compiled)->run(args);
  ASSERT_TRUE(padded) << padded.error();
  auto want = ir::interpret(fn, args);
  ASSERT_TRUE(want) << want.error();
  EXPECT_TRUE(allClose((*padded)[0], (*want)[0], 1e-6, 1e-6));
  // A real position may not.
  args[1].i32Vec()[18 * B + 3] = 41;
  auto bad = (*compiled)->run(args);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("cross_entropy: target 41 is out of range for "
                             "V = 40 classes"),
            std::string::npos)
      << bad.error();
}

TEST(ParallelLowering, LoopsInsideARowSplitScanPart) {
  // B = 64 rows split across two threads; each part's softmax and row sum
  // over [rows, 512] is an outlined loop nested in the part's function.
  auto module = parseIR(R"(
func @attend(%xs: f32[T,B,512], %h0: f32[B,512]) -> (f32[T,B,512], f32[B,512]) {
  %ys, %hT = scan(%xs, %h0) {num_capture = 0, num_carry = 1, num_seq = 1} : f32[T,B,512], f32[B,512] {
  ^body(%x: f32[B,512], %h: f32[B,512]):
    %a = add(%x, %h) : f32[B,512]
    %p = softmax(%a) {axis = -1} : f32[B,512]
    %s = reduce_sum(%p) {axes = [1]} : f32[B]
    %s2 = reshape(%s) {shape = [0, 1]} : f32[B,1]
    %n = mul(%p, %s2) : f32[B,512]
    %t = tanh(%n) : f32[B,512]
    yield(%t, %t)
  }
  return(%ys, %hT)
})");
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  auto compiled = compileKeepingIR(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  const std::string &ir = (*compiled)->llvmIRBefore();
  EXPECT_EQ(countOf(ir, "call void @rnnc_scan_rows("), 1u);
  EXPECT_GE(countOf(ir, "define internal void @rnnc.attend.rows.softmax"), 1u);
  checkSplitRuns(fn, **compiled, randomArgs(fn, {{"T", 3}, {"B", 64}}, 11));
}

} // namespace
