//===- runtime/PackedMatMul.cpp - Products against a weight packed once ---===//
//
// A scan's per-step product x_t @ W^T reads the same W at every step.
// rnnc_matmul cannot know that, so every call either packs (the transposed
// W, or the activations plus a transposed result: its Swapped form) or
// reads W in place by dot products. Here the scan packs op(W) once, before
// its loop (rnnc_pack_b), and each step multiplies against the packed copy
// (rnnc_matmul_packed) with the Axpy micro-kernel of runtime/GemmKernels.h:
// no packing, no transpose, and W's panels stream sequentially from the
// cache they stay in between steps.
//
// Layout, for the kernel's panel width NR and Np = N rounded up to NR: for
// each block of kPackK rows k0.. of op(B), its panels of NR columns, each
// [kc, NR] contiguous and zero-padded past N. Element (k, n) lives at
//   P[k0 * Np + (n / NR) * kc * NR + (k - k0) * NR + n % NR].
// NR divides kPackedColumns (runtime/Gemm.h), so Np * K never exceeds
// packedFloats(N, K), which is what the generated code allocates.
//
// Row tiles are balanced over M: 64 rows on AVX-512 are six tiles of 10-11
// rows (20-22 accumulators), where rnnc_matmul's fixed MR = 8 grid would
// leave tails at other M. The row count does not change a result (each
// element is one FMA chain along k in order), so neither does the split
// across threads: by rows when every part gets at least 8 (the batch of a
// B >= 16 step, split as the step's gate loop is), else by column panels
// (each thread reads only its share of W, which then stays in its L2).
//
//===----------------------------------------------------------------------===//
#include "runtime/Gemm.h"
#include "runtime/GemmKernels.h"
#include "runtime/KernelABI.h"
#include "runtime/ThreadPool.h"

namespace rnnc::gemm {
namespace {
using namespace kernels;

/// Rows of op(B) per packed block: 12 rows of A over it (12 KiB) stay in L1
/// while a [kPackK, NR] panel (32 KiB at NR = 32) streams past.
constexpr int64_t kPackK = 256;

template <class Cfg> constexpr int64_t panelWidth() {
  return Cfg::NRV * Cfg::L;
}

template <class Cfg>
RNNC_INLINE void packAll(const float *B, float *P, int64_t N, int64_t K,
                         bool transB) {
  constexpr int64_t NR = panelWidth<Cfg>();
  static_assert(kPackedColumns % NR == 0);
  const int64_t np = (N + NR - 1) / NR * NR;
  for (int64_t k0 = 0; k0 < K; k0 += kPackK) {
    const int64_t kc = std::min(kPackK, K - k0);
    packPanels<NR>(B, transB ? K : N, transB, P + k0 * np, N, k0, kc);
  }
}

/// Columns [n0, n1) of C (n0 a multiple of NR) over all M rows.
template <class Cfg>
RNNC_INLINE void packedPart(const float *A, const float *P, float *C, int64_t M,
                            int64_t N, int64_t K, int64_t n0, int64_t n1) {
  constexpr int64_t NR = panelWidth<Cfg>();
  static_assert(Cfg::PMR <= kMaxMR && NR <= kMaxNR);
  const int64_t np = (N + NR - 1) / NR * NR;
  const int64_t tiles = (M + Cfg::PMR - 1) / Cfg::PMR;
  alignas(64) float tile[kMaxMR * kMaxNR];
  for (int64_t k0 = 0; k0 < K; k0 += kPackK) {
    const int64_t kc = std::min(kPackK, K - k0);
    const bool acc = k0 > 0;
    const float *pk = P + k0 * np;
    // One panel (in L1) meets every row tile before the next is read.
    for (int64_t n = n0; n < n1; n += NR) {
      const float *panel = pk + n * kc;
      const int64_t w = std::min(NR, N - n);
      for (int64_t t = 0; t < tiles; ++t) {
        const int64_t m0 = t * M / tiles, m1 = (t + 1) * M / tiles;
        const int rows = static_cast<int>(m1 - m0);
        const float *a = A + m0 * K + k0;
        float *c = C + m0 * N + n;
        if (w == NR)
          axpyTileRows<Cfg, Cfg::PMR>(rows, a, K, 1, panel, NR, c, N, kc, acc);
        else
          axpyTailRows<Cfg, Cfg::PMR>(rows, a, K, 1, panel, c, N, w, kc, acc,
                                      tile);
      }
    }
  }
}

/// Rows of A per block of a tall product (a batch over 96, or T * B rows):
/// A's block (96 x 256 floats of a K-block, 96 KiB) stays in L2 while the
/// panels stream past, and C's block is finished before the next one
/// starts. Without blocks, every 32-column panel meets all of A, from
/// memory: rnnc-bench-gemm's packGF for 6400 x 2048 x 512 went from ~137 to
/// ~185 GFLOP/s, 6400 x 1024 x 256 from ~174 to ~199. Not below K = 128:
/// there the walk down C's columns (rows N floats apart, in a few L1
/// sets) dominates, and 2048 x 1024 x 64 fell from ~160 to ~115. 96 rows
/// are 8 row tiles of 12; the B = 64 step stays one block.
constexpr int64_t kBlockRows = 96, kBlockMinK = 128;

struct PackedKernel {
  void (*pack)(const float *, float *, int64_t, int64_t, bool);
  void (*part)(const float *, const float *, float *, int64_t, int64_t, int64_t,
               int64_t, int64_t);
  int64_t nr;
};

void packGeneric(const float *B, float *P, int64_t N, int64_t K, bool t) {
  packAll<GenericCfg>(B, P, N, K, t);
}
void partGeneric(const float *A, const float *P, float *C, int64_t M, int64_t N,
                 int64_t K, int64_t n0, int64_t n1) {
  packedPart<GenericCfg>(A, P, C, M, N, K, n0, n1);
}
#if RNNC_GEMM_X86
RNNC_TARGET_AVX2 void packAvx2(const float *B, float *P, int64_t N, int64_t K,
                               bool t) {
  packAll<Avx2Cfg>(B, P, N, K, t);
}
RNNC_TARGET_AVX2 void partAvx2(const float *A, const float *P, float *C,
                               int64_t M, int64_t N, int64_t K, int64_t n0,
                               int64_t n1) {
  packedPart<Avx2Cfg>(A, P, C, M, N, K, n0, n1);
}
RNNC_TARGET_AVX512 void packAvx512(const float *B, float *P, int64_t N,
                                   int64_t K, bool t) {
  packAll<Avx512Cfg>(B, P, N, K, t);
}
RNNC_TARGET_AVX512 void partAvx512(const float *A, const float *P, float *C,
                                   int64_t M, int64_t N, int64_t K, int64_t n0,
                                   int64_t n1) {
  packedPart<Avx512Cfg>(A, P, C, M, N, K, n0, n1);
}
#endif

const PackedKernel &kernelFor(Isa isa) {
  static const PackedKernel generic{packGeneric, partGeneric,
                                    panelWidth<GenericCfg>()};
#if RNNC_GEMM_X86
  static const PackedKernel avx2{packAvx2, partAvx2, panelWidth<Avx2Cfg>()};
  static const PackedKernel avx512{packAvx512, partAvx512,
                                   panelWidth<Avx512Cfg>()};
  if (isa == Isa::Avx512)
    return avx512;
  if (isa == Isa::Avx2)
    return avx2;
#endif
  (void)isa;
  return generic;
}

/// Columns [n0, n1) of C over all M rows, in row blocks of at most
/// kBlockRows from K = kBlockMinK.
void partInBlocks(const PackedKernel &k, const float *A, const float *P,
                  float *C, int64_t M, int64_t N, int64_t K, int64_t n0,
                  int64_t n1) {
  const int64_t blocks = K < kBlockMinK ? 1 : (M + kBlockRows - 1) / kBlockRows;
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t m0 = b * M / blocks, m1 = (b + 1) * M / blocks;
    k.part(A + m0 * K, P, C + m0 * N, m1 - m0, N, K, n0, n1);
  }
}

} // namespace

PackedLayout packedLayoutFor(int64_t M, int64_t N, int64_t K, int64_t steps) {
  // Packing costs about one pass over W (~0.3 ns a float: 75 us for the
  // 1024 x 256 gate weights of an LSTM 256). From 2 rows the packed product
  // runs at 1.5-2x the Dot form rnnc_matmul uses for few rows, and at B >= 8
  // it beats the Swapped form too, so a handful of steps repays the copy.
  // One row gets its own layout (runtime/PackedGemv.cpp): this one has too
  // few accumulators for a single row.
  (void)N, (void)K;
  if (steps < 8 || M < 1)
    return kNotPacked;
  return M == 1 ? kPackedGemv : kPackedPanels;
}

void packB(Isa isa, const float *B, float *P, int64_t N, int64_t K,
           bool transB) {
  if (N > 0 && K > 0)
    kernelFor(isa).pack(B, P, N, K, transB);
}

void matmulPacked(Isa isa, const float *A, const float *P, float *C, int64_t M,
                  int64_t N, int64_t K, ThreadPool *pool, double splitFlops,
                  const RowsThen *then) {
  if (M <= 0 || N <= 0)
    return;
  // The rows loop after the whole product, on the threads it decides.
  auto finish = [&] {
    if (then)
      rnnc_parallel_for(then->fn, then->env, M, then->work);
  };
  if (K == 0) {
    std::memset(C, 0, sizeof(float) * M * N);
    finish();
    return;
  }
  const PackedKernel &k = kernelFor(isa);
  const double flops = 2.0 * M * N * K;
  const int64_t panels = (N + k.nr - 1) / k.nr;
  unsigned parts = pool ? pool->threadCount() : 1;
  if (parts > 1 && splitFlops > 0)
    parts = (unsigned)std::clamp<double>(flops / (splitFlops / 2), 1, parts);
  if (parts <= 1 || panels < 2 || flops < splitFlops) {
    partInBlocks(k, A, P, C, M, N, K, 0, N);
    finish();
    return;
  }
  // With at least 8 rows a part, by rows (the batch): each thread then
  // reads only its own rows of A and writes its own rows of C, which is also
  // how the step's fused gate loop splits its outer run, so h and the gate
  // pre-activations stay in the core that computes them; W is read whole
  // by each. By columns otherwise: each thread keeps half of W in its L2,
  // but reads the other core's half of A. Interleaved, 2 threads, B = 64:
  // lstm 256 293 -> 270 us/step, lstm 512 953 -> 898. The rows loop
  // `then` runs in the same part, on the rows just computed.
  if (M >= 8 * static_cast<int64_t>(parts)) {
    pool->parallelFor(
        M,
        [&](int64_t m0, int64_t m1) {
          partInBlocks(k, A + m0 * K, P, C + m0 * N, m1 - m0, N, K, 0, N);
          if (then)
            then->fn(then->env, m0, m1);
        },
        parts);
    return;
  }
  pool->parallelFor(
      panels,
      [&](int64_t u0, int64_t u1) {
        partInBlocks(k, A, P, C, M, N, K, u0 * k.nr, std::min(N, u1 * k.nr));
      },
      parts);
  finish();
}

} // namespace rnnc::gemm

/// The instruction set both C entries use, chosen once: packing and the
/// product must agree on the panel width.
static rnnc::gemm::Isa hostIsa() {
  static const rnnc::gemm::Isa isa = rnnc::gemm::defaultIsa();
  return isa;
}

/// The pool for a one-row product of N x K (and its packing, split alike):
/// the global one when a row is worth splitting.
static rnnc::ThreadPool *gemvPool(int64_t N, int64_t K) {
  return 2.0 * N * K >= rnnc::gemm::kSplitFlopsFewRows
             ? &rnnc::ThreadPool::global()
             : nullptr;
}

extern "C" int32_t rnnc_pack_b(const float *B, float *P, int64_t M, int64_t N,
                               int64_t K, int32_t transB, int64_t steps) {
  using namespace rnnc::gemm;
  const PackedLayout layout = packedLayoutFor(M, N, K, steps);
  if (layout == kPackedGemv) {
    // Split as the products will be (M = 1 <= kFewRows), so that each
    // thread packs the panels it is going to read.
    packGemv(hostIsa(), B, P, N, K, transB != 0, gemvPool(N, K),
             kSplitFlopsFewRows);
  } else if (layout == kPackedPanels) {
    packB(hostIsa(), B, P, N, K, transB != 0);
  }
  return layout;
}

namespace {
void packedProduct(const float *A, const float *B, const float *P,
                   int32_t packed, float *C, int64_t M, int64_t N, int64_t K,
                   int32_t transB, const rnnc::gemm::RowsThen *then) {
  using namespace rnnc::gemm;
  if (packed == kPackedGemv) {
    gemvPacked(hostIsa(), A, P, C, M, N, K, gemvPool(N, K), kSplitFlopsFewRows);
    if (then)
      rnnc_parallel_for(then->fn, then->env, M, then->work);
    return;
  }
  if (packed != kPackedPanels) {
    rnnc_matmul(A, B, C, 1, M, N, K, 0, transB, M * K, 0, M * N);
    if (then)
      rnnc_parallel_for(then->fn, then->env, M, then->work);
    return;
  }
  const double split = M <= kFewRows ? kSplitFlopsFewRows : kSplitFlops;
  const bool big = 2.0 * M * N * K >= split;
  matmulPacked(hostIsa(), A, P, C, M, N, K,
               big ? &rnnc::ThreadPool::global() : nullptr, split, then);
}
} // namespace

extern "C" void rnnc_matmul_packed(const float *A, const float *B,
                                   const float *P, int32_t packed, float *C,
                                   int64_t M, int64_t N, int64_t K,
                                   int32_t transB) {
  packedProduct(A, B, P, packed, C, M, N, K, transB, nullptr);
}

extern "C" void rnnc_matmul_packed_rows(const float *A, const float *B,
                                        const float *P, int32_t packed,
                                        float *C, int64_t M, int64_t N,
                                        int64_t K, int32_t transB,
                                        void (*rows)(void *, int64_t, int64_t),
                                        void *env, int64_t work) {
  const rnnc::gemm::RowsThen then{rows, env, work};
  packedProduct(A, B, P, packed, C, M, N, K, transB, &then);
}
