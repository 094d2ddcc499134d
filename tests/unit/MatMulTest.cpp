//===- tests/unit/MatMulTest.cpp - rnnc_matmul against a reference --------===//
//
// Every instruction set this CPU supports and every loop form of the GEMM
// (runtime/Gemm.h), plus rnnc_matmul itself, against a double-precision
// triple loop written here. Shapes cover 1, odd sizes, the micro-kernel's
// MR/NR/KC remainders, K = 0 and 1, all four transposes, batches with
// padded strides and strideB = 0, and the char-LM's products.
//
// Tolerance: each C element is a sum of K products, each rounded once in
// f32 (or fused), and the sum is accumulated in f32 in some order; the
// classic bound is |c - c_ref| <= gamma_K * sum_k |a_k||b_k| with
// gamma_K ~ K * 2^-24. We allow (K + 2) * 2^-24 * sum|a||b| (the +2 covers
// the product rounding and the final store), which is the bound itself, not
// a loose multiple of it.
//
// The pre-packed products (packB + matmulPacked, packGemv + gemvPacked)
// are checked the same way on every single product without transA, and
// against the Axpy form bit for bit.
//
// Threads: every ISA x form is also run split across pools of 2, 3 and 5
// threads with the size threshold off (every shape splits, down to one
// tile per part), and must match the one-thread result bit for bit
// (memcmp), padding included: rnnc_matmul's results may not depend on the
// thread count (training resume relies on it).
//
//===----------------------------------------------------------------------===//
#include "runtime/Gemm.h"
#include "runtime/KernelABI.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace rnnc::gemm;

namespace {

struct Shape {
  int64_t batch, M, N, K;
  bool transA, transB;
  bool shareB = false; // strideB = 0
  int64_t pad = 0;     // extra elements between batch items
};

std::string describe(const Shape &s) {
  return "batch=" + std::to_string(s.batch) + " M=" + std::to_string(s.M) +
         " N=" + std::to_string(s.N) + " K=" + std::to_string(s.K) +
         " tA=" + std::to_string(s.transA) + " tB=" + std::to_string(s.transB) +
         " shareB=" + std::to_string(s.shareB) +
         " pad=" + std::to_string(s.pad);
}

const char *isaName(Isa isa) {
  switch (isa) {
  case Isa::Generic:
    return "generic";
  case Isa::Avx2:
    return "avx2";
  case Isa::Avx512:
    return "avx512";
  }
  return "?";
}

const char *formName(Form form) {
  switch (form) {
  case Form::Auto:
    return "auto";
  case Form::Axpy:
    return "axpy";
  case Form::Dot:
    return "dot";
  case Form::Swapped:
    return "swapped";
  }
  return "?";
}

/// Pools of 2, 3 and 5 threads, shared by every test.
const std::vector<std::unique_ptr<rnnc::ThreadPool>> &pools() {
  static const auto *all = [] {
    auto *v = new std::vector<std::unique_ptr<rnnc::ThreadPool>>();
    for (unsigned n : {2u, 3u, 5u})
      v->push_back(std::make_unique<rnnc::ThreadPool>(n));
    return v;
  }();
  return *all;
}

/// A packing must leave everything past packedFloats (`packed`) as set.
void expectTailUntouched(const std::vector<float> &P, int64_t packed,
                         float sentinel, const std::string &what) {
  for (size_t i = packed; i < P.size(); ++i)
    if (P[i] != sentinel) {
      ADD_FAILURE() << what << " wrote past packedFloats";
      return;
    }
}

/// The pre-packed product (runtime/PackedMatMul.cpp) on a single product:
/// op(B) packed by every supported ISA must stay inside packedFloats (a
/// sentinel tail), the product must meet the reference bound, equal the
/// Axpy form bit for bit (both are one FMA chain along k per element), and
/// be bit-identical split across threads; then the C entry points, packed
/// and not.
template <class Verify>
void checkPacked(const Shape &s, const std::vector<float> &A,
                 const std::vector<float> &B, Verify &verify) {
  const float sentinel = 12345.0f;
  const int64_t sizeC = std::max<int64_t>(1, s.M * s.N);
  const int64_t packed = packedFloats(s.N, s.K), tail = 64;
  for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
    if (!isaSupported(isa))
      continue;
    const std::string what = std::string(isaName(isa)) + "/packed";
    std::vector<float> P(packed + tail, sentinel);
    packB(isa, B.data(), P.data(), s.N, s.K, s.transB);
    expectTailUntouched(P, packed, sentinel,
                        what + " " + describe(s) + ": packB");
    std::vector<float> C(sizeC, sentinel);
    matmulPacked(isa, A.data(), P.data(), C.data(), s.M, s.N, s.K);
    verify(C, what);
    std::vector<float> axpy(sizeC, sentinel);
    matmul(isa, Form::Axpy, A.data(), B.data(), axpy.data(), 1, s.M, s.N, s.K,
           false, s.transB, s.M * s.K, 0, s.M * s.N);
    EXPECT_EQ(std::memcmp(C.data(), axpy.data(), sizeof(float) * sizeC), 0)
        << what << " " << describe(s) << ": differs from the Axpy form";
    for (const auto &pool : pools()) {
      std::vector<float> Ct(sizeC, sentinel);
      matmulPacked(isa, A.data(), P.data(), Ct.data(), s.M, s.N, s.K,
                   pool.get(), /*splitFlops=*/0);
      EXPECT_EQ(std::memcmp(C.data(), Ct.data(), sizeof(float) * sizeC), 0)
          << what << " " << describe(s) << ": " << pool->threadCount()
          << " threads differ from one";
    }
  }
  // The one-row layout (runtime/PackedGemv.cpp), for any M: the same
  // checks, and the packing split across threads must give the same panels.
  for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
    if (!isaSupported(isa))
      continue;
    const std::string what = std::string(isaName(isa)) + "/gemv";
    std::vector<float> P(packed + tail, sentinel);
    packGemv(isa, B.data(), P.data(), s.N, s.K, s.transB);
    expectTailUntouched(P, packed, sentinel,
                        what + " " + describe(s) + ": packGemv");
    std::vector<float> C(sizeC, sentinel);
    gemvPacked(isa, A.data(), P.data(), C.data(), s.M, s.N, s.K);
    verify(C, what);
    std::vector<float> axpy(sizeC, sentinel);
    matmul(isa, Form::Axpy, A.data(), B.data(), axpy.data(), 1, s.M, s.N, s.K,
           false, s.transB, s.M * s.K, 0, s.M * s.N);
    EXPECT_EQ(std::memcmp(C.data(), axpy.data(), sizeof(float) * sizeC), 0)
        << what << " " << describe(s) << ": differs from the Axpy form";
    for (const auto &pool : pools()) {
      std::vector<float> Pt(packed + tail, sentinel);
      packGemv(isa, B.data(), Pt.data(), s.N, s.K, s.transB, pool.get(),
               /*splitFlops=*/0);
      EXPECT_EQ(std::memcmp(P.data(), Pt.data(), sizeof(float) * P.size()), 0)
          << what << " " << describe(s) << ": packing on "
          << pool->threadCount() << " threads differs from one";
      std::vector<float> Ct(sizeC, sentinel);
      gemvPacked(isa, A.data(), P.data(), Ct.data(), s.M, s.N, s.K, pool.get(),
                 /*splitFlops=*/0);
      EXPECT_EQ(std::memcmp(C.data(), Ct.data(), sizeof(float) * sizeC), 0)
          << what << " " << describe(s) << ": " << pool->threadCount()
          << " threads differ from one";
    }
  }
  // The C ABI: rnnc_pack_b decides; either way the product is right.
  for (int64_t steps : {1, 100}) {
    std::vector<float> P(packed + tail, sentinel), C(sizeC, sentinel);
    int32_t did =
        rnnc_pack_b(B.data(), P.data(), s.M, s.N, s.K, s.transB, steps);
    EXPECT_EQ(did, packedLayoutFor(s.M, s.N, s.K, steps)) << describe(s);
    rnnc_matmul_packed(A.data(), B.data(), P.data(), did, C.data(), s.M, s.N,
                       s.K, s.transB);
    verify(C, "rnnc_matmul_packed steps=" + std::to_string(steps));
  }
}

/// Random data of shape `s`, the double-precision reference and its bound
/// computed once; then every supported ISA x form, and rnnc_matmul itself,
/// checked on every element of C, including that the padding between batch
/// items of C is left alone.
void checkAll(const Shape &s, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t sizeA = s.M * s.K, sizeB = s.K * s.N, sizeC = s.M * s.N;
  const int64_t strideA = sizeA + s.pad, strideC = sizeC + s.pad;
  const int64_t strideB = s.shareB ? 0 : sizeB + s.pad;
  std::vector<float> A(std::max<int64_t>(1, s.batch * strideA));
  std::vector<float> B(
      std::max<int64_t>(1, s.shareB ? sizeB : s.batch * strideB));
  for (float &x : A)
    x = dist(rng);
  for (float &x : B)
    x = dist(rng);

  std::vector<double> ref(s.batch * sizeC), tol(s.batch * sizeC);
  for (int64_t b = 0; b < s.batch; ++b) {
    const float *a = A.data() + b * strideA, *bb = B.data() + b * strideB;
    for (int64_t m = 0; m < s.M; ++m)
      for (int64_t n = 0; n < s.N; ++n) {
        double sum = 0, mag = 0;
        for (int64_t k = 0; k < s.K; ++k) {
          double x = s.transA ? a[k * s.M + m] : a[m * s.K + k];
          double y = s.transB ? bb[n * s.K + k] : bb[k * s.N + n];
          sum += x * y;
          mag += std::fabs(x * y);
        }
        ref[b * sizeC + m * s.N + n] = sum;
        tol[b * sizeC + m * s.N + n] =
            (double)(s.K + 2) * std::ldexp(1.0, -24) * mag;
      }
  }

  const float sentinel = 12345.0f;
  auto verify = [&](const std::vector<float> &C, const std::string &what) {
    int failures = 0;
    for (int64_t b = 0; b < s.batch; ++b) {
      const float *c = C.data() + b * strideC;
      for (int64_t i = 0; i < sizeC; ++i) {
        double want = ref[b * sizeC + i], got = c[i];
        if (!(std::fabs(got - want) <= tol[b * sizeC + i]) && ++failures <= 5)
          ADD_FAILURE() << what << " " << describe(s) << " b=" << b
                        << " m=" << i / s.N << " n=" << i % s.N << ": got "
                        << got << ", want " << want << " (tol "
                        << tol[b * sizeC + i] << ")";
      }
      for (int64_t i = sizeC; i < strideC && b + 1 < s.batch; ++i)
        if (c[i] != sentinel && ++failures <= 5)
          ADD_FAILURE() << what << " " << describe(s)
                        << ": wrote the padding after batch item " << b;
    }
  };

  for (Isa isa : {Isa::Generic, Isa::Avx2, Isa::Avx512}) {
    if (!isaSupported(isa))
      continue;
    for (Form form : {Form::Auto, Form::Axpy, Form::Dot, Form::Swapped}) {
      std::vector<float> C(std::max<int64_t>(1, s.batch * strideC), sentinel);
      matmul(isa, form, A.data(), B.data(), C.data(), s.batch, s.M, s.N, s.K,
             s.transA, s.transB, strideA, strideB, strideC);
      const std::string what = std::string(isaName(isa)) + "/" + formName(form);
      verify(C, what);
      for (const auto &pool : pools()) {
        std::vector<float> Ct(C.size(), sentinel);
        matmul(isa, form, A.data(), B.data(), Ct.data(), s.batch, s.M, s.N, s.K,
               s.transA, s.transB, strideA, strideB, strideC, pool.get(),
               /*splitFlops=*/0);
        EXPECT_EQ(std::memcmp(C.data(), Ct.data(), sizeof(float) * C.size()), 0)
            << what << " " << describe(s) << ": " << pool->threadCount()
            << " threads differ from one";
      }
    }
  }
  std::vector<float> C(std::max<int64_t>(1, s.batch * strideC), sentinel);
  rnnc_matmul(A.data(), B.data(), C.data(), s.batch, s.M, s.N, s.K, s.transA,
              s.transB, strideA, strideB, strideC);
  verify(C, "rnnc_matmul");
  if (s.batch == 1 && !s.transA)
    checkPacked(s, A, B, verify);
}

TEST(MatMulTest, EdgeSizesAllTransposes) {
  // Sizes around every MR (4, 6, 8), NR (8, 16, 32) and vector width.
  const int64_t sizes[] = {1, 2, 3, 5, 7, 8, 9, 17, 33};
  unsigned seed = 1;
  for (int t = 0; t < 4; ++t)
    for (int64_t M : sizes)
      for (int64_t N : {1, 7, 16, 31, 33, 65})
        for (int64_t K : {1, 3, 16, 17})
          checkAll({1, M, N, K, (t & 1) != 0, (t & 2) != 0}, seed++);
}

TEST(MatMulTest, KZeroOverwritesC) {
  for (int t = 0; t < 4; ++t)
    checkAll({2, 5, 7, 0, (t & 1) != 0, (t & 2) != 0}, 7);
}

TEST(MatMulTest, EmptyMOrN) {
  for (int t = 0; t < 4; ++t) {
    checkAll({1, 0, 7, 5, (t & 1) != 0, (t & 2) != 0}, 8);
    checkAll({1, 7, 0, 5, (t & 1) != 0, (t & 2) != 0}, 9);
  }
}

TEST(MatMulTest, KBlockRemainders) {
  // K across the KC blocks (128 and 256): the second and third passes
  // accumulate into C, full panels and the column tail alike.
  for (int t = 0; t < 4; ++t)
    for (int64_t K : {127, 128, 129, 255, 257, 600})
      checkAll({1, 13, 45, K, (t & 1) != 0, (t & 2) != 0}, (unsigned)K + t);
}

TEST(MatMulTest, MBlockRemainders) {
  // M across the MC blocks (120 and 128).
  checkAll({1, 250, 40, 20, false, false}, 11);
  checkAll({1, 250, 40, 20, true, true}, 12);
  checkAll({1, 129, 33, 64, false, true}, 13);
}

TEST(MatMulTest, PackedRowTilesAndKBlocks) {
  // The packed product's balanced row tiles (up to 12 rows: M around 12,
  // 24, 36 and the B = 64 step), its 256-row K blocks, and column tails;
  // checkAll runs the packed checks on each of these.
  unsigned seed = 300;
  for (int64_t M : {1, 2, 11, 12, 13, 23, 25, 37, 64})
    for (int64_t K : {5, 255, 256, 257, 513})
      checkAll({1, M, 47, K, false, (seed & 1) != 0}, seed++);
  checkAll({1, 64, 1024, 256, false, true}, seed++);
  checkAll({1, 64, 256, 1024, false, false}, seed++);
  // Tall products in row blocks of 96 (from K = 128), and one below.
  checkAll({1, 250, 47, 300, false, true}, seed++);
  checkAll({1, 193, 40, 513, false, false}, seed++);
  checkAll({1, 250, 47, 100, false, true}, seed++);
}

TEST(MatMulTest, OneRowPanelsAndTheirEdges) {
  // The one-row layout's panels are 8 vectors wide (128 columns on
  // AVX-512, 64 on AVX2, 32 on the baseline), the last one narrower and
  // zero-padded to a vector; its packing transposes in 8 x 8 blocks.
  // Columns around every panel and vector width, K around 8, and the
  // batch-1 steps of the standard cells (GRU, LSTM at 256 and 1024).
  unsigned seed = 400;
  for (int64_t N : {1, 8, 9, 31, 32, 63, 64, 65, 127, 128, 129, 200, 385})
    for (int64_t K : {1, 7, 8, 9, 24, 100})
      checkAll({1, 1, N, K, false, (seed & 1) != 0}, seed++);
  checkAll({1, 1, 768, 256, false, true}, seed++);
  checkAll({1, 1, 1024, 256, false, true}, seed++);
  checkAll({1, 3, 4096, 1024, false, true}, seed++);
}

TEST(MatMulTest, BatchedStridesAndSharedB) {
  for (int t = 0; t < 4; ++t) {
    checkAll({3, 9, 17, 11, (t & 1) != 0, (t & 2) != 0, false, 5}, 20 + t);
    checkAll({4, 9, 17, 11, (t & 1) != 0, (t & 2) != 0, true, 3}, 30 + t);
    checkAll({5, 70, 33, 40, (t & 1) != 0, (t & 2) != 0, true, 0}, 40 + t);
  }
}

TEST(MatMulTest, RandomShapes) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int64_t> dim(1, 70), bat(1, 3), pad(0, 4);
  for (int i = 0; i < 60; ++i) {
    Shape s{bat(rng),         dim(rng),         dim(rng),         dim(rng),
            (rng() & 1) != 0, (rng() & 1) != 0, (rng() & 1) != 0, pad(rng)};
    checkAll(s, 100 + i);
  }
}

TEST(MatMulTest, CharLmShapes) {
  // forward x @ W^T (I = 64, 256; 4H = 1024), B = 32 and 1
  checkAll({1, 32, 1024, 64, false, true}, 50);
  checkAll({1, 32, 1024, 256, false, true}, 51);
  checkAll({1, 1, 1024, 256, false, true}, 52);
  // backward dz @ W, weight gradient dz^T @ x (K = B = 32)
  checkAll({1, 32, 256, 1024, false, false}, 53);
  checkAll({1, 1024, 256, 32, true, false}, 54);
  // logits over T*B rows and their gradients
  checkAll({1, 2048, 65, 256, false, true}, 55);
  checkAll({1, 2048, 256, 65, false, false}, 56);
  checkAll({1, 65, 256, 2048, true, false}, 57);
  // embedding gradient per time step: one_hot^T @ dy, batched
  checkAll({8, 65, 64, 32, true, false}, 58);
  // weight gradients over all T*B rows, dz^T @ h: op(A) is copied per
  // sliver (A transposed, K >= 256, N >= 4 panels); with row, column and K
  // tails, and with B transposed too
  checkAll({1, 1024, 256, 512, true, false}, 59);
  checkAll({1, 203, 141, 300, true, false}, 60);
  checkAll({2, 77, 160, 257, true, true}, 61);
}

TEST(MatMulTest, RnncMatmulIsIndependentOfTheGlobalThreadCount) {
  // rnnc_matmul through ThreadPool::global() at its own size threshold
  // against the one-thread kernel, on products above and below it.
  const Shape shapes[] = {
      {1, 32, 1024, 256, false, true}, {1, 32, 256, 1024, false, false},
      {1, 1024, 256, 32, true, false}, {1, 2048, 65, 256, false, true},
      {1, 1, 1024, 256, false, true},  {64, 65, 64, 32, true, false, true},
      {1, 700, 300, 90, true, true},   {3, 50, 333, 129, false, true},
  };
  rnnc::ThreadPool &global = rnnc::ThreadPool::global();
  const unsigned before = global.threadCount();
  std::mt19937 rng(77);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (unsigned threads : {1u, 2u, 3u, 4u}) {
    ASSERT_EQ(global.resize(threads), threads);
    for (const Shape &s : shapes) {
      const int64_t strideA = s.M * s.K, strideB = s.shareB ? 0 : s.K * s.N;
      std::vector<float> A(s.batch * strideA),
          B(s.shareB ? s.K * s.N : s.batch * strideB);
      for (float &x : A)
        x = dist(rng);
      for (float &x : B)
        x = dist(rng);
      std::vector<float> want(s.batch * s.M * s.N), got(want.size());
      matmul(defaultIsa(), Form::Auto, A.data(), B.data(), want.data(), s.batch,
             s.M, s.N, s.K, s.transA, s.transB, strideA, strideB, s.M * s.N);
      rnnc_matmul(A.data(), B.data(), got.data(), s.batch, s.M, s.N, s.K,
                  s.transA, s.transB, strideA, strideB, s.M * s.N);
      EXPECT_EQ(
          std::memcmp(want.data(), got.data(), sizeof(float) * want.size()), 0)
          << describe(s) << " with " << threads << " threads";
    }
  }
  global.resize(before);
}

} // namespace
