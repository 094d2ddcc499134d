//===- tests/unit/CodegenTest.cpp - JIT-compiled ops vs the interpreter ---===//
//
// Every op, JIT-compiled and run on random inputs, against the reference
// interpreter (ir::interpret) over several bindings of the symbolic dims:
// B = 1, T = 1, odd feature sizes (7, 13), and lengths with padding.
//
// Tolerances: the interpreter computes in double and rounds once; compiled
// code computes in float. Elementwise ops are within a few ulps (the
// polynomial exp/log/tanh/sigmoid measure below 1.5e-7 relative error, see
// MathApproxTest), so they use rtol 1e-5. Sums (matmul, reductions,
// softmax, losses) round at every term and may be reassociated, giving errors
// around K * 2^-24 relative to the sum of |terms|; with K <= 13 and inputs in
// [-3, 3], rtol 1e-4 + atol 1e-5 bounds them. Scans feed each step's rounding
// into the next (contractive through tanh/sigmoid), and use the same bound.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "GlobalPoolSize.h"

#include "codegen/Target.h"
#include "ir/Builder.h"

#include "llvm/Support/CommandLine.h"

using namespace rnnc;
using namespace rnnc::test;

namespace {

const std::vector<Bindings> kBatchShapes = {
    {{"B", 1}}, {{"B", 3}}, {{"B", 8}}, {{"B", 13}}};
const std::vector<Bindings> kSeqShapes = {{{"T", 1}, {"B", 1}, {"V", 11}},
                                          {{"T", 5}, {"B", 3}, {"V", 11}},
                                          {{"T", 7}, {"B", 4}, {"V", 11}},
                                          {{"T", 2}, {"B", 9}, {"V", 11}},
                                          // Enough steps and rows that a
                                          // scan packs its captured weights
                                          // (runtime/PackedMatMul.cpp).
                                          {{"T", 12}, {"B", 5}, {"V", 11}}};
const Tolerance kSums{1e-4, 1e-5};

TEST(CodegenTest, UnaryOps) {
  checkIR(R"(
func @unary(%x: f32[B,7], %pos: f32[B,7]) -> (f32[B,7], f32[B,7], f32[B,7], f32[B,7], f32[B,7], f32[B,7], f32[B,7]) {
  %n = neg(%x) : f32[B,7]
  %e = exp(%x) : f32[B,7]
  %t = tanh(%x) : f32[B,7]
  %s = sigmoid(%x) : f32[B,7]
  %r = relu(%x) : f32[B,7]
  %l = log(%pos) : f32[B,7]
  %q = sqrt(%pos) : f32[B,7]
  return(%n, %e, %t, %s, %r, %l, %q)
})",
          kBatchShapes);
}

TEST(CodegenTest, BinaryOpsBroadcast) {
  checkIR(R"(
func @binary(%x: f32[B,7], %y: f32[7], %c: f32[B,1], %s: f32[], %pos: f32[B,7]) -> (f32[B,7], f32[B,7], f32[B,7], f32[B,7], f32[B,7], f32[B,7], f32[B,7], f32[]) {
  %a = add(%x, %y) : f32[B,7]
  %b = sub(%c, %x) : f32[B,7]
  %m = mul(%c, %y) : f32[B,7]
  %d = div(%x, %pos) : f32[B,7]
  %hi = max(%x, %y) : f32[B,7]
  %lo = min(%c, %x) : f32[B,7]
  %sc = mul(%s, %x) : f32[B,7]
  %ss = add(%s, %s) : f32[]
  return(%a, %b, %m, %d, %hi, %lo, %sc, %ss)
})",
          kBatchShapes);
}

TEST(CodegenTest, Rank3BroadcastAndSelect) {
  checkIR(R"(
func @bcast(%z: f32[T,1,13], %w: f32[B,13], %cond: f32[T,B,1], %u: f32[T,B,13]) -> (f32[T,B,13], f32[T,B,13]) {
  %a = add(%z, %w) : f32[T,B,13]
  %s = select(%cond, %a, %u) : f32[T,B,13]
  return(%a, %s)
})",
          kSeqShapes);
}

TEST(CodegenTest, ConstantsAndCast) {
  checkIR(R"(
func @consts(%x: f32[B,3], %i: i32[B,3]) -> (f32[B,3], f32[B,3], i32[B,3], i32[B,3], f32[B,3], i32[2]) {
  %k = constant() {value = 2.5} : f32[B,3]
  %d = constant() {values = dense<[1.0, -2.0, 0.5]>} : f32[3]
  %a = add(%x, %k) : f32[B,3]
  %b = mul(%a, %d) : f32[B,3]
  %ci = constant() {value = 7.0} : i32[B,3]
  %xi = cast(%x) {to = "i32"} : i32[B,3]
  %if = cast(%i) {to = "f32"} : f32[B,3]
  %di = constant() {values = dense<[3.0, -4.0]>} : i32[2]
  return(%a, %b, %ci, %xi, %if, %di)
})",
          kBatchShapes);
}

TEST(CodegenTest, MatMulLayouts) {
  checkIR(R"(
func @mm(%x: f32[B,13], %W: f32[7,13], %V: f32[13,5], %xs: f32[T,B,13], %a: f32[13,5], %c: f32[13,B], %bt: f32[T,3,4], %bb: f32[T,4,5]) -> (f32[B,7], f32[B,5], f32[T,B,7], f32[5,B], f32[B,5], f32[T,3,5], f32[T,B,5]) {
  %p = matmul(%x, %W) {transpose_b = true} : f32[B,7]
  %q = matmul(%x, %V) : f32[B,5]
  %r = matmul(%xs, %W) {transpose_b = true} : f32[T,B,7]
  %s = matmul(%a, %c) {transpose_a = true} : f32[5,B]
  %u = matmul(%c, %V) {transpose_a = true} : f32[B,5]
  %v = matmul(%bt, %bb) : f32[T,3,5]
  %w = matmul(%xs, %V) : f32[T,B,5]
  return(%p, %q, %r, %s, %u, %v, %w)
})",
          kSeqShapes, kSums);
  checkIR(R"(
func @mmtt(%a: f32[7,B], %b: f32[5,7]) -> (f32[B,5]) {
  %p = matmul(%a, %b) {transpose_a = true, transpose_b = true} : f32[B,5]
  return(%p)
})",
          kBatchShapes, kSums);
}

TEST(CodegenTest, ShapeOps) {
  checkIR(R"(
func @shapes(%x: f32[B,6], %y: f32[B,7], %tok: i32[B,4], %s: f32[T,B,5], %s4: f32[T,2,B,5]) -> (f32[B,13], f32[B,3], f32[B,3], f32[B,2], f32[B,2,3], f32[6,B], i32[B,8], f32[B,T,5], f32[T,4,B,5], f32[5,T,B], i32[B,2], f32[T,B,2,5]) {
  %cat = concat(%x, %y) {axis = 1} : f32[B,13]
  %p0, %p1 = split(%x) {axis = -1, parts = 2} : f32[B,3], f32[B,3]
  %sl = slice(%x) {axis = 1, start = 4, size = 2} : f32[B,2]
  %rs = reshape(%x) {shape = [0, 2, -1]} : f32[B,2,3]
  %tr = transpose(%x) {perm = [1, 0]} : f32[6,B]
  %ci = concat(%tok, %tok) {axis = 1} : i32[B,8]
  %t3 = transpose(%s) {perm = [1, 0, 2]} : f32[B,T,5]
  %c4 = concat(%s4, %s4) {axis = 1} : f32[T,4,B,5]
  %t4 = transpose(%s) {perm = [2, 0, 1]} : f32[5,T,B]
  %si = slice(%tok) {axis = 1, start = 1, size = 2} : i32[B,2]
  %t5 = transpose(%s4) {perm = [0, 2, 1, 3]} : f32[T,B,2,5]
  return(%cat, %p0, %p1, %sl, %rs, %tr, %ci, %t3, %c4, %t4, %si, %t5)
})",
          kSeqShapes);
}

TEST(CodegenTest, Reductions) {
  checkIR(R"(
func @reduce(%x: f32[B,7,3], %s: f32[T,B,13]) -> (f32[B,3], f32[7], f32[B,7,1], f32[], f32[B,7,3], f32[T,B], f32[B], f32[T,1,13]) {
  %a = reduce_sum(%x) {axes = [1]} : f32[B,3]
  %b = reduce_mean(%x) {axes = [0, 2]} : f32[7]
  %c = reduce_max(%x) {axes = [2], keepdims = true} : f32[B,7,1]
  %d = reduce_sum(%x) {axes = [0, 1, 2]} : f32[]
  %e = reduce_sum(%x) {axes = []} : f32[B,7,3]
  %f = reduce_mean(%s) {axes = [-1]} : f32[T,B]
  %g = reduce_max(%s) {axes = [0, 2]} : f32[B]
  %h = reduce_max(%s) {axes = [1], keepdims = true} : f32[T,1,13]
  return(%a, %b, %c, %d, %e, %f, %g, %h)
})",
          kSeqShapes, kSums);
}

TEST(CodegenTest, Softmax) {
  checkIR(R"(
func @softmax(%x: f32[B,13], %s: f32[T,B,5]) -> (f32[B,13], f32[B,13], f32[T,B,5], f32[T,B,5], f32[T,B,5]) {
  %a = softmax(%x) {axis = -1} : f32[B,13]
  %b = log_softmax(%x) {axis = 1} : f32[B,13]
  %c = softmax(%s) {axis = 0} : f32[T,B,5]
  %d = log_softmax(%s) {axis = 1} : f32[T,B,5]
  %e = softmax(%s) : f32[T,B,5]
  return(%a, %b, %c, %d, %e)
})",
          kSeqShapes, kSums);
}

TEST(CodegenTest, TokensAndMasks) {
  checkIR(R"(
func @tokens(%table: f32[11,7], %ids: i32[T,B], %len: i32[B], %x: f32[T,B,7]) -> (f32[T,B,7], f32[T,B,11], f32[T,B], f32[T,B,4]) {
  %e = embed(%table, %ids) : f32[T,B,7]
  %o = one_hot(%ids) {depth = 11} : f32[T,B,11]
  %m = length_mask(%len, %x) : f32[T,B]
  %short = one_hot(%ids) {depth = 4} : f32[T,B,4]
  return(%e, %o, %m, %short)
})",
          kSeqShapes);
}

TEST(CodegenTest, Losses) {
  checkIR(R"(
func @losses(%logits: f32[T,B,11], %tgt: i32[T,B], %len: i32[B], %pred: f32[T,B,3], %y: f32[T,B,3]) -> (f32[], f32[], f32[], f32[], f32[]) {
  %m = length_mask(%len, %logits) : f32[T,B]
  %ce = cross_entropy(%logits, %tgt) : f32[]
  %cem = cross_entropy(%logits, %tgt, %m) : f32[]
  %ms = mse(%pred, %y) : f32[]
  %msm = mse(%pred, %y, %m) : f32[]
  %zero = constant() {value = 0.0} : f32[T,B]
  %cez = cross_entropy(%logits, %tgt, %zero) : f32[]
  return(%ce, %cem, %ms, %msm, %cez)
})",
          kSeqShapes, kSums);
}

//===--- Scans ------------------------------------------------------------===//

const char *kElman = R"(
func @elman(%xs: f32[T,B,7], %h0: f32[B,13], %W: f32[13,7], %U: f32[13,13], %bias: f32[13], %len: i32[B]) -> (f32[T,B,13], f32[B,13], f32[T,B,13], f32[B,13], f32[T,B,13], f32[B,13]) {
  %ys, %hT = scan(%xs, %h0, %W, %U, %bias) {num_seq = 1, num_carry = 1, num_capture = 3} : f32[T,B,13], f32[B,13] {
  ^body(%x: f32[B,7], %h: f32[B,13], %w: f32[13,7], %u: f32[13,13], %b: f32[13]):
    %1 = matmul(%x, %w) {transpose_b = true} : f32[B,13]
    %2 = matmul(%h, %u) {transpose_b = true} : f32[B,13]
    %3 = add(%1, %2) : f32[B,13]
    %4 = add(%3, %b) : f32[B,13]
    %hn = tanh(%4) : f32[B,13]
    yield(%hn, %hn)
  }
  %rs, %rT = scan(%xs, %h0, %W, %U, %bias, %len) {num_seq = 1, num_carry = 1, num_capture = 3, has_lengths = true, reverse = true} : f32[T,B,13], f32[B,13] {
  ^body(%x: f32[B,7], %h: f32[B,13], %w: f32[13,7], %u: f32[13,13], %b: f32[13]):
    %1 = matmul(%x, %w) {transpose_b = true} : f32[B,13]
    %2 = matmul(%h, %u) {transpose_b = true} : f32[B,13]
    %3 = add(%1, %2) : f32[B,13]
    %4 = add(%3, %b) : f32[B,13]
    %hn = tanh(%4) : f32[B,13]
    yield(%hn, %hn)
  }
  %fs, %fT = scan(%xs, %h0, %W, %U, %bias, %len) {num_seq = 1, num_carry = 1, num_capture = 3, has_lengths = true} : f32[T,B,13], f32[B,13] {
  ^body(%x: f32[B,7], %h: f32[B,13], %w: f32[13,7], %u: f32[13,13], %b: f32[13]):
    %1 = matmul(%x, %w) {transpose_b = true} : f32[B,13]
    %2 = matmul(%h, %u) {transpose_b = true} : f32[B,13]
    %3 = add(%1, %2) : f32[B,13]
    %4 = add(%3, %b) : f32[B,13]
    %hn = sigmoid(%4) : f32[B,13]
    yield(%hn, %h)
  }
  return(%ys, %hT, %rs, %rT, %fs, %fT)
})";

TEST(CodegenTest, ElmanScanForwardReverseLengths) {
  checkIR(kElman, kSeqShapes, kSums);
}

TEST(CodegenTest, ScanCarrySwapAndNesting) {
  // Carries that trade values (a staging copy), a yielded step input, two
  // sequences, and a scan nested in a scan body over a captured sequence.
  checkIR(R"(
func @swap(%xs: f32[T,B,3], %ys: f32[T,B,3], %a0: f32[B,3], %b0: f32[B,3], %inner: f32[T,B,3]) -> (f32[T,B,3], f32[T,B,3], f32[B,3], f32[B,3]) {
  %o1, %o2, %aT, %bT = scan(%xs, %ys, %a0, %b0, %inner) {num_seq = 2, num_carry = 2, num_capture = 1} : f32[T,B,3], f32[T,B,3], f32[B,3], f32[B,3] {
  ^body(%x: f32[B,3], %y: f32[B,3], %a: f32[B,3], %b: f32[B,3], %in: f32[T,B,3]):
    %s = add(%a, %x) : f32[B,3]
    %is, %iT = scan(%in, %s) {num_seq = 1, num_carry = 1, num_capture = 0} : f32[T,B,3], f32[B,3] {
    ^body(%z: f32[B,3], %c: f32[B,3]):
      %m = mul(%z, %c) : f32[B,3]
      %cn = tanh(%m) : f32[B,3]
      yield(%cn, %cn)
    }
    yield(%b, %iT, %y, %a)
  }
  return(%o1, %o2, %aT, %bT)
})",
          kSeqShapes, kSums);
}

/// An LSTM cell over a sequence, built with the Builder the way the frontend
/// lowers it: one matmul per operand, 4 gates from split (PyTorch order
/// i, f, g, o), sigmoid/tanh, with lengths.
std::unique_ptr<ir::Function> buildLstm(int64_t in, int64_t hidden,
                                        bool reverse) {
  using namespace ir;
  auto fn = std::make_unique<Function>("lstm");
  auto S = [](const char *s) { return Dim::symbolic(s); };
  auto N = [](int64_t n) { return Dim::fixed(n); };
  Value *xs = fn->addArg(TensorType::f32({S("T"), S("B"), N(in)}), "xs");
  Value *h0 = fn->addArg(TensorType::f32({S("B"), N(hidden)}), "h0");
  Value *c0 = fn->addArg(TensorType::f32({S("B"), N(hidden)}), "c0");
  Value *wih = fn->addArg(TensorType::f32({N(4 * hidden), N(in)}), "w_ih");
  Value *whh = fn->addArg(TensorType::f32({N(4 * hidden), N(hidden)}), "w_hh");
  Value *bias = fn->addArg(TensorType::f32({N(4 * hidden)}), "bias");
  Value *len = fn->addArg(TensorType::i32({S("B")}), "len");
  Builder b(&fn->body());
  Operation *scan = b.scan(
      {xs}, {h0, c0}, {wih, whh, bias}, len, reverse,
      [](Builder &in, const std::vector<Value *> &x,
         const std::vector<Value *> &carry, const std::vector<Value *> &cap) {
        // In this order (not as two arguments of one call, which C++
        // evaluates in any order): the recurrent product comes last, right
        // before the loop that reads it, as after hoisting.
        Value *xw = in.matmul(x[0], cap[0], false, true);
        Value *hw = in.matmul(carry[0], cap[1], false, true);
        Value *gates = in.add(in.add(xw, hw), cap[2]);
        std::vector<Value *> g = in.split(gates, 1, 4);
        Value *i = in.sigmoid(g[0]), *f = in.sigmoid(g[1]);
        Value *cand = in.tanh(g[2]), *o = in.sigmoid(g[3]);
        Value *c = in.add(in.mul(f, carry[1]), in.mul(i, cand));
        Value *h = in.mul(o, in.tanh(c));
        return Builder::ScanBodyResult{{h, c}, {h}};
      });
  EXPECT_TRUE(scan) << b.firstError();
  if (scan)
    b.ret(scan->results());
  return fn;
}

TEST(CodegenTest, LstmScanMatchesInterpreter) {
  for (bool reverse : {false, true}) {
    auto fn = buildLstm(/*in=*/7, /*hidden=*/13, reverse);
    checkAgainstInterpreter(*fn, kSeqShapes, kSums, reverse ? 3 : 2);
  }
}

TEST(CodegenTest, GateLoopsRunInsideThePackedProduct) {
  // A loop right after a step's packed product that reads it row by row is
  // handed to the product (rnnc_matmul_packed_rows), which runs it on each
  // thread's rows of the batch as soon as they are computed. With 3
  // threads, B = 24 and 17 split the product by rows (3 and 2 parts, at
  // least 8 rows each), B = 5 not at all (the loop runs after it); all
  // against the interpreter. H = 128 makes the step's product (2 * 24 * 512 *
  // 128 FLOPs) large enough to split at all (kSplitFlops, runtime/Gemm.h).
  // Weights scaled by 1/sqrt(fan-in), as a trained LSTM's are: randomArg's
  // U(-3, 3) makes this size chaotic, so that any two summation orders
  // drift apart past kSums within a few steps.
  const GlobalPoolSize threads(3);
  ASSERT_EQ(threads.got(), 3u);
  const int64_t in = 16, hidden = 128;
  std::mt19937 rng(5);
  for (bool reverse : {false, true}) {
    auto fn = buildLstm(in, hidden, reverse);
    auto llvmIR = codegen::emitLLVMIR(*fn);
    ASSERT_TRUE(llvmIR) << llvmIR.error();
    EXPECT_NE(llvmIR->find("call void @rnnc_matmul_packed_rows("),
              std::string::npos);
    auto compiled = codegen::compile(*fn);
    ASSERT_TRUE(compiled) << compiled.error();
    for (int64_t B : {24, 17, 5}) {
      const int64_t T = 9;
      auto uniform = [&](std::vector<int64_t> shape, float scale) {
        Tensor t(DType::F32, std::move(shape));
        std::uniform_real_distribution<float> dist(-scale, scale);
        for (float &v : t.f32Vec())
          v = dist(rng);
        return t;
      };
      const float w = 1.0f / std::sqrt(float(hidden));
      std::vector<Tensor> args = {
          uniform({T, B, in}, 1.0f),        uniform({B, hidden}, 1.0f),
          uniform({B, hidden}, 1.0f),       uniform({4 * hidden, in}, w),
          uniform({4 * hidden, hidden}, w), uniform({4 * hidden}, w)};
      Tensor len(DType::I32, {B});
      std::uniform_int_distribution<int32_t> steps(0, T);
      for (int32_t &v : len.i32Vec())
        v = steps(rng);
      len.i32Vec()[0] = T;
      args.push_back(std::move(len));
      auto want = ir::interpret(*fn, args);
      ASSERT_TRUE(want) << want.error();
      auto got = (*compiled)->run(args);
      ASSERT_TRUE(got) << got.error();
      ASSERT_EQ(got->size(), want->size());
      for (size_t r = 0; r < want->size(); ++r)
        EXPECT_TRUE(allClose((*got)[r], (*want)[r], kSums.rtol, kSums.atol))
            << "B=" << B << (reverse ? " reverse" : "") << ", result " << r;
    }
  }
}

//===--- Errors -----------------------------------------------------------===//

TEST(CodegenTest, RunTimeErrorsAreReturned) {
  auto module = parseIR(R"(
func @embed(%table: f32[4,3], %ids: i32[B]) -> (f32[B,3]) {
  %e = embed(%table, %ids) : f32[B,3]
  return(%e)
}
func @mask(%len: i32[B], %x: f32[T,B]) -> (f32[T,B]) {
  %m = length_mask(%len, %x) : f32[T,B]
  return(%m)
})");
  ASSERT_TRUE(module);
  auto embed = codegen::compile(*module->lookup("embed"));
  ASSERT_TRUE(embed) << embed.error();
  Tensor table(DType::F32, {4, 3});
  auto bad = (*embed)->run({table, Tensor::i32({2}, {1, 4})});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("id 4 is out of range"), std::string::npos)
      << bad.error();
  auto good = (*embed)->run({table, Tensor::i32({2}, {1, 3})});
  EXPECT_TRUE(good) << good.error();
  // Shape mismatches are caught before the call.
  auto shape =
      (*embed)->run({Tensor(DType::F32, {5, 3}), Tensor::i32({1}, {0})});
  ASSERT_FALSE(shape);
  EXPECT_NE(shape.error().find("expected f32[4,3]"), std::string::npos)
      << shape.error();
  EXPECT_FALSE((*embed)->run({table}));

  auto mask = codegen::compile(*module->lookup("mask"));
  ASSERT_TRUE(mask) << mask.error();
  auto len =
      (*mask)->run({Tensor::i32({2}, {1, 3}), Tensor(DType::F32, {2, 2})});
  ASSERT_FALSE(len);
  EXPECT_NE(len.error().find("length 3 is outside [0, T = 2]"),
            std::string::npos)
      << len.error();
}

TEST(CodegenTest, UnboundSymbolIsACompileError) {
  auto module = parseIR(R"(
func @f(%x: f32[3]) -> (f32[K,3]) {
  %k = constant() {value = 1.0} : f32[K,3]
  return(%k)
})");
  if (!module)
    return; // the verifier may already reject this
  auto r = codegen::compile(*module->functions().front());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("symbolic dim K is not bound"), std::string::npos)
      << r.error();
}

TEST(CodegenTest, EmptySequencesAndBatches) {
  checkIR(kElman, {{{"T", 0}, {"B", 2}}, {{"T", 3}, {"B", 0}}}, kSums);
}

/// Whether optimized LLVM IR uses the host's vector width for f32: 8 lanes
/// with AVX2, and 8 or 16 with AVX-512 (LLVM may prefer 256-bit vectors on
/// AVX-512 CPUs to avoid frequency drops). Without AVX2 nothing is required.
static bool hasHostVectorWidth(const std::string &ir) {
  const std::string &features = codegen::hostTarget().features;
  if (features.find("+avx512f") != std::string::npos)
    return ir.find("<8 x float>") != std::string::npos ||
           ir.find("<16 x float>") != std::string::npos;
  if (features.find("+avx2") != std::string::npos)
    return ir.find("<8 x float>") != std::string::npos;
  return true;
}

TEST(CodegenTest, VectorizesForTheHost) {
  // The elementwise loop must come out of O3 vectorized at the host's width
  // (8 x float with AVX2); a missing target-cpu gives 4 x float (SSE2).
  auto module = parseIR(R"(
func @v(%x: f32[B,64], %y: f32[B,64]) -> (f32[B,64]) {
  %t = tanh(%x) : f32[B,64]
  %a = add(%t, %y) : f32[B,64]
  return(%a)
})");
  ASSERT_TRUE(module);
  codegen::CompileOptions options;
  options.keepLLVMIR = true;
  auto r = codegen::compile(*module->functions().front(), options);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(hasHostVectorWidth((*r)->llvmIRAfter()));
  EXPECT_EQ((*r)->llvmIRAfter().find("call float @tanh"), std::string::npos);
}

} // namespace

namespace {

TEST(CodegenTest, InvalidIRIsAnErrorNotACrash) {
  // A matmul given one operand, built without the Builder's checks.
  ir::Function fn("bad");
  ir::Value *x = fn.addArg(ir::TensorType::f32({ir::Dim::fixed(2)}), "x");
  ir::Builder b(&fn.body());
  ir::Operation *op = b.createUnchecked(
      ir::OpKind::MatMul, {x}, {ir::TensorType::f32({ir::Dim::fixed(2)})});
  b.ret({op->result(0)});
  auto r = codegen::compile(fn);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("invalid IR"), std::string::npos) << r.error();
}

} // namespace

namespace {

TEST(CodegenTest, EmitsLLVMIRBeforeAndAfterOptimization) {
  auto module = parseIR(R"(
func @f(%x: f32[B,16]) -> (f32[B,16]) {
  %s = sigmoid(%x) : f32[B,16]
  return(%s)
})");
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->functions().front();
  codegen::CompileOptions raw;
  raw.optLevel = 0;
  auto before = codegen::emitLLVMIR(fn, raw);
  ASSERT_TRUE(before) << before.error();
  EXPECT_NE(before->find("define void @rnnc.f(ptr %args, ptr %syms, ptr "
                         "%results, ptr %ctx)"),
            std::string::npos)
      << *before;
  EXPECT_NE(before->find("\"target-cpu\""), std::string::npos);
  auto after = codegen::emitLLVMIR(fn);
  ASSERT_TRUE(after) << after.error();
  EXPECT_TRUE(hasHostVectorWidth(*after));
}

} // namespace

TEST(CodegenTest, BackendRunsWithoutLoopStrengthReduction) {
  // codegen/Target.cpp turns LLVM's -disable-lsr on with the target (a
  // quarter of the backend's time on the char-LM gradient); compiling
  // anything initializes it.
  codegen::initializeNativeTarget();
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("disable-lsr");
  ASSERT_NE(it, options.end());
  EXPECT_TRUE(static_cast<llvm::cl::opt<bool> *>(it->second)->getValue());
}
