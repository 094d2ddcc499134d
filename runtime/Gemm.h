//===- runtime/Gemm.h - Variants of the GEMM behind rnnc_matmul -*- C++ -*-===//
//
// rnnc_matmul (runtime/KernelABI.h) picks an instruction set once, at load
// time, and a loop form per call. Tests and the GEMM benchmark call the
// variants here directly, so that every instruction set this CPU supports
// and every loop form is checked against a reference on the same machine,
// not only the one the dispatcher would choose.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_GEMM_H
#define RNNC_RUNTIME_GEMM_H

#include <cstdint>

namespace rnnc {
class ThreadPool;
}

namespace rnnc::gemm {

/// Instruction sets the kernels are compiled for. Generic is whatever the
/// library was built for (SSE2 on a plain x86-64 build).
enum class Isa { Generic, Avx2, Avx512 };

/// How C = op(A) * op(B) is computed:
///   - Axpy: a register-blocked micro-kernel (MR rows x NR columns of C in
///     registers, one broadcast of op(A) times one NR-wide row of op(B) per
///     k). op(B) rows must be contiguous, so a transposed B is first packed
///     into a [K,N] scratch buffer; op(A) is read in place by strides.
///   - Dot: for A * B^T with both operands K-contiguous (x @ W^T), tiles of
///     dot products summed in vector lanes, no packing at all.
///   - Swapped: for A * B^T (A not transposed), C^T = B * A^T by the Axpy
///     kernel, so that only A (few rows) is packed, then C^T is transposed.
///   - Auto: what rnnc_matmul does (runtime/MatMul.cpp, plan()).
enum class Form { Auto, Axpy, Dot, Swapped };

/// True when this CPU can run `isa`.
bool isaSupported(Isa isa);

/// The instruction set rnnc_matmul uses on this CPU.
Isa defaultIsa();

/// The work (2*M*N*K*batch FLOPs) from which rnnc_matmul splits a product
/// across ThreadPool::global(), with one part per kSplitFlops / 2.
/// Measured with bench/GemmBench.cpp --threads on the char-LM shapes.
constexpr double kSplitFlops = 2e6;
/// The same for products of at most kFewRows rows (an RNN step at batch
/// 1-4: x @ W^T, latency-bound on reading W). Split by columns, each thread
/// reads the same half of W every step, so the halves stay in the two
/// cores' L2 caches; with the pool's workers spinning between steps the
/// split costs well under a microsecond. Measured with `rnnc bench` at
/// B = 1 (2 threads): lstm 256 14.9 -> 8.9 us/step, gru 256 11.2 -> 6.6,
/// rnn 256 4.2 -> 2.3; lower thresholds gained nothing at H = 64.
constexpr int64_t kFewRows = 4;
constexpr double kSplitFlopsFewRows = 1e5;

/// rnnc_matmul with the instruction set and loop form fixed. A Form that
/// does not apply to the transposes (Dot or Swapped without transB, or with
/// transA) falls back to Axpy. `isa` must be supported. With a pool, a
/// product of at least splitFlops (0: any) is split across its threads;
/// the result is bit-identical to pool = nullptr (one thread) for any
/// thread count: parts are cut on the tile grid, so every element of C is
/// computed by the same operations in the same order.
void matmul(Isa isa, Form form, const float *A, const float *B, float *C,
            int64_t batch, int64_t M, int64_t N, int64_t K, bool transA,
            bool transB, int64_t strideA, int64_t strideB, int64_t strideC,
            ThreadPool *pool = nullptr, double splitFlops = kSplitFlops);

/// The pre-packed product (runtime/PackedMatMul.cpp): op(B) packed once by
/// packB, then C = A * op(B) as often as needed with no packing and no
/// transposed result. A scan uses it for a per-step product against a
/// weight it captures.
///
/// Floats a packed op(B) of K rows and N columns takes on any instruction
/// set: N rounded up to kPackedColumns, times K. Panels are at most
/// kPackedColumns wide and their width divides it.
constexpr int64_t kPackedColumns = 32;
constexpr int64_t packedFloats(int64_t N, int64_t K) {
  return (N + kPackedColumns - 1) / kPackedColumns * kPackedColumns * K;
}

/// P = op(B) [K,N] in `isa`'s panel layout; B is [N,K] when transB, else
/// [K,N], row-major. P holds packedFloats(N, K) floats.
void packB(Isa isa, const float *B, float *P, int64_t N, int64_t K,
           bool transB);

/// C[M,N] = A[M,K] * op(B), A and C row-major and contiguous, P from
/// packB(isa, ...) with the same N and K. With a pool, a product of at
/// least splitFlops (0: any) is split by rows (at least 8 a part) or else
/// by column panels; the result is bit-identical for any split, and to
/// rnnc_matmul's Axpy form.
///
/// With `then`, then->fn(env, m0, m1) runs on the rows of C as soon as they
/// are computed: right after its rows on each thread of a split by rows,
/// else over all rows after the product (split as rnnc_parallel_for would,
/// by then->work).
/// The one-row product (runtime/PackedGemv.cpp): op(B) packed once by
/// packGemv into panels of 8 vectors of columns, each [K, width]
/// contiguous, then C = A * op(B) row by row, each row a single stream over
/// every panel. For a scan at batch 1, where the step is a matrix-vector
/// product bound by reading W. P holds packedFloats(N, K) floats; the
/// result equals the Axpy form's bit for bit. With a pool, a product of at
/// least splitFlops per row (0: any) is split by panels, and packGemv with
/// the same arguments splits the packing the same way, so that each thread
/// packs the panels it reads.
void packGemv(Isa isa, const float *B, float *P, int64_t N, int64_t K,
              bool transB, ThreadPool *pool = nullptr,
              double splitFlops = kSplitFlopsFewRows);
void gemvPacked(Isa isa, const float *A, const float *P, float *C, int64_t M,
                int64_t N, int64_t K, ThreadPool *pool = nullptr,
                double splitFlops = kSplitFlopsFewRows);

/// rnnc_pack_b's results: not packed, packB's panels, packGemv's panels.
enum PackedLayout : int32_t {
  kNotPacked = 0,
  kPackedPanels = 1,
  kPackedGemv = 2
};

/// The layout rnnc_pack_b packs op(B) in for `steps` products of M rows.
PackedLayout packedLayoutFor(int64_t M, int64_t N, int64_t K, int64_t steps);

struct RowsThen {
  void (*fn)(void *env, int64_t begin, int64_t end);
  void *env;
  int64_t work;
};
void matmulPacked(Isa isa, const float *A, const float *P, float *C, int64_t M,
                  int64_t N, int64_t K, ThreadPool *pool = nullptr,
                  double splitFlops = kSplitFlops,
                  const RowsThen *then = nullptr);

} // namespace rnnc::gemm

#endif // RNNC_RUNTIME_GEMM_H
