//===- tests/unit/FusionTest.cpp - Elementwise fusion in codegen ----------===//
//
// codegen/FusionPlan.h: which ops share a loop, which slices are read in
// place, and that the fused code computes what the interpreter computes.
// The random tests build graphs of elementwise ops mixing broadcast
// operands, slices (views) along both axes, values read by a non-fusible op
// in the middle of a chain, values returned or yielded, inside and outside
// a scan; each runs fused, unfused, and on the interpreter. A long chain is
// cut into groups of bounded cost, and runs as the interpreter computes.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"
#include "GlobalPoolSize.h"

#include "codegen/FusionPlan.h"
#include "ir/Builder.h"
#include "runtime/KernelABI.h"
#include "runtime/ThreadPool.h"

#include <array>
#include <atomic>
#include <cstring>

using namespace rnnc;
using namespace rnnc::test;

namespace {

using ir::Dim;
using ir::OpKind;

/// One LSTM step on a pre-computed [B, 4H] gate product, as gate fusion
/// leaves it: a bias add, four slices, the gate math.
const char *kLstmStep = R"(
func @step(%x: f32[B,8], %h: f32[B,8], %c: f32[B,8], %W: f32[32,8], %U: f32[32,8], %b: f32[32]) -> (f32[B,8], f32[B,8]) {
  %xw = matmul(%x, %W) {transpose_b = true} : f32[B,32]
  %hu = matmul(%h, %U) {transpose_b = true} : f32[B,32]
  %s = add(%xw, %hu) : f32[B,32]
  %g = add(%s, %b) : f32[B,32]
  %gi = slice(%g) {axis = 1, start = 0, size = 8} : f32[B,8]
  %gf = slice(%g) {axis = 1, start = 8, size = 8} : f32[B,8]
  %gg = slice(%g) {axis = 1, start = 16, size = 8} : f32[B,8]
  %go = slice(%g) {axis = 1, start = 24, size = 8} : f32[B,8]
  %i = sigmoid(%gi) : f32[B,8]
  %f = sigmoid(%gf) : f32[B,8]
  %u = tanh(%gg) : f32[B,8]
  %o = sigmoid(%go) : f32[B,8]
  %fc = mul(%f, %c) : f32[B,8]
  %iu = mul(%i, %u) : f32[B,8]
  %c2 = add(%fc, %iu) : f32[B,8]
  %t = tanh(%c2) : f32[B,8]
  %h2 = mul(%o, %t) : f32[B,8]
  return(%h2, %c2)
}
)";

const ir::Function &onlyFunction(const std::unique_ptr<ir::Module> &m) {
  return *m->functions().front();
}

TEST(Fusion, PlanOfAnLstmStep) {
  auto module = parseIR(kLstmStep);
  ASSERT_TRUE(module);
  const ir::Function &fn = onlyFunction(module);
  codegen::FusionPlan plan = codegen::planFusion(fn.body());
  // Two groups: the [B,32] adds, and the whole [B,8] gate math.
  ASSERT_EQ(plan.groups.size(), 2u);
  EXPECT_EQ(plan.groups[0].ops.size(), 2u);
  EXPECT_EQ(plan.groups[1].ops.size(), 9u);
  EXPECT_EQ(plan.views.size(), 4u);
  // Both are emitted where the first reader outside them is: the slices
  // (a view needs its operand in memory) and the return.
  size_t numOps = fn.body().ops().size();
  EXPECT_EQ(plan.emitBefore[4], std::vector<unsigned>{0});
  EXPECT_EQ(plan.emitBefore[numOps - 1], std::vector<unsigned>{1});

  codegen::FusionPlan off = codegen::planFusion(fn.body(), false);
  EXPECT_EQ(off.groups.size(), 11u);
  EXPECT_TRUE(off.views.empty());
}

/// The number of arena allocations in the lowered (unoptimized) code.
size_t allocations(const ir::Function &fn, bool fuse) {
  codegen::CompileOptions options;
  options.optLevel = 0;
  options.fuseElementwise = fuse;
  auto text = codegen::emitLLVMIR(fn, options);
  EXPECT_TRUE(text) << text.error();
  if (!text)
    return 0;
  // Calls, not the declaration (which has no %ctx).
  size_t count = 0;
  for (size_t at = text->find("@rnnc_alloc(ptr %ctx"); at != std::string::npos;
       at = text->find("@rnnc_alloc(ptr %ctx", at + 1))
    ++count;
  return count;
}

TEST(Fusion, OnlyValuesReadOutsideTheLoopGetMemory) {
  auto module = parseIR(kLstmStep);
  ASSERT_TRUE(module);
  const ir::Function &fn = onlyFunction(module);
  // Fused: the two products and their sum %g; h2 and c2 are the results.
  EXPECT_EQ(allocations(fn, true), 3u);
  // Unfused: every op but the returned two has a buffer.
  EXPECT_EQ(allocations(fn, false), 15u);
  checkAgainstInterpreter(fn, {{{"B", 1}}, {{"B", 3}}, {{"B", 9}}});
}

/// Builds random graphs of elementwise ops over [B, H].
class RandomGraph {
public:
  RandomGraph(ir::Builder &b, std::mt19937 &rng, int64_t h)
      : b(b), rng(rng), h(h) {}

  void add(ir::Value *v) { pool.push_back(v); }

  /// Adds `n` random ops, each reading random values of the pool.
  void grow(int n, ir::Value *matrix) {
    const OpKind unary[] = {OpKind::Tanh, OpKind::Sigmoid, OpKind::Neg,
                            OpKind::Relu};
    const OpKind binary[] = {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Max,
                             OpKind::Min};
    std::uniform_int_distribution<int> what(0, 9);
    for (int k = 0; k < n; ++k) {
      int w = what(rng);
      ir::Value *v = nullptr;
      if (w < 3) {
        v = b.unary(unary[pickIndex(4)], pickFull());
      } else if (w < 8) {
        ir::Value *x = pick(), *y = pickFull();
        if (w % 2)
          std::swap(x, y);
        v = b.binary(binary[pickIndex(5)], x, y);
      } else if (w == 8) {
        v = b.select(pick(), pickFull(), pick());
      } else if (matrix) {
        // A reader outside any group in the middle of the chain: its
        // operand needs memory, the ops after it start a new group.
        ir::Value *x = pickFull();
        v = pickIndex(2) ? b.reduce(OpKind::ReduceSum, x, {1}, true)
                         : b.matmul(x, matrix);
      } else {
        continue;
      }
      ASSERT_TRUE(v) << b.firstError();
      pool.push_back(v);
    }
  }

  /// A few values of the pool (the last one always).
  std::vector<ir::Value *> some() {
    std::vector<ir::Value *> out{pool.back()};
    for (int k = pickIndex(3); k > 0; --k)
      out.push_back(pickFull());
    return out;
  }

  ir::Value *pickFull() {
    for (;;) {
      ir::Value *v = pick();
      const auto &d = v->type().dims();
      if (d.size() == 2 && d[1] == Dim::fixed(h) && !d[0].isStatic())
        return v;
    }
  }
  ir::Value *pick() { return pool[pickIndex(pool.size())]; }

private:
  size_t pickIndex(size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  }
  ir::Builder &b;
  std::mt19937 &rng;
  int64_t h;
  std::vector<ir::Value *> pool;
};

/// Runs fn fused and unfused against the interpreter.
void checkBothWays(const ir::Function &fn, const std::vector<Bindings> &binds,
                   Tolerance tol, unsigned seed) {
  checkAgainstInterpreter(fn, binds, tol, seed);
  codegen::CompileOptions off;
  off.fuseElementwise = false;
  checkAgainstInterpreter(fn, binds, tol, seed, off);
}

TEST(Fusion, RandomGraphsMatchTheInterpreter) {
  std::mt19937 rng(2026);
  for (int trial = 0; trial < 30; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    int64_t h = std::array<int64_t, 3>{5, 8, 13}[trial % 3];
    ir::Function fn("graph" + std::to_string(trial));
    Dim B = Dim::symbolic("B"), H = Dim::fixed(h);
    ir::Value *x = fn.addArg(ir::TensorType::f32({B, H}), "x");
    ir::Value *wide =
        fn.addArg(ir::TensorType::f32({B, Dim::fixed(3 * h)}), "wide");
    ir::Value *bias = fn.addArg(ir::TensorType::f32({H}), "bias");
    ir::Value *col = fn.addArg(ir::TensorType::f32({B, Dim::fixed(1)}), "col");
    ir::Value *W = fn.addArg(ir::TensorType::f32({H, H}), "W");
    ir::Builder b(&fn.body());
    RandomGraph g(b, rng, h);
    g.add(x);
    // Views along the last axis (gate slices) and a split of them...
    g.add(b.slice(wide, 1, h, h));
    for (ir::Value *part : b.split(wide, 1, 3))
      g.add(part);
    g.add(bias);
    g.add(col);
    g.grow(12, W);
    std::vector<ir::Value *> results = g.some();
    results.push_back(x); // an argument returned as is
    b.ret(results);
    ASSERT_TRUE(b.firstError().empty()) << b.firstError();
    checkBothWays(fn, {{{"B", 1}}, {{"B", 5}}, {{"B", 17}}}, {1e-5, 1e-6},
                  trial);
  }
}

TEST(Fusion, ViewsAlongLeadingAndMiddleAxes) {
  // Windows of axis 0 stay contiguous rows; windows of a middle axis break
  // the coalescing of the dim before them.
  checkBothWays(*parseIR(R"(
func @lead(%t: f32[4,B,6], %m: f32[B,4,6], %r: f32[B,6], %b: f32[6]) -> (f32[2,B,6], f32[B,2,6]) {
  %s1 = slice(%t) {axis = 0, start = 1, size = 2} : f32[2,B,6]
  %s2 = slice(%t) {axis = 0, start = 2, size = 2} : f32[2,B,6]
  %p = mul(%s1, %s2) : f32[2,B,6]
  %q = add(%p, %r) : f32[2,B,6]
  %m1 = slice(%m) {axis = 1, start = 1, size = 2} : f32[B,2,6]
  %m2 = slice(%m) {axis = 1, start = 0, size = 2} : f32[B,2,6]
  %u = sub(%m1, %m2) : f32[B,2,6]
  %v = add(%u, %b) : f32[B,2,6]
  %w = tanh(%v) : f32[B,2,6]
  return(%q, %w)
}
)")
                     ->functions()
                     .front(),
                {{{"B", 1}}, {{"B", 3}}}, {1e-5, 1e-6}, 3);
}

TEST(Fusion, RandomScanBodiesMatchTheInterpreter) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 20; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    int64_t h = trial % 2 ? 8 : 6;
    ir::Function fn("scan" + std::to_string(trial));
    Dim B = Dim::symbolic("B"), T = Dim::symbolic("T"), H = Dim::fixed(h);
    ir::Value *xs =
        fn.addArg(ir::TensorType::f32({T, B, Dim::fixed(2 * h)}), "xs");
    ir::Value *h0 = fn.addArg(ir::TensorType::f32({B, H}), "h0");
    ir::Value *c0 = fn.addArg(ir::TensorType::f32({B, H}), "c0");
    ir::Value *U = fn.addArg(ir::TensorType::f32({H, H}), "U");
    ir::Value *len = fn.addArg(ir::TensorType::i32({B}), "len");
    ir::Builder b(&fn.body());
    bool reverse = trial % 4 == 3;
    ir::Operation *scan =
        b.scan({xs}, {h0, c0}, {U}, trial % 3 ? len : nullptr, reverse,
               [&](ir::Builder &body, const std::vector<ir::Value *> &step,
                   const std::vector<ir::Value *> &carry,
                   const std::vector<ir::Value *> &capture) {
                 RandomGraph g(body, rng, h);
                 // The step input read through two slices, the carries, and the
                 // recurrent product.
                 g.add(body.slice(step[0], 1, 0, h));
                 g.add(body.slice(step[0], 1, h, h));
                 g.add(carry[0]);
                 g.add(carry[1]);
                 g.add(body.tanh(body.matmul(carry[0], capture[0])));
                 g.grow(10, capture[0]);
                 // The next carries: the carries swapped, or two computed
                 // values; the output is the last value.
                 std::vector<ir::Value *> next =
                     trial % 5 == 0
                         ? std::vector<ir::Value *>{carry[1], carry[0]}
                         : std::vector<ir::Value *>{g.pickFull(), g.pickFull()};
                 return ir::Builder::ScanBodyResult{next, {g.pickFull()}};
               });
    ASSERT_TRUE(scan) << b.firstError();
    b.ret(scan->results());
    ASSERT_TRUE(b.firstError().empty()) << b.firstError();
    checkBothWays(fn, {{{"B", 1}, {"T", 3}}, {{"B", 4}, {"T", 5}}},
                  {1e-4, 1e-5}, trial);
  }
}

/// A scan over [B, 8] whose body is a chain of `n` statements
/// a_k = a_{k-1} - 0.05 * tanh(a_{k-1}) * a_{k-1} (a cell of n lines, which
/// neither dies out nor blows up), with lengths; every a_k is an output, as
/// a gradient's forward scan saves its values.
std::unique_ptr<ir::Function> longChainScan(int n) {
  auto fn = std::make_unique<ir::Function>("chain");
  Dim B = Dim::symbolic("B"), T = Dim::symbolic("T"), H = Dim::fixed(8);
  ir::Value *xs = fn->addArg(ir::TensorType::f32({T, B, H}), "xs");
  ir::Value *h0 = fn->addArg(ir::TensorType::f32({B, H}), "h0");
  ir::Value *len = fn->addArg(ir::TensorType::i32({B}), "len");
  ir::Builder b(&fn->body());
  ir::Operation *scan =
      b.scan({xs}, {h0}, {}, len, false,
             [&](ir::Builder &body, const std::vector<ir::Value *> &step,
                 const std::vector<ir::Value *> &carry,
                 const std::vector<ir::Value *> &) {
               ir::Value *rate = body.constant(ir::TensorType::f32({}), 0.05);
               ir::Value *a = body.add(step[0], carry[0]);
               std::vector<ir::Value *> outs;
               for (int k = 0; k < n; ++k) {
                 a = body.sub(a, body.mul(rate, body.mul(body.tanh(a), a)));
                 outs.push_back(a);
               }
               return ir::Builder::ScanBodyResult{{a}, outs};
             });
  if (!scan)
    return nullptr;
  b.ret(scan->results());
  return b.firstError().empty() ? std::move(fn) : nullptr;
}

TEST(Fusion, LongChainsAreCutIntoGroupsOfBoundedCost) {
  // 60 statements cost 60 * 23 per element: one loop that long
  // took LLVM time quadratic in its length (a 200-line cell compiled in
  // 26 s), so the plan cuts it into loops of at most kMaxGroupCost.
  auto fn = longChainScan(60);
  ASSERT_TRUE(fn);
  const ir::Operation &scan = *fn->body().ops().front();
  ASSERT_EQ(scan.kind(), OpKind::Scan);
  const ir::Block &body = *scan.region(0);
  codegen::FusionPlan plan = codegen::planFusion(body);
  int64_t total = 0;
  size_t fusedOps = 0;
  for (const codegen::FusionGroup &g : plan.groups) {
    int64_t cost = 0;
    for (const ir::Operation *op : g.ops)
      cost += codegen::elementwiseCost(*op);
    EXPECT_LE(cost, codegen::kMaxGroupCost);
    total += cost;
    fusedOps += g.ops.size();
  }
  EXPECT_EQ(fusedOps, body.ops().size() - 2); // all but constant and yield
  EXPECT_GE(static_cast<int64_t>(plan.groups.size()),
            total / codegen::kMaxGroupCost + 1);
  EXPECT_GE(plan.groups.size(), 4u); // not one loop, whatever the cap
  // An LSTM step stays one group.
  auto lstm = parseIR(kLstmStep);
  ASSERT_TRUE(lstm);
  EXPECT_EQ(codegen::planFusion(onlyFunction(lstm).body()).groups.size(), 2u);

  // The 60 outputs share one loop over rows for the steps where some rows
  // are past their length (a loop per output made the time loop hold
  // hundreds of loops); the cut chain is as many outlined loops as groups.
  codegen::CompileOptions keep;
  keep.keepLLVMIR = true;
  auto compiled = codegen::compile(*fn, keep);
  ASSERT_TRUE(compiled) << compiled.error();
  const std::string &ir = (*compiled)->llvmIRBefore();
  EXPECT_EQ(countOf(ir, "\nscan.out.header"), 1u);
  EXPECT_EQ(countOf(ir, "\nfill.header"), 1u); // the constant's, not zeros
  EXPECT_EQ(countOf(ir, "define internal void @rnnc.chain.rows.ew"),
            plan.groups.size());

  // Rows past their length (lengths in [0, T], row 0 full) get zeros, the
  // others the chain, fused and unfused, as the interpreter computes.
  checkBothWays(*fn, {{{"B", 1}, {"T", 3}}, {{"B", 5}, {"T", 6}}}, {1e-4, 1e-5},
                11);
}

} // namespace

namespace {

/// rnnc_parallel_for: every index once, in contiguous parts, inline when
/// the work is small.
struct Seen {
  std::vector<std::atomic<int>> hits;
  std::atomic<int> calls{0};
  explicit Seen(int64_t n) : hits(n) {}
};

void mark(void *env, int64_t begin, int64_t end) {
  auto *seen = static_cast<Seen *>(env);
  seen->calls++;
  for (int64_t i = begin; i < end; ++i)
    seen->hits[i]++;
}

TEST(Fusion, ParallelForCoversTheRangeOnce) {
  const GlobalPoolSize threads(2);
  ASSERT_EQ(threads.got(), 2u);
  for (int64_t n : {1, 2, 7, 1000}) {
    for (int64_t work : {int64_t(10), int64_t(1) << 30}) {
      Seen seen(n);
      rnnc_parallel_for(mark, &seen, n, work);
      for (int64_t i = 0; i < n; ++i)
        EXPECT_EQ(seen.hits[i].load(), 1) << "n=" << n << " i=" << i;
      // Small work runs in one call; large work on n >= 2 in two parts.
      EXPECT_EQ(seen.calls.load(), work < 1000 || n < 2 ? 1 : 2)
          << "n=" << n << " work=" << work;
    }
  }
}

TEST(Fusion, LargeGroupsGiveTheSameBitsOnOneAndTwoThreads) {
  // B = 300 puts the gate loop far above the split threshold.
  auto module = parseIR(kLstmStep);
  ASSERT_TRUE(module);
  const ir::Function &fn = onlyFunction(module);
  auto compiled = codegen::compile(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  std::mt19937 rng(5);
  Bindings bind{{"B", 300}};
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    args.push_back(randomArg(fn.arg(i)->name(), fn.arg(i)->type(), bind, rng));
  auto want = ir::interpret(fn, args);
  ASSERT_TRUE(want) << want.error();
  rnnc::ThreadPool &pool = rnnc::ThreadPool::global();
  unsigned before = pool.threadCount();
  std::vector<std::vector<Tensor>> got;
  for (unsigned threads : {1u, 2u}) {
    ASSERT_EQ(pool.resize(threads), threads);
    auto r = (*compiled)->run(args);
    ASSERT_TRUE(r) << r.error();
    for (size_t k = 0; k < want->size(); ++k)
      EXPECT_TRUE(allClose((*r)[k], (*want)[k], 1e-5, 1e-6)) << threads;
    got.push_back(std::move(*r));
  }
  pool.resize(before);
  for (size_t k = 0; k < got[0].size(); ++k)
    EXPECT_EQ(0, std::memcmp(got[0][k].f32Data(), got[1][k].f32Data(),
                             got[0][k].f32Vec().size() * sizeof(float)));
}

} // namespace
