//===- runtime/GemmKernels.h - Micro-kernels of the GEMMs -*- C++ -*-===//
//
// The register-blocked pieces both GEMM drivers are built from: the general
// rnnc_matmul (runtime/MatMul.cpp) and the pre-packed product a scan uses
// for its loop-invariant weights (runtime/PackedMatMul.cpp). Everything here
// is an always-inline template over an instruction-set description (Cfg),
// so that each driver's target-attributed entry points (AVX-512, AVX2 +
// FMA, the baseline) get their own copy compiled for that instruction set.
// Internal to the runtime: not part of its API.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_GEMMKERNELS_H
#define RNNC_RUNTIME_GEMMKERNELS_H

#include <algorithm>
#include <cstdint>
#include <cstring>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define RNNC_GEMM_X86 1
#define RNNC_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#define RNNC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define RNNC_GEMM_X86 0
#endif

#define RNNC_INLINE __attribute__((always_inline)) inline

namespace rnnc::gemm::kernels {

typedef float V4 __attribute__((vector_size(16)));
typedef float V8 __attribute__((vector_size(32)));
typedef float V16 __attribute__((vector_size(64)));

// One instruction set's vector type and blocking. MR x NRV vectors of C are
// the Axpy micro-kernel's accumulators (plus NRV loads and a broadcast, all
// within the register file); PMR is the same for the pre-packed product,
// whose row tiles are balanced over M and so can be taller (AVX-512: 12 x 2
// of the 32 registers, where MR = 8 keeps rnnc_matmul's M % MR tails
// small); DR x DS and 1 x DS1 are the Dot tiles, whose accumulator counts
// are multiples of L so that the shuffle tree applies.
struct Avx512Cfg {
  using V = V16;
  static constexpr int L = 16, MR = 8, PMR = 12, NRV = 2, DR = 4, DS = 4,
                       DS1 = 16;
  static constexpr int64_t KC = 128, SlabFloats = 128 * 1024;
};
struct Avx2Cfg {
  using V = V8;
  static constexpr int L = 8, MR = 6, PMR = 6, NRV = 2, DR = 4, DS = 2, DS1 = 8;
  static constexpr int64_t KC = 256, SlabFloats = 64 * 1024;
};
struct GenericCfg {
  using V = V4;
  static constexpr int L = 4, MR = 4, PMR = 4, NRV = 2, DR = 2, DS = 2, DS1 = 4;
  static constexpr int64_t KC = 256, SlabFloats = 32 * 1024;
};

constexpr int kMaxNR = 32;
constexpr int kMaxMR = 12;
constexpr int64_t kMaxKC = 256;

/// x in every lane. Not `V{} + x`: adding +0.0 is not an identity in IEEE
/// arithmetic (-0.0 + 0.0 = +0.0), so GCC keeps the scalar add and then
/// broadcasts the register, two FP-pipe instructions per row and k beside
/// the micro-kernel's FMAs; a shuffle of lane 0 folds into one broadcast
/// load (vbroadcastss mem), which only uses a load port.
RNNC_INLINE V4 splat(V4, float x) {
  V4 t{x};
  return __builtin_shufflevector(t, t, 0, 0, 0, 0);
}
RNNC_INLINE V8 splat(V8, float x) {
  V8 t{x};
  return __builtin_shufflevector(t, t, 0, 0, 0, 0, 0, 0, 0, 0);
}
RNNC_INLINE V16 splat(V16, float x) {
  V16 t{x};
  return __builtin_shufflevector(t, t, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0);
}

template <class V> RNNC_INLINE V load(const float *p) {
  V v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
template <class V> RNNC_INLINE void store(float *p, V v) {
  std::memcpy(p, &v, sizeof(v));
}

// combine(x, y): lanes [0, L/2) hold the sums of adjacent lane pairs of x,
// lanes [L/2, L) those of y. log2(L) rounds over L vectors leave one vector
// whose lane j is the full sum of vector j.
RNNC_INLINE V4 combine(V4 x, V4 y) {
  return __builtin_shufflevector(x, y, 0, 2, 4, 6) +
         __builtin_shufflevector(x, y, 1, 3, 5, 7);
}
RNNC_INLINE V8 combine(V8 x, V8 y) {
  return __builtin_shufflevector(x, y, 0, 2, 4, 6, 8, 10, 12, 14) +
         __builtin_shufflevector(x, y, 1, 3, 5, 7, 9, 11, 13, 15);
}
RNNC_INLINE V16 combine(V16 x, V16 y) {
  return __builtin_shufflevector(x, y, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20,
                                 22, 24, 26, 28, 30) +
         __builtin_shufflevector(x, y, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21,
                                 23, 25, 27, 29, 31);
}

/// out[j] = sum of the lanes of v[j], j < L.
template <class Cfg>
RNNC_INLINE void reduceGroup(typename Cfg::V *v, float *out) {
#pragma GCC unroll 16
  for (int n = Cfg::L; n > 1; n /= 2)
#pragma GCC unroll 16
    for (int i = 0; i < n / 2; ++i)
      v[i] = combine(v[2 * i], v[2 * i + 1]);
  store(out, v[0]);
}

template <class Cfg> RNNC_INLINE float hsum(typename Cfg::V v) {
  float s = 0;
#pragma GCC unroll 16
  for (int i = 0; i < Cfg::L; ++i)
    s += v[i];
  return s;
}

//===-- Axpy form ---------------------------------------------------------===//

/// C[R, NR] (=|+=) A'[R, kc] * B'[kc, NR], A'(r,k) = a[r*sam + k*sak],
/// B'(k,j) = b[k*ldb + j], C(r,j) = c[r*ldc + j].
template <class Cfg, int R>
RNNC_INLINE void axpyTile(const float *a, int64_t sam, int64_t sak,
                          const float *b, int64_t ldb, float *c, int64_t ldc,
                          int64_t kc, bool accumulate) {
  using V = typename Cfg::V;
  constexpr int L = Cfg::L, NV = Cfg::NRV;
  V s[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j)
      s[r][j] = accumulate ? load<V>(c + r * ldc + j * L) : V{};
  for (int64_t k = 0; k < kc; ++k) {
    const float *bk = b + k * ldb;
    const float *ak = a + k * sak;
    V bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j)
      bv[j] = load<V>(bk + j * L);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const V av = splat(V{}, ak[r * sam]);
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j)
        s[r][j] += av * bv[j];
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j)
      store(c + r * ldc + j * L, s[r][j]);
}

/// axpyTile with the row count chosen at run time (rows = 1..R).
template <class Cfg, int R>
RNNC_INLINE void
axpyTileRows(int rows, const float *a, int64_t sam, int64_t sak, const float *b,
             int64_t ldb, float *c, int64_t ldc, int64_t kc, bool accumulate) {
  if constexpr (R == 1) {
    axpyTile<Cfg, 1>(a, sam, sak, b, ldb, c, ldc, kc, accumulate);
  } else {
    if (rows == R)
      axpyTile<Cfg, R>(a, sam, sak, b, ldb, c, ldc, kc, accumulate);
    else
      axpyTileRows<Cfg, R - 1>(rows, a, sam, sak, b, ldb, c, ldc, kc,
                               accumulate);
  }
}

/// axpyTileRows for the last, partial panel: only the first w < NR columns
/// of C exist, so the tile goes through `tile` (kMaxMR x kMaxNR floats on
/// the caller's stack), the panel being zero-padded past them.
template <class Cfg, int R>
RNNC_INLINE void axpyTailRows(int rows, const float *a, int64_t sam,
                              int64_t sak, const float *panel, float *c,
                              int64_t ldc, int64_t w, int64_t kc,
                              bool accumulate, float *tile) {
  constexpr int NR = Cfg::NRV * Cfg::L;
  if (accumulate)
    for (int r = 0; r < rows; ++r)
      std::memcpy(tile + r * NR, c + r * ldc, sizeof(float) * w);
  axpyTileRows<Cfg, R>(rows, a, sam, sak, panel, NR, tile, NR, kc, accumulate);
  for (int r = 0; r < rows; ++r)
    std::memcpy(c + r * ldc, tile + r * NR, sizeof(float) * w);
}

/// The 8 x 8 block at src (rows lds apart) transposed into dst (rows ldd
/// apart), in registers: unpack pairs of rows, then pairs of pairs, then
/// swap the 128-bit halves (24 shuffles for 64 floats, where element-wise
/// copies make 64 strided loads).
RNNC_INLINE void transpose8(const float *src, int64_t lds, float *dst,
                            int64_t ldd) {
  V8 r[8], t[8], u[8];
#pragma GCC unroll 8
  for (int i = 0; i < 8; ++i)
    r[i] = load<V8>(src + i * lds);
#pragma GCC unroll 4
  for (int i = 0; i < 8; i += 2) {
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] =
        __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  // u[q] for q = 4h + c holds columns c and c + 4 of rows 4h .. 4h + 3.
#pragma GCC unroll 2
  for (int h = 0; h < 8; h += 4) {
    u[h] = __builtin_shufflevector(t[h], t[h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[h + 1] =
        __builtin_shufflevector(t[h], t[h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[h + 2] =
        __builtin_shufflevector(t[h + 1], t[h + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[h + 3] =
        __builtin_shufflevector(t[h + 1], t[h + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
#pragma GCC unroll 4
  for (int c = 0; c < 4; ++c) {
    store(dst + c * ldd,
          __builtin_shufflevector(u[c], u[c + 4], 0, 1, 2, 3, 8, 9, 10, 11));
    store(dst + (c + 4) * ldd,
          __builtin_shufflevector(u[c], u[c + 4], 4, 5, 6, 7, 12, 13, 14, 15));
  }
}

/// dst[k * ldd + j] = src[j * lds + k] for j < J, k < Kc: 8 x 8 blocks in
/// registers, the edges element by element.
RNNC_INLINE void transposeInto(const float *src, int64_t lds, float *dst,
                               int64_t ldd, int64_t J, int64_t Kc) {
  const int64_t J8 = J / 8 * 8, K8 = Kc / 8 * 8;
  for (int64_t k = 0; k < K8; k += 8)
    for (int64_t j = 0; j < J8; j += 8)
      transpose8(src + j * lds + k, lds, dst + k * ldd + j, ldd);
  for (int64_t k = 0; k < Kc; ++k) {
    for (int64_t j = J8; j < J; ++j)
      dst[k * ldd + j] = src[j * lds + k];
    if (k >= K8)
      for (int64_t j = 0; j < J8; ++j)
        dst[k * ldd + j] = src[j * lds + k];
  }
}

/// Rows k0..k0+kc of op(B) packed panel by panel, GotoBLAS style: panel p
/// is the kc x NR block of columns p*NR.., contiguous (P + p*kc*NR, rows NR
/// apart) and zero-padded past N. The micro-kernel then walks memory
/// sequentially; reading op(B) in place, its rows N floats apart (4 KiB for
/// 1024 columns) fall in a few L1 sets and evict each other.
template <int NR>
RNNC_INLINE void packPanels(const float *B, int64_t ldb, bool transposed,
                            float *P, int64_t N, int64_t k0, int64_t kc) {
  for (int64_t n0 = 0; n0 < N; n0 += NR) {
    float *dst = P + n0 * kc; // (n0 / NR) * kc * NR
    const int64_t w = std::min<int64_t>(NR, N - n0);
    if (!transposed) {
      for (int64_t k = 0; k < kc; ++k) {
        const float *src = B + (k0 + k) * ldb + n0;
        if (w == NR) {
          std::memcpy(dst + k * NR, src, sizeof(float) * NR);
        } else {
          for (int64_t j = 0; j < NR; ++j)
            dst[k * NR + j] = j < w ? src[j] : 0.0f;
        }
      }
    } else {
      transposeInto(B + n0 * ldb + k0, ldb, dst, NR, w, kc);
      if (w < NR)
        for (int64_t k = 0; k < kc; ++k)
          std::fill(dst + k * NR + w, dst + (k + 1) * NR, 0.0f);
    }
  }
}

} // namespace rnnc::gemm::kernels

#endif // RNNC_RUNTIME_GEMMKERNELS_H
