//===- tests/unit/PackedRowsThenTest.cpp - A loop run on a product's rows -===//
//
// rnnc_matmul_packed_rows (runtime/KernelABI.h) and matmulPacked's RowsThen
// (runtime/Gemm.h): after (or, split by rows, during) the pre-packed
// product, a row loop runs over [0, M). Its contract is what generated code
// relies on when it hands a scan step's gate loop to the product: every row
// is visited exactly once, and when row m is visited, row m of C is final.
// The callback here checks both: it compares each row it is given with the
// product computed beforehand without a row loop, and counts the visits.
//
//===----------------------------------------------------------------------===//
#include "GlobalPoolSize.h"
#include "runtime/Gemm.h"
#include "runtime/KernelABI.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

using namespace rnnc::gemm;

namespace {

/// What the row loop sees: the C being computed, the finished product, and
/// a visit count per row. Rows are visited by several threads at once, so
/// the counts and the failure flag are atomic.
struct Watch {
  const float *C = nullptr, *want = nullptr;
  int64_t M = 0, N = 0;
  std::vector<std::atomic<int>> visits;
  std::atomic<int> unfinished{0}, outOfRange{0};
  Watch(const float *c, const float *w, int64_t m, int64_t n)
      : C(c), want(w), M(m), N(n), visits(m) {}
};

void visitRows(void *env, int64_t begin, int64_t end) {
  Watch &w = *static_cast<Watch *>(env);
  if (begin < 0 || end > w.M || begin > end) {
    w.outOfRange.fetch_add(1);
    return;
  }
  for (int64_t m = begin; m < end; ++m) {
    if (std::memcmp(w.C + m * w.N, w.want + m * w.N, sizeof(float) * w.N))
      w.unfinished.fetch_add(1);
    w.visits[m].fetch_add(1);
  }
}

void expectEachRowOnceAndFinal(const Watch &w, const std::string &what) {
  EXPECT_EQ(w.outOfRange.load(), 0) << what << ": a range outside [0, M)";
  EXPECT_EQ(w.unfinished.load(), 0)
      << what << ": a row was visited before its product was done";
  for (int64_t m = 0; m < w.M; ++m)
    EXPECT_EQ(w.visits[m].load(), 1) << what << ": row " << m;
}

struct Problem {
  int64_t M, N, K;
  bool transB;
  std::vector<float> A, B, P, want;
};

Problem makeProblem(int64_t M, int64_t N, int64_t K, bool transB,
                    unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Problem p{M, N, K, transB, {}, {}, {}, {}};
  p.A.resize(M * K);
  p.B.resize(K * N);
  for (float &x : p.A)
    x = dist(rng);
  for (float &x : p.B)
    x = dist(rng);
  p.P.resize(packedFloats(N, K));
  packB(defaultIsa(), p.B.data(), p.P.data(), N, K, transB);
  p.want.resize(M * N);
  matmulPacked(defaultIsa(), p.A.data(), p.P.data(), p.want.data(), M, N, K);
  return p;
}

/// The pools of 2, 3 and 5 threads and none; M below and above 8 rows per
/// part, so both the split by rows (the loop runs inside each part) and by
/// column panels (the loop runs after) are taken.
TEST(PackedRowsThenTest, EveryRowOnceAfterItsProduct) {
  std::vector<std::unique_ptr<rnnc::ThreadPool>> pools;
  for (unsigned n : {2u, 3u, 5u})
    pools.push_back(std::make_unique<rnnc::ThreadPool>(n));
  unsigned seed = 1;
  for (int64_t M : {1, 5, 16, 17, 40, 64})
    for (int64_t K : {0, 7, 300}) {
      const Problem p = makeProblem(M, 96, K, (seed & 1) != 0, seed);
      ++seed;
      for (int pi = -1; pi < (int)pools.size(); ++pi) {
        rnnc::ThreadPool *pool = pi < 0 ? nullptr : pools[pi].get();
        std::vector<float> C(M * p.N, -7.0f);
        Watch w(C.data(), p.want.data(), M, p.N);
        const RowsThen then{visitRows, &w, /*work=*/M * p.N};
        matmulPacked(defaultIsa(), p.A.data(), p.P.data(), C.data(), M, p.N, K,
                     pool, /*splitFlops=*/0, &then);
        const std::string what =
            "M=" + std::to_string(M) + " K=" + std::to_string(K) +
            " threads=" + std::to_string(pool ? pool->threadCount() : 1);
        expectEachRowOnceAndFinal(w, what);
        EXPECT_EQ(std::memcmp(C.data(), p.want.data(), sizeof(float) * M * p.N),
                  0)
            << what << ": the product differs from the one without a loop";
      }
    }
}

/// The C entry through the global pool, packed and not (the second is what
/// runs when rnnc_pack_b found packing not worth it).
TEST(PackedRowsThenTest, CEntryPackedAndNot) {
  const rnnc::test::GlobalPoolSize threads(3);
  ASSERT_EQ(threads.got(), 3u);
  const Problem p = makeProblem(64, 1024, 256, true, 99);
  // Unpacked, the product is rnnc_matmul's, which may sum in another order.
  std::vector<float> viaMatmul(p.M * p.N);
  rnnc_matmul(p.A.data(), p.B.data(), viaMatmul.data(), 1, p.M, p.N, p.K, 0, 1,
              p.M * p.K, 0, p.M * p.N);
  for (int32_t packed : {0, 1}) {
    std::vector<float> C(p.M * p.N, -7.0f);
    Watch w(C.data(), packed ? p.want.data() : viaMatmul.data(), p.M, p.N);
    rnnc_matmul_packed_rows(p.A.data(), p.B.data(), p.P.data(), packed,
                            C.data(), p.M, p.N, p.K, p.transB, visitRows, &w,
                            /*work=*/p.M * p.N * 100);
    expectEachRowOnceAndFinal(w, packed ? "packed" : "not packed");
  }
}

} // namespace
