//===- runtime/MatMul.cpp - The GEMM kernel compiled code calls -----------===//
//
// rnnc_matmul: a plain C++ matrix product, used by generated code for every
// `matmul` until shape-specialized kernels are generated. Two loop orders
// cover the common layouts without repacking:
//   - op(B) rows contiguous (B not transposed): C[m,:] += A[m,k] * B[k,:],
//     four rows of C at a time so each B row loaded serves four products;
//   - B transposed, A not (x @ W^T, the PyTorch layout): every C[m,n] is a
//     dot product of two contiguous rows, summed in 8-float vector lanes (GCC
//     vector extensions), four rows of B at a time so each is read once.
// Anything else (both transposed) takes a strided triple loop.
// `target_clones` builds an AVX2 version beside the baseline one and picks by
// CPU feature at load time, so the library stays portable for AOT users.
// (Not "arch=haswell": GCC dispatches that on the CPU model, so an AMD Zen
// would get the baseline version; measured 1.8-2.2x slower.)
//
//===----------------------------------------------------------------------===//
#include "runtime/KernelABI.h"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&         \
    defined(__linux__)
#define RNNC_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define RNNC_MULTIVERSION
#endif

namespace {

/// C[M,N] = A' * B with B row-major [K,N]; A'(m,k) = A[m*sam + k*sak].
RNNC_MULTIVERSION
void rowsForm(const float *A, const float *B, float *C, int64_t M, int64_t N,
              int64_t K, int64_t sam, int64_t sak) {
  std::memset(C, 0, sizeof(float) * M * N);
  int64_t m = 0;
  for (; m + 4 <= M; m += 4) {
    float *c0 = C + m * N, *c1 = c0 + N, *c2 = c1 + N, *c3 = c2 + N;
    for (int64_t k = 0; k < K; ++k) {
      const float *b = B + k * N;
      float a0 = A[m * sam + k * sak], a1 = A[(m + 1) * sam + k * sak];
      float a2 = A[(m + 2) * sam + k * sak], a3 = A[(m + 3) * sam + k * sak];
      for (int64_t n = 0; n < N; ++n) {
        float bn = b[n];
        c0[n] += a0 * bn;
        c1[n] += a1 * bn;
        c2[n] += a2 * bn;
        c3[n] += a3 * bn;
      }
    }
  }
  for (; m < M; ++m) {
    float *c = C + m * N;
    for (int64_t k = 0; k < K; ++k) {
      const float *b = B + k * N;
      float a = A[m * sam + k * sak];
      for (int64_t n = 0; n < N; ++n)
        c[n] += a * b[n];
    }
  }
}

/// Eight floats; GCC/Clang lower it to one AVX register in the AVX2 clone
/// and to two SSE registers in the baseline one.
typedef float V8 __attribute__((vector_size(32)));

__attribute__((always_inline)) inline V8 load8(const float *p) {
  V8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

__attribute__((always_inline)) inline float hsum(V8 v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

/// C[M,N] = A * B^T with A row-major [M,K] and B row-major [N,K]. Four rows of
/// B at a time against every row of A: A (the activations, small) stays in
/// L1 while B (the weights) streams through once per call, not once per row
/// of A.
RNNC_MULTIVERSION
void dotForm(const float *A, const float *B, float *C, int64_t M, int64_t N,
             int64_t K) {
  int64_t k8 = K / 8 * 8;
  int64_t n = 0;
  for (; n + 4 <= N; n += 4) {
    const float *b0 = B + n * K, *b1 = b0 + K, *b2 = b1 + K, *b3 = b2 + K;
    for (int64_t m = 0; m < M; ++m) {
      const float *a = A + m * K;
      V8 s0 = {}, s1 = {}, s2 = {}, s3 = {};
      for (int64_t k = 0; k < k8; k += 8) {
        V8 av = load8(a + k);
        s0 += av * load8(b0 + k);
        s1 += av * load8(b1 + k);
        s2 += av * load8(b2 + k);
        s3 += av * load8(b3 + k);
      }
      float t0 = hsum(s0), t1 = hsum(s1), t2 = hsum(s2), t3 = hsum(s3);
      for (int64_t k = k8; k < K; ++k) {
        t0 += a[k] * b0[k];
        t1 += a[k] * b1[k];
        t2 += a[k] * b2[k];
        t3 += a[k] * b3[k];
      }
      float *c = C + m * N + n;
      c[0] = t0;
      c[1] = t1;
      c[2] = t2;
      c[3] = t3;
    }
  }
  for (; n < N; ++n) {
    const float *bn = B + n * K;
    for (int64_t m = 0; m < M; ++m) {
      const float *a = A + m * K;
      V8 s = {};
      for (int64_t k = 0; k < k8; k += 8)
        s += load8(a + k) * load8(bn + k);
      float t = hsum(s);
      for (int64_t k = k8; k < K; ++k)
        t += a[k] * bn[k];
      C[m * N + n] = t;
    }
  }
}

/// The general case: op(A)(m,k) = A[m*sam + k*sak], op(B)(k,n) likewise.
void stridedForm(const float *A, const float *B, float *C, int64_t M, int64_t N,
                 int64_t K, int64_t sam, int64_t sak, int64_t sbk,
                 int64_t sbn) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float s = 0;
      for (int64_t k = 0; k < K; ++k)
        s += A[m * sam + k * sak] * B[k * sbk + n * sbn];
      C[m * N + n] = s;
    }
}

} // namespace

extern "C" void rnnc_matmul(const float *A, const float *B, float *C,
                            int64_t batch, int64_t M, int64_t N, int64_t K,
                            int32_t transA, int32_t transB, int64_t strideA,
                            int64_t strideB, int64_t strideC) {
  int64_t sam = transA ? 1 : K, sak = transA ? M : 1;
  for (int64_t b = 0; b < batch; ++b) {
    const float *a = A + b * strideA, *bb = B + b * strideB;
    float *c = C + b * strideC;
    if (K == 0) {
      std::memset(c, 0, sizeof(float) * M * N);
    } else if (!transB) {
      rowsForm(a, bb, c, M, N, K, sam, sak);
    } else if (!transA) {
      dotForm(a, bb, c, M, N, K);
    } else {
      stridedForm(a, bb, c, M, N, K, sam, sak, /*sbk=*/1, /*sbn=*/K);
    }
  }
}
