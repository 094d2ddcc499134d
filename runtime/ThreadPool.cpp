//===- runtime/ThreadPool.cpp - Worker threads for runtime kernels --------===//
//
// The protocol (see ThreadPool.h for what it is for):
//
//   caller                                 each worker
//   busy.exchange(true) -- else inline     loop:
//   taskFn/Ctx/N, pending = parts - 1        spin ~kSpin on `job`, then block
//   claim = gen << shift | 1                   on workCv (sleepers counted)
//   job = gen << shift | parts               claim parts of job `gen` until
//   wake sleepers if any                       none is left, run each,
//   run part 0, then claim parts as a worker   --pending; the last one
//   wait for pending == 0 (spin, block)        wakes the caller
//   busy = false
//
// Parts are fixed by n and the part count; only which thread runs which is
// decided at run time, by claiming the next part index from `claim`. So a
// worker that the OS has not scheduled yet (more threads than free cores)
// costs nothing: the caller runs its part instead of waiting for it.
//
// The task fields are plain data: the caller writes them only while no
// part is running (pending is 0 and busy is held), and a worker reads
// them only after claiming a part of that job (the claim word carries the
// job's generation, so a worker woken for an old job claims nothing of a
// new one).
//
// Lost wake-ups: a worker increments `sleepers` and re-reads `job` under
// the mutex before waiting; the caller stores `job` and then reads
// `sleepers` (all sequentially consistent), and takes the mutex before
// notifying. Either the worker sees the new job, or the caller sees the
// sleeper and its notification finds it waiting.
//
//===----------------------------------------------------------------------===//
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include <signal.h>
#if defined(__linux__)
#include <sched.h>
#endif

namespace rnnc {

namespace {

constexpr uint64_t kPartsMask = 0xffff;
constexpr uint64_t kStopBit = uint64_t(1) << 16;
constexpr int kGenShift = 17;

/// How long a worker spins for the next job, and a caller for the workers'
/// parts, before blocking. A training step issues its GEMMs a few tens of
/// microseconds apart; a futex wake-up costs about as much as a small
/// product, so the worker stays awake across one step's gaps. Between the
/// char-LM gradient's products over all rows and its row-split scans the
/// caller has serial stretches (the loss, the embedding's gradient) of a
/// few hundred microseconds: at 100 us the workers slept ~70 times per
/// call, at 1 ms ~7 (strace), and the call got ~4% faster (interleaved,
/// 2 threads: 655-746 -> 634-649 us/step). An idle pool burns at most
/// this much of each worker's core after its last job.
constexpr auto kSpin = std::chrono::microseconds(1000);

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Spins until pred() holds or kSpin has passed; returns pred(). With
/// `yield` (more pool threads than cores) it also yields now and then so
/// the thread it waits for can run; otherwise it never enters the kernel:
/// on this VM a sched_yield is a system call costing about a microsecond,
/// which at batch 1 delayed seeing the next step's job (perf: 4% of a GRU
/// B = 1 run in sched_yield, 12% in the kernel).
template <class Pred> bool spinUntil(Pred pred, bool yield) {
  if (pred())
    return true;
  const auto start = std::chrono::steady_clock::now();
  for (unsigned i = 1;; ++i) {
    cpuRelax();
    if (pred())
      return true;
    if (i % 64 == 0) {
      if (std::chrono::steady_clock::now() - start > kSpin)
        return false;
      if (yield)
        std::this_thread::yield();
    }
  }
}

/// Whether `threads` pool threads are more than the machine's cores.
bool oversubscribed(unsigned threads) {
  static const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 || threads > cores;
}

} // namespace

thread_local bool ThreadPool::inPart = false;

void ThreadPool::runPart(TaskFn fn, void *ctx, int64_t begin, int64_t end) {
  bool outer = inPart;
  inPart = true;
  fn(ctx, begin, end);
  inPart = outer;
}

ThreadPool::ThreadPool(unsigned count) {
  busy.store(true, std::memory_order_relaxed);
  startWorkers(count ? count : defaultThreadCount());
  busy.store(false, std::memory_order_release);
}

ThreadPool::~ThreadPool() {
  acquireExclusive();
  stopWorkers();
  busy.store(false, std::memory_order_release);
}

unsigned ThreadPool::resize(unsigned count) {
  acquireExclusive();
  stopWorkers();
  startWorkers(count ? count : defaultThreadCount());
  busy.store(false, std::memory_order_release);
  return threadCount();
}

void ThreadPool::acquireExclusive() {
  while (busy.exchange(true, std::memory_order_acquire))
    std::this_thread::yield();
}

void ThreadPool::startWorkers(unsigned count) {
  count = std::clamp(count, 1u, kMaxThreads);
  workers.clear();
  workers.reserve(count - 1); // Worker addresses must not move.
  // Workers block every signal, so that signals (Ctrl-C in rnnc train) go
  // to the program's own threads, as they did before there were workers.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const uint64_t current = job.load(std::memory_order_relaxed);
  for (unsigned i = 1; i < count; ++i) {
    workers.push_back(Worker{this, i, current, {}});
    pthread_t t;
    if (pthread_create(&t, nullptr, &ThreadPool::workerEntry,
                       &workers.back()) != 0) {
      workers.pop_back(); // Run with the workers we have.
      break;
    }
    workers.back().handle = t;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  threads.store(static_cast<unsigned>(workers.size()) + 1,
                std::memory_order_relaxed);
}

void ThreadPool::stopWorkers() {
  threads.store(1, std::memory_order_relaxed);
  if (workers.empty())
    return;
  const uint64_t gen = (job.load(std::memory_order_relaxed) >> kGenShift) + 1;
  job.store(gen << kGenShift | kStopBit, std::memory_order_seq_cst);
  { std::lock_guard<std::mutex> lock(mu); }
  workCv.notify_all();
  for (Worker &w : workers)
    pthread_join(w.handle, nullptr);
  workers.clear();
}

void *ThreadPool::workerEntry(void *arg) {
  Worker *w = static_cast<Worker *>(arg);
  w->pool->workerLoop(*w);
  return nullptr;
}

void ThreadPool::workerLoop(Worker &w) {
  uint64_t seen = w.initialJob;
  for (;;) {
    uint64_t word = 0;
    auto fresh = [&] {
      word = job.load(std::memory_order_acquire);
      return word != seen;
    };
    if (!spinUntil(fresh,
                   oversubscribed(threads.load(std::memory_order_relaxed)))) {
      std::unique_lock<std::mutex> lock(mu);
      sleepers.fetch_add(1, std::memory_order_seq_cst);
      while ((word = job.load(std::memory_order_seq_cst)) == seen)
        workCv.wait(lock);
      sleepers.fetch_sub(1, std::memory_order_relaxed);
    }
    seen = word;
    if (word & kStopBit)
      return;
    runClaimedParts(word >> kGenShift, word & kPartsMask);
  }
}

void ThreadPool::runClaimedParts(uint64_t gen, uint64_t parts) {
  uint64_t c = claim.load(std::memory_order_acquire);
  for (;;) {
    if ((c >> kGenShift) != gen || (c & kPartsMask) >= parts)
      return;
    if (!claim.compare_exchange_weak(c, c + 1, std::memory_order_acq_rel,
                                     std::memory_order_acquire))
      continue;
    const int64_t i = static_cast<int64_t>(c & kPartsMask), n = taskN;
    const int64_t p = static_cast<int64_t>(parts);
    runPart(taskFn, taskCtx, n * i / p, n * (i + 1) / p);
    if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      { std::lock_guard<std::mutex> lock(mu); }
      doneCv.notify_one();
    }
    c = claim.load(std::memory_order_acquire);
  }
}

void ThreadPool::run(int64_t n, TaskFn fn, void *ctx, unsigned maxParts) {
  if (n <= 0)
    return;
  if (n == 1 || maxParts == 1 || inPart ||
      threads.load(std::memory_order_relaxed) <= 1 ||
      busy.exchange(true, std::memory_order_acquire)) {
    fn(ctx, 0, n);
    return;
  }
  // Under `busy` the thread count cannot change.
  const unsigned parts = static_cast<unsigned>(
      std::min<int64_t>({n, threads.load(std::memory_order_relaxed),
                         maxParts ? maxParts : kMaxThreads}));
  if (parts <= 1) {
    busy.store(false, std::memory_order_release);
    fn(ctx, 0, n);
    return;
  }
  taskFn = fn;
  taskCtx = ctx;
  taskN = n;
  pending.store(parts - 1, std::memory_order_relaxed);
  // Generations wrap at 2^47, far beyond any run's job count.
  const uint64_t gen =
      ((job.load(std::memory_order_relaxed) >> kGenShift) + 1) &
      (~uint64_t(0) >> kGenShift);
  claim.store(gen << kGenShift | 1, std::memory_order_relaxed);
  job.store(gen << kGenShift | parts, std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) > 0) {
    { std::lock_guard<std::mutex> lock(mu); }
    workCv.notify_all();
  }
  runPart(fn, ctx, 0, n / parts);
  runClaimedParts(gen, parts);
  auto done = [&] { return pending.load(std::memory_order_acquire) == 0; };
  if (!spinUntil(done, oversubscribed(parts))) {
    std::unique_lock<std::mutex> lock(mu);
    doneCv.wait(lock, done);
  }
  busy.store(false, std::memory_order_release);
}

ThreadPool &ThreadPool::global() {
  // Destroyed at exit after joining its workers; a kernel that still calls
  // it then finds one thread and runs inline.
  static ThreadPool pool(0);
  return pool;
}

bool ThreadPool::parseThreadCount(const char *text, unsigned &out) {
  if (!text || !*text)
    return false;
  unsigned value = 0;
  for (const char *p = text; *p; ++p) {
    if (*p < '0' || *p > '9')
      return false;
    value = value * 10 + unsigned(*p - '0');
    if (value > kMaxThreads)
      return false;
  }
  if (value < 1)
    return false;
  out = value;
  return true;
}

unsigned ThreadPool::defaultThreadCount() {
  unsigned n = 0;
  if (parseThreadCount(std::getenv("RNNC_THREADS"), n))
    return n;
#if defined(__linux__)
  // The CPUs this process may run on (taskset, container limits), not all
  // the machine has.
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    n = static_cast<unsigned>(CPU_COUNT(&set));
#endif
  if (n == 0)
    n = std::thread::hardware_concurrency();
  return std::clamp(n, 1u, kMaxDefaultThreads);
}

} // namespace rnnc
