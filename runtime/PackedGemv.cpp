//===- runtime/PackedGemv.cpp - One-row products against a packed weight --===//
//
// At batch 1 a scan's per-step product h_t @ W^T is a matrix-vector
// product: every step reads all of W (the GRU 256's 768 x 256 gate weights
// are 768 KiB) and does two FLOPs per float read, so its speed is the rate
// at which W streams from L2. rnnc_matmul's Dot form reads W in place: 16
// rows of W side by side (16 streams 1 KiB apart, more pointers than
// registers) and a shuffle-tree reduction per 16 outputs. The panel layout
// of runtime/PackedMatMul.cpp streams well but has only NRV = 2 vectors of
// accumulators for one row, so its FMA chains, not memory, set the pace.
//
// Here op(W) is packed once per scan into panels of kGemvVectors vectors of
// columns, each panel [K, w] contiguous (w = its width, kGemvVectors * L
// except for the last, rounded up to L and zero-padded): element (k, n) of
// panel p (columns n0 = p * kGemvVectors * L ..) lives at
//   P[n0 * K + k * w + (n - n0)].
// A step then reads each panel front to back, one broadcast of h_t[k] and
// kGemvVectors FMAs with memory operands per k: a single sequential stream
// per panel and enough independent chains to keep the loads, not the FMA
// latency, the limit. Each element of C is still one FMA chain along k in
// order, so the result equals the Axpy form's bit for bit. The total is
// N rounded up to L, times K: within packedFloats(N, K).
//
// Threads split the panels, for the product and for the packing alike (the
// same parts of the same count), so each core packs the panels it will read
// at every step and finds them in its own L2.
//
//===----------------------------------------------------------------------===//
#include "runtime/Gemm.h"
#include "runtime/GemmKernels.h"
#include "runtime/ThreadPool.h"

namespace rnnc::gemm {
namespace {
using namespace kernels;

/// Vectors of columns per panel: 8 chains of 4-cycle FMAs issue 2 vectors
/// a cycle, more than L2 delivers, with a quarter of the register file.
constexpr int kGemvVectors = 8;

template <class Cfg> constexpr int64_t gemvPanelWidth() {
  return kGemvVectors * Cfg::L;
}

/// Columns [n0, n0 + w) of op(B) (w a multiple of L, zero past N) into the
/// panel at P + n0 * K.
template <class Cfg>
RNNC_INLINE void packPanel(const float *B, float *P, int64_t N, int64_t K,
                           bool transB, int64_t n0, int64_t w) {
  float *dst = P + n0 * K;
  const int64_t have = std::min(w, N - n0);
  if (!transB) {
    for (int64_t k = 0; k < K; ++k) {
      std::memcpy(dst + k * w, B + k * N + n0, sizeof(float) * have);
      std::fill(dst + k * w + have, dst + (k + 1) * w, 0.0f);
    }
    return;
  }
  transposeInto(B + n0 * K, K, dst, w, have, K);
  if (have < w)
    for (int64_t k = 0; k < K; ++k)
      std::fill(dst + k * w + have, dst + (k + 1) * w, 0.0f);
}

/// C[n0, n0 + NV*L) (=) a[0, K) * panel, the panel NV vectors wide; only
/// the first `have` columns of C exist.
template <class Cfg, int NV>
RNNC_INLINE void gemvPanel(const float *a, const float *panel, float *c,
                           int64_t K, int64_t have) {
  using V = typename Cfg::V;
  constexpr int L = Cfg::L;
  V s[NV];
#pragma GCC unroll 16
  for (int j = 0; j < NV; ++j)
    s[j] = V{};
  for (int64_t k = 0; k < K; ++k) {
    const V av = splat(V{}, a[k]);
    const float *pk = panel + k * (NV * L);
#pragma GCC unroll 16
    for (int j = 0; j < NV; ++j)
      s[j] += av * load<V>(pk + j * L);
  }
  if (have == NV * L) {
#pragma GCC unroll 16
    for (int j = 0; j < NV; ++j)
      store(c + j * L, s[j]);
    return;
  }
  alignas(64) float tile[NV * L];
#pragma GCC unroll 16
  for (int j = 0; j < NV; ++j)
    store(tile + j * L, s[j]);
  std::memcpy(c, tile, sizeof(float) * have);
}

/// gemvPanel with the panel's vector count chosen at run time (1..NV).
template <class Cfg, int NV>
RNNC_INLINE void gemvPanelOf(int vectors, const float *a, const float *panel,
                             float *c, int64_t K, int64_t have) {
  if constexpr (NV == 1) {
    gemvPanel<Cfg, 1>(a, panel, c, K, have);
  } else {
    if (vectors == NV)
      gemvPanel<Cfg, NV>(a, panel, c, K, have);
    else
      gemvPanelOf<Cfg, NV - 1>(vectors, a, panel, c, K, have);
  }
}

/// Panels [p0, p1) of every row of C; A and C row-major, M rows.
template <class Cfg>
RNNC_INLINE void gemvPart(const float *A, const float *P, float *C, int64_t M,
                          int64_t N, int64_t K, int64_t p0, int64_t p1) {
  constexpr int64_t W = gemvPanelWidth<Cfg>();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n0 = p * W, have = std::min(W, N - n0);
      const int vectors = static_cast<int>((have + Cfg::L - 1) / Cfg::L);
      gemvPanelOf<Cfg, kGemvVectors>(vectors, A + m * K, P + n0 * K,
                                     C + m * N + n0, K, have);
    }
}

template <class Cfg>
RNNC_INLINE void packPart(const float *B, float *P, int64_t N, int64_t K,
                          bool transB, int64_t p0, int64_t p1) {
  constexpr int64_t W = gemvPanelWidth<Cfg>();
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t n0 = p * W;
    const int64_t w = std::min(W, (N - n0 + Cfg::L - 1) / Cfg::L * Cfg::L);
    packPanel<Cfg>(B, P, N, K, transB, n0, w);
  }
}

struct GemvKernel {
  void (*pack)(const float *, float *, int64_t, int64_t, bool, int64_t,
               int64_t);
  void (*part)(const float *, const float *, float *, int64_t, int64_t, int64_t,
               int64_t, int64_t);
  int64_t width;
};

void packGeneric(const float *B, float *P, int64_t N, int64_t K, bool t,
                 int64_t p0, int64_t p1) {
  packPart<GenericCfg>(B, P, N, K, t, p0, p1);
}
void partGeneric(const float *A, const float *P, float *C, int64_t M, int64_t N,
                 int64_t K, int64_t p0, int64_t p1) {
  gemvPart<GenericCfg>(A, P, C, M, N, K, p0, p1);
}
#if RNNC_GEMM_X86
RNNC_TARGET_AVX2 void packAvx2(const float *B, float *P, int64_t N, int64_t K,
                               bool t, int64_t p0, int64_t p1) {
  packPart<Avx2Cfg>(B, P, N, K, t, p0, p1);
}
RNNC_TARGET_AVX2 void partAvx2(const float *A, const float *P, float *C,
                               int64_t M, int64_t N, int64_t K, int64_t p0,
                               int64_t p1) {
  gemvPart<Avx2Cfg>(A, P, C, M, N, K, p0, p1);
}
RNNC_TARGET_AVX512 void packAvx512(const float *B, float *P, int64_t N,
                                   int64_t K, bool t, int64_t p0, int64_t p1) {
  packPart<Avx512Cfg>(B, P, N, K, t, p0, p1);
}
RNNC_TARGET_AVX512 void partAvx512(const float *A, const float *P, float *C,
                                   int64_t M, int64_t N, int64_t K, int64_t p0,
                                   int64_t p1) {
  gemvPart<Avx512Cfg>(A, P, C, M, N, K, p0, p1);
}
#endif

const GemvKernel &kernelFor(Isa isa) {
  static const GemvKernel generic{packGeneric, partGeneric,
                                  gemvPanelWidth<GenericCfg>()};
#if RNNC_GEMM_X86
  static const GemvKernel avx2{packAvx2, partAvx2, gemvPanelWidth<Avx2Cfg>()};
  static const GemvKernel avx512{packAvx512, partAvx512,
                                 gemvPanelWidth<Avx512Cfg>()};
  if (isa == Isa::Avx512)
    return avx512;
  if (isa == Isa::Avx2)
    return avx2;
#endif
  (void)isa;
  return generic;
}

/// The parts both the packing and the product use: a split of the panels
/// decided by the product's FLOPs per row, so the same pool cuts both
/// alike.
unsigned partsFor(ThreadPool *pool, int64_t panels, int64_t N, int64_t K,
                  double splitFlops) {
  if (!pool || panels < 2)
    return 1;
  const double flops = 2.0 * N * K;
  unsigned parts = pool->threadCount();
  if (parts > 1 && splitFlops > 0)
    parts = (unsigned)std::clamp<double>(flops / (splitFlops / 2), 1, parts);
  if (flops < splitFlops)
    return 1;
  return parts;
}

} // namespace

void packGemv(Isa isa, const float *B, float *P, int64_t N, int64_t K,
              bool transB, ThreadPool *pool, double splitFlops) {
  if (N <= 0 || K <= 0)
    return;
  const GemvKernel &k = kernelFor(isa);
  const int64_t panels = (N + k.width - 1) / k.width;
  const unsigned parts = partsFor(pool, panels, N, K, splitFlops);
  if (parts <= 1) {
    k.pack(B, P, N, K, transB, 0, panels);
    return;
  }
  pool->parallelFor(
      panels,
      [&](int64_t p0, int64_t p1) { k.pack(B, P, N, K, transB, p0, p1); },
      parts);
}

void gemvPacked(Isa isa, const float *A, const float *P, float *C, int64_t M,
                int64_t N, int64_t K, ThreadPool *pool, double splitFlops) {
  if (M <= 0 || N <= 0)
    return;
  if (K == 0) {
    std::memset(C, 0, sizeof(float) * M * N);
    return;
  }
  const GemvKernel &k = kernelFor(isa);
  const int64_t panels = (N + k.width - 1) / k.width;
  const unsigned parts = partsFor(pool, panels, N, K, splitFlops);
  if (parts <= 1) {
    k.part(A, P, C, M, N, K, 0, panels);
    return;
  }
  pool->parallelFor(
      panels, [&](int64_t p0, int64_t p1) { k.part(A, P, C, M, N, K, p0, p1); },
      parts);
}

} // namespace rnnc::gemm
