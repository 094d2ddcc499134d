//===- runtime/ThreadPool.h - Worker threads for runtime kernels -*- C++ -*-===//
//
// A small fixed pool of worker threads that runtime kernels called by
// generated code (rnnc_matmul first) split large loops across. It is built
// for that one use:
//
//   - parallelFor(n, fn) splits [0, n) statically into at most
//     threadCount() contiguous parts, runs part 0 on the calling thread and
//     the others on whichever threads claim them first (the caller too,
//     once its part is done, so a worker the OS has not scheduled is not
//     waited for), and returns when all are done. The parts themselves are
//     static: they depend only on n and the thread count (kernels that must
//     be deterministic choose parts whose arithmetic does not depend on the
//     split at all).
//   - No allocation and no system call per call while the workers are
//     awake: the job is published through one atomic word that workers spin
//     on for a short while after each job, then they block on a condition
//     variable (a per-step GEMM of a training loop arrives every few tens
//     of microseconds; a sleeping worker costs a futex wake-up).
//   - One job at a time. A caller that finds the pool busy (another thread's
//     job, or its own: a nested call from inside fn) runs its whole range
//     inline instead of waiting, so concurrent AOT contexts never deadlock
//     and never nest.
//   - Destruction (and resize) joins the workers; the process-wide pool is a
//     function-local static whose destructor leaves it in the one-thread
//     state, so a kernel called during static destruction still works.
//
// Errors are returned, never thrown: if the system refuses a thread, the
// pool runs with the workers it got.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_THREADPOOL_H
#define RNNC_RUNTIME_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <pthread.h>
#include <type_traits>
#include <vector>

namespace rnnc {

class ThreadPool {
public:
  /// The most threads a pool will run (callers included).
  static constexpr unsigned kMaxThreads = 64;
  /// The most threads the default count picks from the hardware: past a
  /// few cores, the products an RNN step makes are too small to split well.
  static constexpr unsigned kMaxDefaultThreads = 8;

  /// A pool of `threads` threads in all: the caller plus threads - 1
  /// workers; 1 runs everything inline. 0 means defaultThreadCount().
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// Threads a parallelFor may use, the caller included (>= 1); 1 on a
  /// thread that is running a part of a parallelFor, whose own parallelFor
  /// calls run inline (so kernels called from a part plan for one thread).
  unsigned threadCount() const {
    return inPart ? 1 : threads.load(std::memory_order_relaxed);
  }

  /// Stops the workers and starts threads - 1 new ones (0: the default).
  /// Waits for a job in flight to finish; parallelFor calls meanwhile run
  /// inline. Returns the thread count the pool now has, which is smaller
  /// when the system refused to create a thread.
  unsigned resize(unsigned threads);

  /// fn(begin, end) over [0, n) in parts = min(n, threadCount(), maxParts)
  /// contiguous parts (maxParts 0: no limit), part i = [n*i/parts,
  /// n*(i+1)/parts), part 0 on the calling thread; returns after every part
  /// has run. fn must not throw. Runs fn(0, n) inline when the pool is busy.
  template <class Fn>
  void parallelFor(int64_t n, Fn &&fn, unsigned maxParts = 0) {
    using F = std::remove_reference_t<Fn>;
    run(n,
        [](void *ctx, int64_t begin, int64_t end) {
          (*static_cast<F *>(ctx))(begin, end);
        },
        const_cast<void *>(static_cast<const void *>(&fn)), maxParts);
  }

  /// The pool rnnc_matmul and other kernels use, created on first use with
  /// defaultThreadCount() threads.
  static ThreadPool &global();

  /// RNNC_THREADS when it is set and valid, else the hardware's thread
  /// count capped at kMaxDefaultThreads (at least 1).
  static unsigned defaultThreadCount();

  /// Parses a thread count ("1".."64", nothing else); false if invalid.
  static bool parseThreadCount(const char *text, unsigned &out);

private:
  using TaskFn = void (*)(void *ctx, int64_t begin, int64_t end);

  struct Worker {
    ThreadPool *pool;
    unsigned index;      // part number, 1..threads-1
    uint64_t initialJob; // the job word when it was started
    pthread_t handle;
  };

  void run(int64_t n, TaskFn fn, void *ctx, unsigned maxParts);
  void workerLoop(Worker &w);
  void runClaimedParts(uint64_t gen, uint64_t parts);
  static void *workerEntry(void *arg);
  void acquireExclusive();
  void startWorkers(unsigned threads);
  void stopWorkers();

  /// Set while this thread runs a part of a parallelFor of any pool.
  static thread_local bool inPart;
  /// Runs one part with inPart set.
  static void runPart(TaskFn fn, void *ctx, int64_t begin, int64_t end);

  std::atomic<unsigned> threads{1};
  /// Held by the one caller whose job is in flight (or by resize).
  std::atomic<bool> busy{false};
  /// generation << kGenShift | stop bit | part count: workers see a new job
  /// when the generation changes.
  std::atomic<uint64_t> job{0};
  /// generation << kGenShift | the next unclaimed part of that job.
  std::atomic<uint64_t> claim{0};
  /// Parts 1.. not yet finished.
  std::atomic<unsigned> pending{0};
  /// Workers blocked on workCv, read by a caller to skip the wake-up.
  std::atomic<unsigned> sleepers{0};
  TaskFn taskFn = nullptr;
  void *taskCtx = nullptr;
  int64_t taskN = 0;
  std::mutex mu;
  std::condition_variable workCv, doneCv;
  std::vector<Worker> workers;
};

} // namespace rnnc

#endif // RNNC_RUNTIME_THREADPOOL_H
