//===- runtime/MatMul.cpp - The GEMM kernel compiled code calls -----------===//
//
// rnnc_matmul: C[b] = op(A[b]) * op(B[b]) for the shapes an RNN produces: few
// rows (the batch, 1..64) against weight matrices of a few hundred rows and
// columns, small K for weight gradients (K = batch), and the occasional tall
// product over all T*B rows. Two loop forms (runtime/Gemm.h):
//
//   - Axpy, GotoBLAS style but without packing op(A): a micro-kernel keeps
//     an MR x NR block of C in registers and, per k, broadcasts MR values of
//     op(A) against one NR-wide row of op(B) (FMA). op(A) is read in place
//     through strides (a transposed A just swaps them), which matters when
//     K = 32: packing A would cost as much as the product. Only a
//     transposed A over a long K (a weight gradient over all T*B rows),
//     whose rows 4 KiB apart alias in L1, is copied per MR x KC sliver
//     before the panels of op(B) that reuse it. op(B) rows must
//     be contiguous: B itself, or for transB a [K,N] copy packed once per
//     call (once per batch when strideB = 0). Blocking over K and N keeps a
//     KC x NC slab of op(B) in L2 while each MR x KC sliver of A, in L1,
//     sweeps it, writing C a row block at a time. Column tails
//     (N % NR) go through a zero-padded panel and a C tile on the stack, so
//     the micro-kernel has no masked path.
//   - Dot, for A * B^T with neither packed (x @ W^T with few rows): tiles of
//     R x S dot products along K, reduced by a shuffle tree that turns L
//     accumulators into one vector of L sums. No packing, so a batch of 1..32
//     rows does not pay for transposing the weights.
//
// The kernels are templates over an ISA description, inlined into one entry
// function per instruction set (target attributes: AVX-512, AVX2 + FMA, and
// the build's baseline), and rnnc_matmul picks one at load time with
// __builtin_cpu_supports. Not target_clones("avx2"): that clone does not get
// FMA, and "arch=haswell" is dispatched on the CPU model, so an AMD Zen would
// get the baseline.
//
// Threads: a product of at least kSplitFlops (runtime/Gemm.h) is cut into
// parts on the plan's tile grid (column panels, row tiles or batch items:
// split()) and run on ThreadPool::global(). Each part runs the same loops
// from its corner, so every element of C sees the same tile shape, K
// blocking and reduction as in one piece: bit-identical for any thread
// count. Smaller products stay on the caller, except that products of a
// few rows (the per-step GEMV at B = 1) split from kSplitFlopsFewRows: they
// are latency-bound on reading W, which two cores' caches hold in halves.
//
//===----------------------------------------------------------------------===//
#include "runtime/Gemm.h"
#include "runtime/GemmKernels.h"
#include "runtime/KernelABI.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace rnnc::gemm {
namespace {
using namespace kernels;

/// How axpyForm reads op(B).
enum class PackB {
  None,       // in place: op(B)(k,n) = B[k*ldb + n]
  Plain,      // the same, packed into panels first
  Transposed, // B stored [N,K]: op(B)(k,n) = B[n*ldb + k], packed
};

/// C[M,N] = A'[M,K] * op(B)[K,N] with A'(m,k) = A[m*sam + k*sak]; C
/// row-major, rows ldc apart (ldc > N for a column range of a wider C). For
/// PackB::Plain / Transposed each KC-row chunk of op(B) is packed into P (KC x
/// N rounded up to NR) just before use, so it is still in L2 when the
/// micro-kernel reads it. keepPack: P already holds op(B) (a B shared across
/// the batch that fits one chunk).
template <class Cfg>
RNNC_INLINE void axpyForm(const float *A, int64_t sam, int64_t sak,
                          const float *B, int64_t ldb, PackB pack, float *C,
                          int64_t M, int64_t N, int64_t K, float *P,
                          bool keepPack, int64_t ldc) {
  constexpr int MR = Cfg::MR, NR = Cfg::NRV * Cfg::L;
  static_assert(MR <= kMaxMR && NR <= kMaxNR && Cfg::KC <= kMaxKC);
  const int64_t nFull = N / NR * NR;
  const int64_t nTail = N - nFull;
  // The column tail: unpacked, op(B) columns nFull..N are copied into a
  // zero-padded KC x NR panel (packed, the last panel is padded already);
  // C goes through a stack tile.
  alignas(64) float panel[kMaxKC * kMaxNR];
  alignas(64) float tile[kMaxMR * kMaxNR] = {};
  // op(A) read down its columns with rows far apart (A transposed, long
  // rows) is worth copying per MR x KC sliver when several panels of op(B)
  // reuse it over a long K.
  alignas(64) float sliver[kMaxKC * kMaxMR];
  // (rnnc-bench-gemm, 1 thread: the char-LM's dU, [1024, 2048]^T x
  // [2048, 256], 151 -> 164 GFLOP/s; 2 threads 3.6-4.1 -> 3.3-3.4 ms. With
  // 2 panels (N = 64) or K = 32 it did not pay.)
  const bool packA = sam == 1 && sak >= 64 && N >= 4 * NR && K >= 256;
  for (int64_t k0 = 0; k0 < K; k0 += Cfg::KC) {
    const int64_t kc = std::min<int64_t>(Cfg::KC, K - k0);
    const bool acc = k0 > 0;
    const bool packed = pack != PackB::None;
    if (packed && !(keepPack && K <= Cfg::KC))
      packPanels<NR>(B, ldb, pack == PackB::Transposed, P, N, k0, kc);
    // Panel n (a multiple of NR) of op(B) and its row distance.
    auto panelAt = [&](int64_t n) {
      return packed ? P + n * kc : B + k0 * ldb + n;
    };
    const int64_t ldp = packed ? NR : ldb;
    const float *tailPanel = panel;
    if (nTail && packed) {
      tailPanel = panelAt(nFull);
    } else if (nTail) {
      for (int64_t k = 0; k < kc; ++k) {
        const float *src = B + (k0 + k) * ldb + nFull;
        for (int j = 0; j < NR; ++j)
          panel[k * NR + j] = j < nTail ? src[j] : 0.0f;
      }
    }
    // The KC x NC slab of op(B) stays in L2 while each MR-row tile of A
    // (in L1) sweeps it; C is then written row-block by row-block, never
    // down a column (rows of C 4 KiB apart alias in L1 and the TLB).
    const int64_t nc = std::max<int64_t>(NR, Cfg::SlabFloats / kc / NR * NR);
    for (int64_t n0 = 0; n0 < N; n0 += nc) {
      const int64_t nEnd = std::min(nFull, n0 + nc);
      const bool doTail = nTail && n0 + nc >= N;
      for (int64_t m = 0; m < M; m += MR) {
        const int rows = (int)std::min<int64_t>(MR, M - m);
        const float *a = A + m * sam + k0 * sak;
        int64_t tsam = sam, tsak = sak;
        if (packA) {
          // The sliver's rows 4 KiB apart (a transposed A [K, 1024]) all
          // map to the same few L1 sets, so every panel of op(B) would
          // read it from L2 again: copied once, contiguous, per k0 and m.
          for (int64_t k = 0; k < kc; ++k)
            for (int i = 0; i < rows; ++i)
              sliver[k * MR + i] = a[i * sam + k * sak];
          a = sliver;
          tsam = 1;
          tsak = MR;
        }
        for (int64_t n = n0; n < nEnd; n += NR)
          axpyTileRows<Cfg, MR>(rows, a, tsam, tsak, panelAt(n), ldp,
                                C + m * ldc + n, ldc, kc, acc);
        if (doTail)
          axpyTailRows<Cfg, MR>(rows, a, tsam, tsak, tailPanel,
                                C + m * ldc + nFull, ldc, nTail, kc, acc, tile);
      }
    }
  }
}

//===-- Dot form ----------------------------------------------------------===//

/// C[R,S] = A[R,K] * B[S,K]^T, rows lda / ldb apart, C rows ldc apart.
template <class Cfg, int R, int S>
RNNC_INLINE void dotTile(const float *a, int64_t lda, const float *b,
                         int64_t ldb, float *c, int64_t ldc, int64_t K) {
  using V = typename Cfg::V;
  constexpr int L = Cfg::L;
  V s[R * S];
#pragma GCC unroll 16
  for (int i = 0; i < R * S; ++i)
    s[i] = V{};
  const int64_t kv = K / L * L;
  for (int64_t k = 0; k < kv; k += L) {
    V av[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
      av[r] = load<V>(a + r * lda + k);
#pragma GCC unroll 16
    for (int j = 0; j < S; ++j) {
      V bv = load<V>(b + j * ldb + k);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r)
        s[r * S + j] += av[r] * bv;
    }
  }
  float out[R * S];
  if constexpr ((R * S) % L == 0) {
#pragma GCC unroll 4
    for (int g = 0; g < R * S; g += L)
      reduceGroup<Cfg>(s + g, out + g);
  } else {
#pragma GCC unroll 16
    for (int i = 0; i < R * S; ++i)
      out[i] = hsum<Cfg>(s[i]);
  }
  if (kv < K) {
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < S; ++j) {
        float t = 0;
        for (int64_t k = kv; k < K; ++k)
          t += a[r * lda + k] * b[j * ldb + k];
        out[r * S + j] += t;
      }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 16
    for (int j = 0; j < S; ++j)
      c[r * ldc + j] = out[r * S + j];
}

/// R rows of C = A * B^T over N columns (C rows ldc apart): S columns at a
/// time, the rest one by one.
template <class Cfg, int R, int S>
RNNC_INLINE void dotRowBlock(const float *a, const float *B, float *c,
                             int64_t N, int64_t ldc, int64_t K) {
  int64_t n = 0;
  for (; n + S <= N; n += S)
    dotTile<Cfg, R, S>(a, K, B + n * K, K, c + n, ldc, K);
  for (; n < N; ++n)
    dotTile<Cfg, R, 1>(a, K, B + n * K, K, c + n, ldc, K);
}

template <class Cfg, int R>
RNNC_INLINE void dotRows(int rows, const float *a, const float *B, float *c,
                         int64_t N, int64_t ldc, int64_t K) {
  if constexpr (R == 1) {
    dotRowBlock<Cfg, 1, Cfg::DS1>(a, B, c, N, ldc, K);
  } else {
    if (rows == R)
      dotRowBlock<Cfg, R, Cfg::DS>(a, B, c, N, ldc, K);
    else
      dotRows<Cfg, R - 1>(rows, a, B, c, N, ldc, K);
  }
}

/// C[M,N] = A[M,K] * B[N,K]^T. B (the weights, 4H x I: up to 1 MiB) is
/// taken in chunks of rows that fit L2, and every row tile of A (the
/// activations, small) meets a chunk before the next one is read, so B
/// streams from memory once per call rather than once per row tile.
template <class Cfg>
RNNC_INLINE void dotForm(const float *A, const float *B, float *C, int64_t M,
                         int64_t N, int64_t K, int64_t ldc) {
  const int64_t chunk =
      std::max<int64_t>(Cfg::DS1, Cfg::SlabFloats / K / Cfg::DS1 * Cfg::DS1);
  for (int64_t n0 = 0; n0 < N; n0 += chunk) {
    const int64_t nc = std::min(chunk, N - n0);
    for (int64_t m = 0; m < M; m += Cfg::DR) {
      int rows = (int)std::min<int64_t>(Cfg::DR, M - m);
      dotRows<Cfg, Cfg::DR>(rows, A + m * K, B + n0 * K, C + m * ldc + n0, nc,
                            ldc, K);
    }
  }
}

//===-- Driver ------------------------------------------------------------===//

struct Call {
  const float *A, *B;
  float *C;
  int64_t batch, M, N, K;
  bool transA, transB;
  int64_t strideA, strideB, strideC;
  Form form;
};

/// A thread's scratch buffers (0: packed operand, 1: transposed result):
/// grown, never shrunk, so that the per-step calls of a training loop
/// allocate nothing after the first. Not inlined into the ISA entry points:
/// std::vector code stays baseline.
__attribute__((noinline)) float *scratch(int which, int64_t floats) {
  thread_local std::vector<float> bufs[2];
  std::vector<float> &buf = bufs[which];
  if ((int64_t)buf.size() < floats)
    buf.resize(floats);
  return buf.data();
}

/// How run() computes a product.
enum class Plan { Dot, Axpy, AxpyPackB, Swapped };

/// Dot pays no packing but a shuffle-tree reduction per tile, which K/L
/// vector steps must amortize. Axpy on a transposed B pays for packing it
/// (a K x N write and re-read, out of L1 for 4H x I weights) in proportion
/// to N*K, amortized over M only. Swapped computes C^T = B * A^T with the
/// Axpy kernel: the weights are read in place as the broadcast operand and
/// only the small activations (M x K) are packed, at the price of
/// transposing C (M x N) once at the end; it suits M = NR or 2 NR (B = 32
/// here). Measured with bench/GemmBench.cpp on the char-LM shapes.
template <class Cfg> RNNC_INLINE Plan plan(const Call &c) {
  // op(B) in place is fine while few row tiles of A reuse it; past that,
  // packing (one copy of K x N) pays for itself.
  if (!c.transB)
    return c.M > 64 ? Plan::AxpyPackB : Plan::Axpy;
  const bool dotOk = !c.transA && c.K >= Cfg::L;
  const bool swapOk = !c.transA;
  switch (c.form) {
  case Form::Dot:
    return dotOk ? Plan::Dot : Plan::AxpyPackB;
  case Form::Axpy:
    return Plan::AxpyPackB;
  case Form::Swapped:
    return swapOk ? Plan::Swapped : Plan::AxpyPackB;
  case Form::Auto:
    break;
  }
  // Swapped's output panels are NR columns of C^T, i.e. NR rows of C: M
  // must nearly fill them (M = 8 in 32-wide panels wastes 3/4).
  constexpr int64_t NR = Cfg::NRV * Cfg::L;
  const int64_t paddedM = (c.M + NR - 1) / NR * NR;
  if (dotOk && c.M < 8)
    return Plan::Dot;
  if (swapOk && c.M <= 64 && paddedM * 4 <= c.M * 5)
    return Plan::Swapped;
  if (dotOk && c.M <= 64 && c.K >= 128)
    return Plan::Dot;
  if (dotOk && c.K >= 128 && c.N < 128)
    return Plan::Dot;
  return Plan::AxpyPackB;
}

/// D[n*M + m] -> C[m*ldc + n], 16 x 16 blocks so both sides stay in L1.
RNNC_INLINE void transposeOut(const float *D, float *C, int64_t M, int64_t N,
                              int64_t ldc) {
  constexpr int64_t W = 16;
  for (int64_t m0 = 0; m0 < M; m0 += W)
    for (int64_t n0 = 0; n0 < N; n0 += W) {
      const int64_t mEnd = std::min(M, m0 + W), nEnd = std::min(N, n0 + W);
      for (int64_t m = m0; m < mEnd; ++m)
        for (int64_t n = n0; n < nEnd; ++n)
          C[m * ldc + n] = D[n * M + m];
    }
}

/// The part of a product one thread computes: batch items [b0, b1), and of
/// each item's C rows [m0, m1) and columns [n0, n1).
struct Part {
  int64_t b0, b1, m0, m1, n0, n1;
};

/// One Part of c by plan p. The loops over a part are the whole product's
/// loops started at (m0, n0): a part whose corner sits on the plan's tile
/// grid (split() ensures it) gives each of its elements the same tile
/// shape, the same K blocking and the same reduction as computing C in one
/// piece, so the result is bit-identical for any split. Scratch buffers
/// are the running thread's own.
template <class Cfg>
RNNC_INLINE void runPart(const Call &c, Plan p, const Part &r) {
  const int64_t M = c.M, N = c.N, K = c.K;
  const int64_t ms = r.m1 - r.m0, ns = r.n1 - r.n0;
  if (ms <= 0 || ns <= 0)
    return;
  const int64_t sam = c.transA ? 1 : K, sak = c.transA ? M : 1;
  const int64_t kc = std::min<int64_t>(K, Cfg::KC);
  constexpr int64_t NR = Cfg::NRV * Cfg::L;
  auto padded = [](int64_t n) { return (n + NR - 1) / NR * NR; };
  float *P = p == Plan::AxpyPackB ? scratch(0, kc * padded(ns))
             : p == Plan::Swapped ? scratch(0, kc * padded(M))
                                  : nullptr;
  float *D = p == Plan::Swapped ? scratch(1, ns * M) : nullptr;
  for (int64_t b = r.b0; b < r.b1; ++b) {
    const float *a = c.A + b * c.strideA, *bb = c.B + b * c.strideB;
    float *out = c.C + b * c.strideC + r.m0 * N + r.n0;
    if (K == 0) {
      for (int64_t m = 0; m < ms; ++m)
        std::memset(out + m * N, 0, sizeof(float) * ns);
      continue;
    }
    switch (p) {
    case Plan::Dot:
      dotForm<Cfg>(a + r.m0 * K, bb + r.n0 * K, out, ms, ns, K, N);
      break;
    case Plan::Axpy:
      axpyForm<Cfg>(a + r.m0 * sam, sam, sak, bb + r.n0, N, PackB::None, out,
                    ms, ns, K, nullptr, false, N);
      break;
    case Plan::AxpyPackB:
      axpyForm<Cfg>(a + r.m0 * sam, sam, sak,
                    c.transB ? bb + r.n0 * K : bb + r.n0, c.transB ? K : N,
                    c.transB ? PackB::Transposed : PackB::Plain, out, ms, ns, K,
                    P, /*keepPack=*/b > r.b0 && c.strideB == 0, N);
      break;
    case Plan::Swapped:
      // D[ns,M] = B[n0..n1, K] * A^T: B rows broadcast in place (sam = K,
      // sak = 1), A [M,K] packed K-chunk by K-chunk into [kc, M]. Parts of
      // a Swapped plan never split M.
      axpyForm<Cfg>(bb + r.n0 * K, K, 1, a, K, PackB::Transposed, D, ns, M, K,
                    P, /*keepPack=*/false, M);
      transposeOut(D, out, M, ns, N);
      break;
    }
  }
}

void partGeneric(const Call &c, Plan p, const Part &r) {
  runPart<GenericCfg>(c, p, r);
}
#if RNNC_GEMM_X86
RNNC_TARGET_AVX2 void partAvx2(const Call &c, Plan p, const Part &r) {
  runPart<Avx2Cfg>(c, p, r);
}
RNNC_TARGET_AVX512 void partAvx512(const Call &c, Plan p, const Part &r) {
  runPart<Avx512Cfg>(c, p, r);
}
#endif

/// One instruction set's kernel: its plan, its part runner, and the tile
/// grid a part's corner must sit on (see split()).
struct Kernel {
  Plan (*plan)(const Call &);
  void (*part)(const Call &, Plan, const Part &);
  int64_t mr, nr, dr, ds1;
};

template <class Cfg> Plan planOf(const Call &c) {
  return c.K == 0 ? Plan::Axpy : plan<Cfg>(c);
}

template <class Cfg>
constexpr Kernel kernelOf(void (*part)(const Call &, Plan, const Part &)) {
  return Kernel{planOf<Cfg>,       part,    Cfg::MR,
                Cfg::NRV * Cfg::L, Cfg::DR, Cfg::DS1};
}

constexpr Kernel kGeneric = kernelOf<GenericCfg>(partGeneric);
#if RNNC_GEMM_X86
constexpr Kernel kAvx2 = kernelOf<Avx2Cfg>(partAvx2);
constexpr Kernel kAvx512 = kernelOf<Avx512Cfg>(partAvx512);
#endif

const Kernel &kernelFor(Isa isa) {
  switch (isa) {
#if RNNC_GEMM_X86
  case Isa::Avx512:
    return kAvx512;
  case Isa::Avx2:
    return kAvx2;
#endif
  default:
    return kGeneric;
  }
}

/// Which way a product is cut across threads, in units of whole tiles:
///   - batch items, which are independent;
///   - column blocks: NR columns for Axpy (full panels stay full panels and
///     the column tail stays in the last part), DS1 for Dot (DS divides
///     DS1, so S-wide dot tiles start at the same columns), MR for Swapped
///     (the MR-row tiles of C^T);
///   - row blocks: MR rows for Axpy, DR for Dot (each row tile keeps its
///     height, hence its reduction); never for Swapped, whose packed
///     operand is A.
/// Columns first: a thread then reads only its share of the weights, which
/// dominate the memory traffic of x @ W^T. Another way wins only when it
/// balances clearly better (a few wide column blocks and many rows, as in
/// the logits over all T*B rows), or when the product is tall.
enum class Dim { Batch, Cols, Rows };

/// Row tiles per thread from which a product counts as tall (see split).
constexpr int64_t kTallRowUnits = 64;

struct Split {
  Dim dim = Dim::Cols;
  int64_t units = 1, unit = 1;
  unsigned parts = 1;
};

Split split(const Kernel &k, const Call &c, Plan p, unsigned parts) {
  const int64_t unitM = p == Plan::Dot ? k.dr : k.mr;
  const int64_t unitN = p == Plan::Dot       ? k.ds1
                        : p == Plan::Swapped ? k.mr
                                             : k.nr;
  const int64_t uB = c.batch, uN = (c.N + unitN - 1) / unitN;
  const int64_t uM = p == Plan::Swapped ? 1 : (c.M + unitM - 1) / unitM;
  // The fraction of `parts` threads kept busy by u equal units.
  auto efficiency = [&](int64_t u) {
    return (double)u / (double)(parts * ((u + parts - 1) / parts));
  };
  Split s{Dim::Cols, uN, unitN, parts};
  double best = efficiency(uN);
  if (efficiency(uB) > best + 0.1 || (uB >= parts && efficiency(uB) >= best)) {
    s = {Dim::Batch, uB, 1, parts};
    best = efficiency(uB);
  }
  // A tall product (the hoisted projection over T*B rows) by rows even
  // when its columns balance as well: split by columns, each thread
  // streams all of A and writes rows of C half-width, from every row
  // tile; by rows, it reads only its rows of A and writes whole rows of
  // C. Interleaved, 2 threads, 6400 x 1024 x 256: 11.5 -> 10.2 ms.
  const bool tall = uM >= kTallRowUnits * static_cast<int64_t>(parts);
  if (efficiency(uM) > best + 0.1 || (tall && efficiency(uM) >= best))
    s = {Dim::Rows, uM, unitM, parts};
  return s;
}

/// Runs c on `pool` when it has at least splitFlops (2*M*N*K*batch) of
/// work, in at most one part per splitFlops / 2: waking a worker and the
/// cache misses of its share cost microseconds that a smaller part does not
/// repay (kSplitFlops in Gemm.h).
void drive(const Kernel &k, const Call &c, ThreadPool *pool,
           double splitFlops) {
  if (c.M <= 0 || c.N <= 0 || c.batch <= 0)
    return;
  const Plan p = k.plan(c);
  const Part whole{0, c.batch, 0, c.M, 0, c.N};
  const double flops = 2.0 * c.batch * c.M * c.N * c.K;
  unsigned parts = pool ? pool->threadCount() : 1;
  if (parts > 1 && splitFlops > 0)
    parts = (unsigned)std::clamp<double>(flops / (splitFlops / 2), 1, parts);
  if (parts <= 1 || flops < splitFlops) {
    k.part(c, p, whole);
    return;
  }
  const Split s = split(k, c, p, parts);
  if (s.units < 2) {
    k.part(c, p, whole);
    return;
  }
  pool->parallelFor(
      s.units,
      [&](int64_t u0, int64_t u1) {
        Part r = whole;
        switch (s.dim) {
        case Dim::Batch:
          r.b0 = u0, r.b1 = u1;
          break;
        case Dim::Cols:
          r.n0 = u0 * s.unit, r.n1 = std::min(c.N, u1 * s.unit);
          break;
        case Dim::Rows:
          r.m0 = u0 * s.unit, r.m1 = std::min(c.M, u1 * s.unit);
          break;
        }
        k.part(c, p, r);
      },
      s.parts);
}

} // namespace

bool isaSupported(Isa isa) {
  switch (isa) {
  case Isa::Generic:
    return true;
#if RNNC_GEMM_X86
  case Isa::Avx2:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  case Isa::Avx512:
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  default:
    return false;
  }
}

Isa defaultIsa() {
#if RNNC_GEMM_X86
  __builtin_cpu_init(); // may run before the CPU-model constructor
#endif
  if (isaSupported(Isa::Avx512))
    return Isa::Avx512;
  if (isaSupported(Isa::Avx2))
    return Isa::Avx2;
  return Isa::Generic;
}

void matmul(Isa isa, Form form, const float *A, const float *B, float *C,
            int64_t batch, int64_t M, int64_t N, int64_t K, bool transA,
            bool transB, int64_t strideA, int64_t strideB, int64_t strideC,
            ThreadPool *pool, double splitFlops) {
  drive(kernelFor(isa),
        Call{A, B, C, batch, M, N, K, transA, transB, strideA, strideB, strideC,
             form},
        pool, splitFlops);
}

} // namespace rnnc::gemm

extern "C" void rnnc_matmul(const float *A, const float *B, float *C,
                            int64_t batch, int64_t M, int64_t N, int64_t K,
                            int32_t transA, int32_t transB, int64_t strideA,
                            int64_t strideB, int64_t strideC) {
  using namespace rnnc::gemm;
  // Chosen on the first call (a function-local static: no dependence on the
  // order of static initializers).
  static const Kernel &kernel = kernelFor(defaultIsa());
  // The pool is only looked at (and created, on first use) for products
  // large enough to split.
  const double split = M * batch <= kFewRows ? kSplitFlopsFewRows : kSplitFlops;
  const bool big = 2.0 * batch * M * N * K >= split;
  drive(kernel,
        Call{A, B, C, batch, M, N, K, transA != 0, transB != 0, strideA,
             strideB, strideC, Form::Auto},
        big ? &rnnc::ThreadPool::global() : nullptr, split);
}
