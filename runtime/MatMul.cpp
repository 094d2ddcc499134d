//===- runtime/MatMul.cpp - The GEMM kernel compiled code calls -----------===//
//
// rnnc_matmul: a plain C++ matrix product, used by generated code for every
// `matmul` until shape-specialized kernels are generated. Two loop orders
// cover the common layouts without repacking:
//   - op(B) rows contiguous (B not transposed): C[m,:] += A[m,k] * B[k,:],
//     four rows of C at a time so each B row loaded serves four products;
//   - B transposed, A not (x @ W^T, the PyTorch layout): every C[m,n] is a
//     dot product of two contiguous rows, summed in 8 independent lanes so the
//     compiler vectorizes it without reassociation flags.
// Anything else (both transposed) takes a strided triple loop.
// `target_clones` builds an AVX2/FMA version beside the baseline one and picks
// at load time, so the library stays portable for AOT users.
//
//===----------------------------------------------------------------------===//
#include "runtime/KernelABI.h"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&         \
    defined(__linux__)
#define RNNC_MULTIVERSION                                                      \
  __attribute__((target_clones("arch=haswell", "default")))
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

/// The dot product of two contiguous rows, in 8 independent partial sums.
inline float dot(const float *x, const float *y, int64_t K) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= K; k += 8)
    for (int j = 0; j < 8; ++j)
      acc[j] += x[k + j] * y[k + j];
  float tail = 0;
  for (; k < K; ++k)
    tail += x[k] * y[k];
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) +
         ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

/// C[M,N] = A * B^T with A row-major [M,K] and B row-major [N,K].
RNNC_MULTIVERSION
void dotForm(const float *A, const float *B, float *C, int64_t M, int64_t N,
             int64_t K) {
  for (int64_t m = 0; m < M; ++m) {
    const float *a = A + m * K;
    for (int64_t n = 0; n < N; ++n)
      C[m * N + n] = dot(a, B + n * K, K);
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
