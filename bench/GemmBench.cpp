//===- bench/GemmBench.cpp - rnnc_matmul against its predecessor ----------===//
//
// Times the GEMM on the char-LM's products (2-layer LSTM, H = 256, 4H = 1024
// gate rows, E = 64, V = 65, B = 32, T = 64) and prints, per shape, the
// median microseconds per call and GFLOP/s of the previous rnnc_matmul (kept
// below verbatim as `oldMatmul`), of the new one, and of each of the new
// kernel's loop forms (runtime/Gemm.h), plus new/old speedup. The kernels run
// interleaved, rep by rep, so that load from other processes on a shared
// machine hits them alike; medians, not means, for the same reason; and
// thread CPU time, not wall time, so that preemption is not counted.
//
//   rnnc-bench-gemm [--reps 15] [--ms 3] [--isa generic|avx2|avx512]
//                   [--only SUBSTRING-OF-SHAPE-NAME] [--threads N]
//
// --threads N (N >= 2) prints instead the threading table: wall-clock
// microseconds per call of the new kernel on one thread, split across a
// ThreadPool of N threads regardless of size, and split only past
// kSplitFlops as rnnc_matmul does ("auto"), with the speedups and whether
// the results are bit-identical. Wall time here, since CPU time of one
// thread does not see the workers; so run it on an otherwise idle machine.
//
// --isa times the new kernel compiled for that instruction set instead of
// the one rnnc_matmul picks (e.g. avx2 on an AVX-512 machine, to see what a
// Zen 3 would run).
// Each rep runs a kernel for about --ms milliseconds (the call count is
// fixed per shape from a first timing, the same for every kernel).
//
//===----------------------------------------------------------------------===//
#include "runtime/AlignedFloats.h"
#include "runtime/Gemm.h"
#include "runtime/KernelABI.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

//===-- The previous kernel (runtime/MatMul.cpp before the packed GEMM) ---===//

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&         \
    defined(__linux__)
#define OLD_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define OLD_MULTIVERSION
#endif

namespace old {

OLD_MULTIVERSION
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

typedef float V8 __attribute__((vector_size(32)));

__attribute__((always_inline)) inline V8 load8(const float *p) {
  V8 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

__attribute__((always_inline)) inline float hsum(V8 v) {
  return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

OLD_MULTIVERSION
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

void matmul(const float *A, const float *B, float *C, int64_t batch, int64_t M,
            int64_t N, int64_t K, int32_t transA, int32_t transB,
            int64_t strideA, int64_t strideB, int64_t strideC) {
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

} // namespace old

//===-- Benchmark
//----------------------------------------------------------===//

namespace {

struct Shape {
  const char *name;
  int64_t batch, M, N, K;
  bool transA, transB;
  bool shareB;
};

/// Seconds of CPU time this thread has run: on a shared, overloaded
/// machine wall time also counts the slices other processes ran in (a 7 ms
/// call is preempted more often than not), CPU time does not.
double cpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double wallSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// The --threads table: one thread vs a pool of `threads`, wall time.
int threadTable(const Shape *shapes, size_t count, rnnc::gemm::Isa isaChoice,
                const char *const *isaNames, unsigned threads, int reps,
                double ms, const char *only) {
  using namespace rnnc::gemm;
  rnnc::ThreadPool pool(threads);
  std::printf("ISA %s; %u threads; median of %d reps of ~%.1f ms wall time; "
              "auto splits from %.1f MFLOP\n",
              isaNames[(int)isaChoice], pool.threadCount(), reps, ms,
              kSplitFlops * 1e-6);
  std::printf("%-20s %5s %5s %5s %5s %6s | %9s %9s %9s | %7s %7s | %s | "
              "%s\n",
              "shape", "batch", "M", "N", "K", "MFLOP", "1T us", "NT us",
              "auto us", "NT/1T", "auto/1T", "same", "packed 1T/NT us");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (size_t si = 0; si < count; ++si) {
    const Shape &s = shapes[si];
    if (only && !std::strstr(s.name, only))
      continue;
    std::vector<float> A(s.batch * s.M * s.K), B(s.batch * s.K * s.N);
    for (float &x : A)
      x = dist(rng);
    for (float &x : B)
      x = dist(rng);
    // 0: one thread; 1: always split; 2: split as rnnc_matmul does.
    std::vector<std::vector<float>> C(3,
                                      std::vector<float>(s.batch * s.M * s.N));
    auto run = [&](int v) {
      matmul(isaChoice, Form::Auto, A.data(), B.data(), C[v].data(), s.batch,
             s.M, s.N, s.K, s.transA, s.transB, s.M * s.K,
             s.shareB ? 0 : s.K * s.N, s.M * s.N, v ? &pool : nullptr,
             v == 1 ? 0.0 : kSplitFlops);
    };
    double t0 = wallSeconds();
    run(0);
    double once = wallSeconds() - t0;
    int64_t calls = std::max<int64_t>(1, (int64_t)(ms * 1e-3 / once));
    std::vector<double> us[3];
    for (int r = 0; r < reps; ++r)
      for (int v = 0; v < 3; ++v) {
        double start = wallSeconds();
        for (int64_t i = 0; i < calls; ++i)
          run(v);
        us[v].push_back((wallSeconds() - start) * 1e6 / calls);
      }
    const bool same =
        !std::memcmp(C[0].data(), C[1].data(), sizeof(float) * C[0].size()) &&
        !std::memcmp(C[0].data(), C[2].data(), sizeof(float) * C[0].size());
    const double m0 = median(us[0]), m1 = median(us[1]), m2 = median(us[2]);
    // The pre-packed product (a scan's per-step form) at 1 and N threads,
    // op(B) packed once outside the timing.
    double p1 = 0, pN = 0;
    if (s.batch == 1 && !s.transA) {
      std::vector<float> P(packedFloats(s.N, s.K)), Cp(s.M * s.N);
      packB(isaChoice, B.data(), P.data(), s.N, s.K, s.transB);
      std::vector<double> pu[2];
      for (int r = 0; r < reps; ++r)
        for (int v = 0; v < 2; ++v) {
          double start = wallSeconds();
          for (int64_t i = 0; i < calls; ++i)
            matmulPacked(isaChoice, A.data(), P.data(), Cp.data(), s.M, s.N,
                         s.K, v ? &pool : nullptr, kSplitFlops);
          pu[v].push_back((wallSeconds() - start) * 1e6 / calls);
        }
      p1 = median(pu[0]), pN = median(pu[1]);
    }
    std::printf("%-20s %5lld %5lld %5lld %5lld %6.2f | %9.2f %9.2f %9.2f | "
                "%6.2fx %6.2fx | %s | packed %9.2f %9.2f\n",
                s.name, (long long)s.batch, (long long)s.M, (long long)s.N,
                (long long)s.K, 2e-6 * s.batch * s.M * s.N * s.K, m0, m1, m2,
                m0 / m1, m0 / m2, same ? "yes" : "NO", p1, pN);
    std::fflush(stdout);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  using namespace rnnc::gemm;
  int reps = 15;
  double ms = 3;
  static Isa isaChoice = defaultIsa();
  const char *only = nullptr;
  unsigned threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) {
      if (!rnnc::ThreadPool::parseThreadCount(argv[i + 1], threads)) {
        std::fprintf(stderr, "error: --threads takes 1..64\n");
        return 1;
      }
    } else if (!std::strcmp(argv[i], "--reps"))
      reps = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--ms"))
      ms = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--only"))
      only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--isa")) {
      std::string v = argv[i + 1];
      isaChoice = v == "avx512" ? Isa::Avx512
                  : v == "avx2" ? Isa::Avx2
                                : Isa::Generic;
      if (!isaSupported(isaChoice)) {
        std::fprintf(stderr, "error: this CPU cannot run %s\n", v.c_str());
        return 1;
      }
    }
  }
  const Shape shapes[] = {
      {"fwd x@W^T  I=64  4H", 1, 32, 1024, 64, false, true, false},
      {"fwd x@W^T  I=256 4H", 1, 32, 1024, 256, false, true, false},
      {"fwd x@W^T  I=64  H", 1, 32, 256, 64, false, true, false},
      {"fwd x@W^T  I=256 H", 1, 32, 256, 256, false, true, false},
      {"fwd B=1    I=256 4H", 1, 1, 1024, 256, false, true, false},
      {"fwd B=8    I=256 4H", 1, 8, 1024, 256, false, true, false},
      {"fwd B=16   I=256 4H", 1, 16, 1024, 256, false, true, false},
      {"fwd B=16   I=64  4H", 1, 16, 1024, 64, false, true, false},
      {"proj T*B   I=64  4H", 1, 2048, 1024, 64, false, true, false},
      {"fwd B=64   I=256 4H", 1, 64, 1024, 256, false, true, false},
      {"gemv B=1 half of gru 256", 1, 1, 384, 256, false, true, false},
      {"gemv B=1 half of lstm 256", 1, 1, 512, 256, false, true, false},
      {"fwd B=64   I=512 4H", 1, 64, 2048, 512, false, true, false},
      {"proj 100*64 I=256 4H", 1, 6400, 1024, 256, false, true, false},
      {"proj 100*64 I=512 4H", 1, 6400, 2048, 512, false, true, false},
      {"bwd dz@W   I=256", 1, 32, 256, 1024, false, false, false},
      {"bwd dz@W   I=64", 1, 32, 64, 1024, false, false, false},
      {"dW dz^T@x  I=256", 1, 1024, 256, 32, true, false, false},
      {"dW dz^T@x  I=64", 1, 1024, 64, 32, true, false, false},
      {"logits T*B", 1, 2048, 65, 256, false, true, false},
      {"logits/step", 1, 32, 65, 256, false, true, false},
      {"dlogits@Wo", 1, 2048, 256, 65, false, false, false},
      {"dWo dl^T@h", 1, 65, 256, 2048, true, false, false},
      {"embed grad x64", 64, 65, 64, 32, true, false, false},
      {"both trans", 1, 256, 256, 32, true, true, false},
      // The char-LM gradient's products over all T*B = 2048 rows.
      {"proj T*B   I=256 4H", 1, 2048, 1024, 256, false, true, false},
      {"dU  dz^T@h T*B", 1, 1024, 256, 2048, true, false, false},
      {"dW1 dz^T@x T*B", 1, 1024, 64, 2048, true, false, false},
      {"dh  dz@W   T*B", 1, 2048, 256, 1024, false, false, false},
  };
  struct Variant {
    const char *name;
    std::function<void(const Shape &, const float *, const float *, float *)>
        fn;
  };
  auto call = [](Form form) {
    return [form](const Shape &s, const float *A, const float *B, float *C) {
      matmul(isaChoice, form, A, B, C, s.batch, s.M, s.N, s.K, s.transA,
             s.transB, s.M * s.K, s.shareB ? 0 : s.K * s.N, s.M * s.N);
    };
  };
  // 64-byte aligned, as the arena gives the generated code its buffers.
  rnnc::AlignedFloats packedB;
  std::vector<Variant> variants = {
      {"old",
       [](const Shape &s, const float *A, const float *B, float *C) {
         old::matmul(A, B, C, s.batch, s.M, s.N, s.K, s.transA, s.transB,
                     s.M * s.K, s.shareB ? 0 : s.K * s.N, s.M * s.N);
       }},
      {"new", call(Form::Auto)},
      {"axpy", call(Form::Axpy)},
      {"dot", call(Form::Dot)},
      {"swapped", call(Form::Swapped)},
      // Against op(B) packed once, outside the timing (a scan's weight);
      // shapes with transA have no packed form and print 0.
      {"packed",
       [&packedB](const Shape &s, const float *A, const float *, float *C) {
         if (!s.transA && s.batch == 1)
           matmulPacked(isaChoice, A, packedB.data(), C, s.M, s.N, s.K);
       }},
  };
  const char *isa[] = {"generic", "avx2", "avx512"};
  if (threads > 1)
    return threadTable(shapes, std::size(shapes), isaChoice, isa, threads, reps,
                       ms, only);
  std::printf("ISA %s; median of %d reps of ~%.1f ms; GFLOP/s = 2*M*N*K*batch "
              "/ time\n",
              isa[(int)isaChoice], reps, ms);
  std::printf("%-20s %5s %5s %5s %5s %2s%2s | %9s %7s | %9s %7s | %7s | %7s "
              "%7s %7s %7s %7s | %6s\n",
              "shape", "batch", "M", "N", "K", "tA", "tB", "old us", "GF/s",
              "new us", "GF/s", "new/old", "axpyGF", "dotGF", "swapGF",
              "packGF", "pack us", "maxrel");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (const Shape &s : shapes) {
    if (only && !std::strstr(s.name, only))
      continue;
    std::vector<float> A(s.batch * s.M * s.K), B(s.batch * s.K * s.N);
    for (float &x : A)
      x = dist(rng);
    for (float &x : B)
      x = dist(rng);
    const bool packable = !s.transA && s.batch == 1;
    packedB = rnnc::AlignedFloats(std::max<int64_t>(1, packedFloats(s.N, s.K)));
    double packUs = 0;
    if (packable) {
      std::vector<double> t;
      for (int r = 0; r < 5; ++r) {
        double t0 = cpuSeconds();
        packB(isaChoice, B.data(), packedB.data(), s.N, s.K, s.transB);
        t.push_back((cpuSeconds() - t0) * 1e6);
      }
      packUs = median(t);
    }
    std::vector<std::vector<float>> C(variants.size(),
                                      std::vector<float>(s.batch * s.M * s.N));
    // Calls per sample: enough for --ms with the old kernel.
    double t0 = cpuSeconds();
    variants[0].fn(s, A.data(), B.data(), C[0].data());
    double once = cpuSeconds() - t0;
    int64_t calls = std::max<int64_t>(1, (int64_t)(ms * 1e-3 / once));
    std::vector<std::vector<double>> us(variants.size());
    for (int r = 0; r < reps; ++r)
      for (size_t v = 0; v < variants.size(); ++v) {
        double start = cpuSeconds();
        for (int64_t i = 0; i < calls; ++i)
          variants[v].fn(s, A.data(), B.data(), C[v].data());
        double t = cpuSeconds() - start;
        us[v].push_back(t * 1e6 / calls);
      }
    // The new and packed results against the old one, relative to the
    // largest |C|.
    double maxAbs = 0, maxDiff = 0;
    for (size_t i = 0; i < C[0].size(); ++i) {
      maxAbs = std::max(maxAbs, (double)std::fabs(C[0][i]));
      maxDiff = std::max(maxDiff, (double)std::fabs(C[0][i] - C[1][i]));
      if (packable)
        maxDiff = std::max(maxDiff, (double)std::fabs(C[0][i] - C[5][i]));
    }
    double flop = 2.0 * s.batch * s.M * s.N * s.K;
    auto gf = [&](size_t v) { return flop / median(us[v]) * 1e-3; };
    std::printf("%-20s %5lld %5lld %5lld %5lld %2d%2d | %9.2f %7.2f | %9.2f "
                "%7.2f | %6.2fx | %7.2f %7.2f %7.2f %7.2f %7.1f | %6.0e\n",
                s.name, (long long)s.batch, (long long)s.M, (long long)s.N,
                (long long)s.K, s.transA, s.transB, median(us[0]), gf(0),
                median(us[1]), gf(1), median(us[0]) / median(us[1]), gf(2),
                gf(3), gf(4), packable ? gf(5) : 0.0, packUs,
                maxAbs > 0 ? maxDiff / maxAbs : 0.0);
    std::fflush(stdout);
  }
  return 0;
}
