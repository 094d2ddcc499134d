//===- runtime/KernelABI.h - C functions generated code calls -*- C++ -*-===//
//
// The runtime ABI of compiled rnnc functions: every function generated code
// may call, with a plain C signature so that JIT code and AOT objects reach
// them the same way. The JIT registers each one explicitly by name
// (codegen/RuntimeSymbols.cpp); an AOT object links them from rnnc_runtime.
// Changing a signature here means changing codegen's declaration too.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_KERNELABI_H
#define RNNC_RUNTIME_KERNELABI_H

#include <cstdint>

extern "C" {

/// The per-call state of a compiled function (an rnnc::ExecContext): the
/// arena its intermediate buffers come from and the first run-time error.
typedef struct rnnc_context rnnc_context;

/// Error codes generated code reports; rnnc::ExecContext turns them into
/// messages. `a` and `b` are the offending value and its bound.
enum rnnc_error_code : int32_t {
  RNNC_OK = 0,
  RNNC_ERR_ALLOC = 1,    // a = bytes requested
  RNNC_ERR_EMBED_ID = 2, // a = id, b = table rows V
  RNNC_ERR_LENGTH = 3,   // a = length, b = T
  RNNC_ERR_TARGET = 4,   // a = target, b = classes V
  RNNC_ERR_CAST = 5,     // a = element index
};

/// `bytes` of 64-byte aligned, uninitialized memory that lives until the
/// context is reset. Never returns null: on failure it records
/// RNNC_ERR_ALLOC and returns a small dummy block, and the generated code
/// checks rnnc_has_error before using any buffer.
void *rnnc_alloc(rnnc_context *ctx, int64_t bytes);

/// Records a run-time error (only the first one is kept). Generated code
/// carries on with a safe substitute value, so it never reads out of bounds.
void rnnc_report_error(rnnc_context *ctx, int32_t code, int64_t a, int64_t b);

/// Nonzero once an error has been recorded.
int32_t rnnc_has_error(rnnc_context *ctx);

/// C[b] = op(A[b]) * op(B[b]) for b < batch, row-major f32, where op(A) is
/// [M,K] (A is stored [K,M] when transA) and op(B) is [K,N] (stored [N,K]
/// when transB). strideA/B/C are the element distances between batch items;
/// strideB = 0 shares one B across the batch. C is overwritten.
void rnnc_matmul(const float *A, const float *B, float *C, int64_t batch,
                 int64_t M, int64_t N, int64_t K, int32_t transA,
                 int32_t transB, int64_t strideA, int64_t strideB,
                 int64_t strideC);

/// Packs op(B) (see rnnc_matmul) for the `steps` products of M rows a scan
/// is about to make against it, if packing pays for itself; returns 0 when
/// it did not pack, else the layout it chose (1: panels for several rows,
/// 2: panels for one row), which the products take as `packed`. P holds at
/// least (N rounded up to 32) * K floats. Generated code calls it before
/// the loop over time, for a weight the scan captures.
int32_t rnnc_pack_b(const float *B, float *P, int64_t M, int64_t N, int64_t K,
                    int32_t transB, int64_t steps);

/// C = A * op(B) for a row-major A [M,K]: against P when `packed` (the
/// result of rnnc_pack_b for this B, N, K and transB), else rnnc_matmul.
void rnnc_matmul_packed(const float *A, const float *B, const float *P,
                        int32_t packed, float *C, int64_t M, int64_t N,
                        int64_t K, int32_t transB);

/// rnnc_matmul_packed, then rows(env, 0, M): a fused elementwise loop
/// whose iteration m reads and writes row m only (of C and of its other
/// operands). When the product is split across threads by rows, each
/// thread runs `rows` over its own rows of C right after computing them:
/// one dispatch and one wait per step instead of two, and C stays in the
/// cache of the core that wrote it. Otherwise as rnnc_parallel_for(rows,
/// env, M, work) after the product.
void rnnc_matmul_packed_rows(const float *A, const float *B, const float *P,
                             int32_t packed, float *C, int64_t M, int64_t N,
                             int64_t K, int32_t transB,
                             void (*rows)(void *env, int64_t begin,
                                          int64_t end),
                             void *env, int64_t work);

/// fn(env, begin, end) over [0, n) in contiguous parts on the thread pool
/// when `work` (the loop's estimated cost, in units of about one vector
/// instruction per element) is large enough to repay waking a thread, else
/// fn(env, 0, n) on the caller. Generated code outlines large fused
/// elementwise loops this way; the parts compute disjoint elements, so the
/// result does not depend on the split.
void rnnc_parallel_for(void (*fn)(void *env, int64_t begin, int64_t end),
                       void *env, int64_t n, int64_t work);

/// A scan whose steps treat each batch row on its own (codegen/
/// LowerScan.cpp checks that): fn(env, begin, end) runs the whole loop over
/// time for rows [begin, end). With two or more pool threads and at least
/// 4 rows per part, the rows are split across the threads, so the steps
/// need no hand-off between threads at all; the kernels a part calls then
/// run on its thread alone. Otherwise fn(env, 0, rows) on the caller, whose
/// kernels may split each step's work as usual.
void rnnc_scan_rows(void (*fn)(void *env, int64_t begin, int64_t end),
                    void *env, int64_t rows);

} // extern "C"

#endif // RNNC_RUNTIME_KERNELABI_H
