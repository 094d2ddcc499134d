//===- tests/unit/PassSoundnessTest.cpp - Passes keep what IR computes ----===//
//
// Runs functions on the reference interpreter before and after each pass (and
// the whole pipeline) on pseudo-random inputs and compares the results. Folds
// compute as the interpreter does, so results must be equal, not just close
// (NaN counts as equal to NaN; -0 equals 0, since canonicalize does not keep
// signed zeros). Two sources of functions: hand-written IR with work for
// every pass, and randomly generated elementwise programs full of
// identities, constants and duplicates.
//
//===----------------------------------------------------------------------===//
#include "PassTestUtils.h"

#include "ir/Interpreter.h"
#include "ir/Parser.h"
#include "ir/Printer.h"

#include <cmath>
#include <map>
#include <random>

using namespace rnnc;
using namespace rnnc::passtest;

namespace {

using Vals = std::vector<Value *>;

// sink-slices is exact too (each element is the same operation on the same
// inputs), alone and after gate-fusion, which makes what it splits.
const char *const kPipelines[] = {"canonicalize",
                                  "cse",
                                  "dce",
                                  "canonicalize,cse,dce",
                                  "sink-slices,dce",
                                  "gate-fusion,sink-slices,dce"};

/// Pseudo-random arguments for `fn`: symbolic dims from `sizes`; f32 uniform
/// in [-2, 2]; i32 uniform in [0, maxInt].
std::vector<Tensor> randomArgs(const Function &fn,
                               const std::map<std::string, int64_t> &sizes,
                               int32_t maxInt, std::mt19937 &rng) {
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    const TensorType &t = fn.arg(i)->type();
    std::vector<int64_t> shape;
    for (const Dim &d : t.dims())
      shape.push_back(d.isStatic() ? d.size : sizes.at(d.sym));
    Tensor x(t.dtype(), shape);
    std::uniform_real_distribution<float> real(-2.0f, 2.0f);
    std::uniform_int_distribution<int32_t> integer(0, maxInt);
    for (float &v : x.f32Vec())
      v = real(rng);
    for (int32_t &v : x.i32Vec())
      v = integer(rng);
    args.push_back(std::move(x));
  }
  return args;
}

void expectSameResults(const std::vector<Tensor> &want,
                       const std::vector<Tensor> &got,
                       const std::string &context) {
  ASSERT_EQ(want.size(), got.size()) << context;
  for (size_t r = 0; r < want.size(); ++r) {
    ASSERT_EQ(want[r].typeString(), got[r].typeString()) << context;
    for (int64_t k = 0; k < want[r].numElements(); ++k) {
      double a = want[r].at(k), b = got[r].at(k);
      if (std::isnan(a) && std::isnan(b))
        continue;
      ASSERT_EQ(a, b) << context << ": result " << r << " element " << k;
    }
  }
}

std::unique_ptr<Module> parse(const std::string &text) {
  Diagnostics diags;
  auto module = parseModule(text, "soundness.ir", diags);
  EXPECT_NE(module, nullptr) << diags.str();
  return module;
}

/// Interprets function `fnName` of `text` before and after every pipeline on
/// `seeds` random inputs.
void checkSoundness(const std::string &text, const std::string &fnName,
                    const std::map<std::string, int64_t> &sizes, int32_t maxInt,
                    int seeds = 3) {
  for (const char *pipeline : kPipelines) {
    auto original = parse(text);
    auto optimized = parse(text);
    ASSERT_TRUE(original && optimized);
    Status s = runPipeline(*optimized, pipeline);
    ASSERT_TRUE(s) << pipeline << ": " << s.error();
    const Function *before = original->lookup(fnName);
    const Function *after = optimized->lookup(fnName);
    ASSERT_TRUE(before && after);
    for (int seed = 0; seed < seeds; ++seed) {
      std::mt19937 rng(seed);
      std::vector<Tensor> args = randomArgs(*before, sizes, maxInt, rng);
      auto want = interpret(*before, args);
      ASSERT_TRUE(want) << want.error();
      auto got = interpret(*after, args);
      ASSERT_TRUE(got) << pipeline << ": " << got.error() << "\n"
                       << toString(*after);
      expectSameResults(*want, *got,
                        std::string(pipeline) + " on @" + fnName + " seed " +
                            std::to_string(seed) + "\n" + toString(*after));
    }
  }
}

// A GRU-style cell with split gates, a constant select, slices and concats,
// duplicated work, and dead carries, outputs and captures.
const char *const kGru = R"(
func @gru(%xs: f32[T,B,3], %h0: f32[B,4], %n0: f32[B,4], %W: f32[12,3], %U: f32[12,4], %b: f32[12], %dead: f32[4,4], %len: i32[B]) -> (f32[T,B,4], f32[B,4]) {
  %hs, %junk, %hT, %nT = scan(%xs, %h0, %n0, %W, %U, %b, %dead, %len) {has_lengths = true, num_capture = 4, num_carry = 2, num_seq = 1} : f32[T,B,4], f32[T,B,4], f32[B,4], f32[B,4] {
  ^body(%x: f32[B,3], %h: f32[B,4], %n: f32[B,4], %w: f32[12,3], %u: f32[12,4], %bb: f32[12], %dd: f32[4,4]):
    %gx = matmul(%x, %w) {transpose_b = true} : f32[B,12]
    %gh = matmul(%h, %u) {transpose_b = true} : f32[B,12]
    %gh2 = matmul(%h, %u) {transpose_b = true} : f32[B,12]
    %one = constant() {value = 1.0} : f32[]
    %zero = constant() {value = 0.0} : f32[12]
    %gxb = add(%gx, %bb) : f32[B,12]
    %gxb0 = add(%gxb, %zero) : f32[B,12]
    %rx, %zx, %nx = split(%gxb0) {axis = 1, parts = 3} : f32[B,4], f32[B,4], f32[B,4]
    %rh, %zh, %nh = split(%gh) {axis = 1, parts = 3} : f32[B,4], f32[B,4], f32[B,4]
    %rh2, %zh2, %nh2 = split(%gh2) {axis = 1, parts = 3} : f32[B,4], f32[B,4], f32[B,4]
    %r = sigmoid(%rx) : f32[B,4]
    %ra = add(%rx, %rh) : f32[B,4]
    %rg = sigmoid(%ra) : f32[B,4]
    %za = add(%zh2, %zx) : f32[B,4]
    %zg = sigmoid(%za) : f32[B,4]
    %rn = mul(%rg, %nh) : f32[B,4]
    %na = add(%nx, %rn) : f32[B,4]
    %ng = tanh(%na) : f32[B,4]
    %omz = sub(%one, %zg) : f32[B,4]
    %t1 = mul(%omz, %ng) : f32[B,4]
    %t2 = mul(%zg, %h) : f32[B,4]
    %hn0 = add(%t1, %t2) : f32[B,4]
    %on = constant() {value = 1.0} : f32[]
    %hn1 = select(%on, %hn0, %r) : f32[B,4]
    %cat = concat(%hn1) {axis = 1} : f32[B,4]
    %hn = slice(%cat) {axis = 1, size = 4, start = 0} : f32[B,4]
    %nn = add(%n, %one) : f32[B,4]
    %jj = matmul(%h, %dd) : f32[B,4]
    yield(%hn, %nn, %hn, %jj)
  }
  return(%hs, %hT)
}
)";

TEST(PassSoundness, GruCell) {
  checkSoundness(kGru, "gru", {{"B", 3}, {"T", 5}}, /*maxInt=*/5);
}

// Constant-heavy straight-line code: folds of every unary and binary op, on
// splats and dense constants, with broadcasting and shape ops.
const char *const kConstants = R"(
func @consts(%x: f32[B,3]) -> (f32[B,3], f32[3,B], f32[2,3]) {
  %d = constant() {values = dense<[0.25, -1.5, 3.0]>} : f32[3]
  %c = constant() {values = dense<[2.0, -0.5]>} : f32[2,1]
  %s = constant() {value = 0.75} : f32[]
  %e = exp(%d) : f32[3]
  %l = log(%e) : f32[3]
  %q = sqrt(%e) : f32[3]
  %t = tanh(%d) : f32[3]
  %g = sigmoid(%d) : f32[3]
  %r = relu(%d) : f32[3]
  %n = neg(%d) : f32[3]
  %mx = max(%d, %s) : f32[3]
  %mn = min(%n, %s) : f32[3]
  %a = add(%l, %q) : f32[3]
  %b = sub(%t, %g) : f32[3]
  %m = mul(%r, %mx) : f32[3]
  %v = div(%mn, %a) : f32[3]
  %w = add(%b, %m) : f32[3]
  %z = add(%w, %v) : f32[3]
  %y = mul(%x, %z) : f32[B,3]
  %ty = transpose(%y) {perm = [1, 0]} : f32[3,B]
  %outer = mul(%c, %z) : f32[2,3]
  %ro = reshape(%outer) {shape = [6]} : f32[6]
  %ro2 = reshape(%ro) {shape = [2, 3]} : f32[2,3]
  return(%y, %ty, %ro2)
}
)";

TEST(PassSoundness, ConstantFolding) {
  checkSoundness(kConstants, "consts", {{"B", 4}}, 0);
  // The folding really happened: one dense constant feeds the multiply.
  auto module = parse(kConstants);
  ASSERT_TRUE(runPipeline(*module, "canonicalize"));
  Function *fn = module->lookup("consts");
  EXPECT_EQ(countOps(fn->body(), OpKind::Exp), 0u);
  EXPECT_EQ(countOps(fn->body(), OpKind::Div), 0u);
  EXPECT_EQ(countOps(fn->body(), OpKind::Constant), 2u) << toString(*fn);
}

/// Builds a random elementwise program over x: f32[B,4] and y: f32[4], with
/// constants 0, -0, 1, 2, 0.5 and a dense [4]; operands are picked from
/// earlier values, often the same ones twice, so there are identities,
/// foldable constant subexpressions and duplicates for every pass.
void buildRandomProgram(TestModule &tm, unsigned seed) {
  std::mt19937 rng(seed);
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Value *y = tm.fn->addArg(f32({N(4)}), "y");
  Builder b = tm.builder();
  std::vector<Value *> pool{x, y};
  for (double c : {0.0, -0.0, 1.0, 2.0, 0.5})
    pool.push_back(b.constant(f32({}), c));
  pool.push_back(b.constant(f32({N(4)}), 0.0));
  pool.push_back(b.constantDense(f32({N(4)}), {1.0, -2.0, 0.0, 3.0}));
  const OpKind binaries[] = {OpKind::Add, OpKind::Sub, OpKind::Mul,
                             OpKind::Div, OpKind::Max, OpKind::Min};
  const OpKind unaries[] = {OpKind::Neg,  OpKind::Tanh, OpKind::Sigmoid,
                            OpKind::Relu, OpKind::Exp,  OpKind::Sqrt};
  const size_t numLeaves = pool.size();
  auto pick = [&]() -> Value * {
    // Often a constant or an argument (identities and folds), else mostly a
    // recent value, so chains form.
    size_t n = pool.size();
    std::uniform_int_distribution<size_t> leaf(0, numLeaves - 1);
    std::uniform_int_distribution<size_t> recent(n > 6 ? n - 6 : 0, n - 1);
    std::uniform_int_distribution<size_t> any(0, n - 1);
    switch (rng() % 4) {
    case 0:
      return pool[leaf(rng)];
    case 1:
      return pool[any(rng)];
    default:
      return pool[recent(rng)];
    }
  };
  for (int i = 0; i < 24; ++i) {
    Value *v = nullptr;
    switch (rng() % 8) {
    case 0:
    case 1:
      v = b.unary(unaries[rng() % 6], pick());
      break;
    case 2: { // a shape no-op or a transpose pair on a [B,4] value
      Value *a = pick();
      if (a->type().rank() == 2)
        v = b.transpose(b.transpose(a, {1, 0}), {1, 0});
      else
        v = b.reshape(a, std::vector<int64_t>(a->type().rank(), 0));
      break;
    }
    default: {
      Value *a = pick();
      Value *c = rng() % 4 == 0 ? a : pick();
      v = b.binary(binaries[rng() % 6], a, c);
      break;
    }
    }
    ASSERT_NE(v, nullptr) << b.firstError();
    pool.push_back(v);
    if (rng() % 5 == 0) // a duplicate of the op just built
      pool.push_back(b.createUnchecked(v->definingOp()->kind(),
                                       v->definingOp()->operands(), {v->type()},
                                       v->definingOp()->attrs())
                         ->result(0));
  }
  // Return about half of the computed values, broadcast to [B,4] so every
  // result has one type whatever got picked (the other half is dead code).
  Value *zeroB = b.constant(f32({B(), N(4)}), 0.0);
  std::vector<Value *> results;
  for (size_t k = numLeaves; k < pool.size(); ++k)
    if (rng() % 2 || k + 1 == pool.size())
      results.push_back(b.add(pool[k], zeroB));
  b.ret(results);
  ASSERT_FALSE(b.failed()) << b.firstError();
}

TEST(PassSoundness, RandomElementwisePrograms) {
  unsigned changedSomething = 0;
  for (unsigned seed = 0; seed < 60; ++seed) {
    for (const char *pipeline : kPipelines) {
      TestModule original, optimized;
      buildRandomProgram(original, seed);
      buildRandomProgram(optimized, seed);
      unsigned opsBefore = 0, opsAfter = 0;
      original.fn->walk([&](Operation *) { ++opsBefore; });
      Status s = runPipeline(optimized.module, pipeline);
      ASSERT_TRUE(s) << s.error();
      optimized.fn->walk([&](Operation *) { ++opsAfter; });
      changedSomething += opsAfter < opsBefore;
      for (int input = 0; input < 2; ++input) {
        std::mt19937 rng(seed * 7 + input);
        auto args = randomArgs(*original.fn, {{"B", 2}}, 0, rng);
        auto want = interpret(*original.fn, args);
        ASSERT_TRUE(want) << want.error();
        auto got = interpret(*optimized.fn, args);
        ASSERT_TRUE(got) << got.error();
        expectSameResults(*want, *got,
                          std::string(pipeline) + ", program seed " +
                              std::to_string(seed) + "\n" +
                              toString(*original.fn) + "\nbecame\n" +
                              toString(*optimized.fn));
      }
    }
  }
  // Guard against a generator that gives the passes nothing to do.
  EXPECT_GT(changedSomething, 150u);
}

/// Builds a random scan: 1-2 sequences, 1-4 carries, 0-3 captures, maybe
/// lengths and reverse; a body of random elementwise ops over its arguments
/// whose yield picks random values; and a function returning a random subset
/// of the scan's results. So carries feed each other, outputs or nothing in
/// every combination, which is what dce's carry liveness must get right.
void buildRandomScan(TestModule &tm, unsigned seed) {
  std::mt19937 rng(seed);
  auto below = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  unsigned numSeq = 1 + below(2), numCarry = 1 + below(4),
           numCapture = below(4), numOut = below(3);
  bool withLengths = below(2), reverse = below(2);
  std::vector<Value *> seqs, inits, captures;
  for (unsigned i = 0; i < numSeq; ++i)
    seqs.push_back(tm.fn->addArg(f32({T(), B(), N(4)})));
  for (unsigned i = 0; i < numCarry; ++i)
    inits.push_back(tm.fn->addArg(f32({B(), N(4)})));
  for (unsigned i = 0; i < numCapture; ++i)
    captures.push_back(
        tm.fn->addArg(below(2) ? f32({N(4)}) : f32({B(), N(4)})));
  Value *lengths =
      withLengths ? tm.fn->addArg(TensorType::i32({B()}), "len") : nullptr;
  Builder b = tm.builder();
  Operation *scan =
      b.scan(seqs, inits, captures, lengths, reverse,
             [&](Builder &in, const Vals &x, const Vals &c, const Vals &cap) {
               std::vector<Value *> full(x); // values of type [B,4]
               full.insert(full.end(), c.begin(), c.end());
               std::vector<Value *> any(full);
               any.insert(any.end(), cap.begin(), cap.end());
               const OpKind binaries[] = {OpKind::Add, OpKind::Sub, OpKind::Mul,
                                          OpKind::Max};
               for (unsigned i = 0, n = 2 + below(8); i < n; ++i) {
                 Value *a = full[below(full.size())];
                 Value *v = below(3) == 0 ? in.tanh(a)
                                          : in.binary(binaries[below(4)], a,
                                                      any[below(any.size())]);
                 full.push_back(v);
                 any.push_back(v);
               }
               Builder::ScanBodyResult r;
               for (unsigned i = 0; i < numCarry; ++i)
                 r.nextCarries.push_back(full[below(full.size())]);
               for (unsigned i = 0; i < numOut; ++i)
                 r.outputs.push_back(full[below(full.size())]);
               return r;
             });
  ASSERT_NE(scan, nullptr) << b.firstError();
  std::vector<Value *> results;
  for (Value *r : scan->results())
    if (below(2))
      results.push_back(r);
  if (results.empty())
    results.push_back(scan->result(below(scan->numResults())));
  b.ret(results);
  ASSERT_FALSE(b.failed()) << b.firstError();
}

TEST(PassSoundness, RandomScans) {
  unsigned shrunk = 0;
  for (unsigned seed = 0; seed < 150; ++seed) {
    for (const char *pipeline : {"dce", "canonicalize,cse,dce"}) {
      TestModule original, optimized;
      buildRandomScan(original, seed);
      buildRandomScan(optimized, seed);
      Status s = runPipeline(optimized.module, pipeline);
      ASSERT_TRUE(s) << s.error() << "\n" << toString(*original.fn);
      Operation *scan = firstOp(optimized.fn->body(), OpKind::Scan);
      if (scan) {
        expectScanConsistent(*scan);
        Operation *before = firstOp(original.fn->body(), OpKind::Scan);
        shrunk += scan->numOperands() < before->numOperands();
      }
      std::mt19937 rng(seed);
      auto args = randomArgs(*original.fn, {{"B", 2}, {"T", 3}}, 3, rng);
      auto want = interpret(*original.fn, args);
      ASSERT_TRUE(want) << want.error();
      auto got = interpret(*optimized.fn, args);
      ASSERT_TRUE(got) << got.error();
      expectSameResults(
          *want, *got,
          std::string(pipeline) + ", scan seed " + std::to_string(seed) + "\n" +
              toString(*original.fn) + "\nbecame\n" + toString(*optimized.fn));
    }
  }
  // Guard against a generator that gives dce nothing to remove.
  EXPECT_GT(shrunk, 100u);
}

} // namespace
