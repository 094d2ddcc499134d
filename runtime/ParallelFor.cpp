//===- runtime/ParallelFor.cpp - rnnc_parallel_for for generated loops ----===//
//
// The entries generated code calls for a large fused elementwise loop
// (codegen/LowerElementwise.cpp outlines its body) and for a scan split by
// batch rows (codegen/LowerScan.cpp). Small loops, which are most loops at
// batch 1, run inline: the decision is one comparison.
//
//===----------------------------------------------------------------------===//
#include "runtime/KernelABI.h"
#include "runtime/ThreadPool.h"

#include <algorithm>

namespace {

/// The work from which a loop is split, in the units the caller estimates
/// (about one vector instruction per element): ~2.5 us of gate math on the
/// 2-core VM, where a split costs well under a microsecond while the pool's
/// workers spin between steps. rnnc-bench-lstm --gates-only: the LSTM gate
/// math at B = 64, H = 256 (~1M units) is split, at B = 1 (~15K) it is not.
constexpr int64_t kParallelWork = 64 * 1024;

/// The fewest rows a part of a row-split scan gets. Interleaved, 2 threads,
/// lstm 256: B = 8 in parts of 4 rows ran at a median ~104 us/step against
/// ~128 whole (gru ~67 against ~81), B = 16 in parts of 8 at ~150-164
/// against ~200-236; but B = 4 in parts of 2 was slower than whole (~69-125
/// against ~31-78): two rows leave the step's product too little to do.
constexpr int64_t kMinScanRows = 4;

} // namespace

extern "C" void rnnc_parallel_for(void (*fn)(void *, int64_t, int64_t),
                                  void *env, int64_t n, int64_t work) {
  if (n <= 0)
    return;
  if (n < 2 || work < kParallelWork) {
    fn(env, 0, n);
    return;
  }
  rnnc::ThreadPool &pool = rnnc::ThreadPool::global();
  unsigned threads = pool.threadCount();
  if (threads < 2) {
    fn(env, 0, n);
    return;
  }
  // One part per kParallelWork / 2 at most, so a loop just above the
  // threshold is cut in two, not in as many parts as there are threads.
  int64_t parts = std::clamp<int64_t>(work / (kParallelWork / 2), 1, threads);
  pool.parallelFor(
      n, [&](int64_t begin, int64_t end) { fn(env, begin, end); },
      static_cast<unsigned>(parts));
}

extern "C" void rnnc_scan_rows(void (*fn)(void *, int64_t, int64_t), void *env,
                               int64_t rows) {
  if (rows <= 0)
    return;
  rnnc::ThreadPool &pool = rnnc::ThreadPool::global();
  int64_t parts = std::min<int64_t>(pool.threadCount(), rows / kMinScanRows);
  if (parts < 2) {
    fn(env, 0, rows);
    return;
  }
  pool.parallelFor(
      rows, [&](int64_t begin, int64_t end) { fn(env, begin, end); },
      static_cast<unsigned>(parts));
}
