//===- tests/unit/ThreadPoolTest.cpp - The runtime's worker pool ----------===//
//
// parallelFor visits every index of [0, n) exactly once, in the documented
// static parts, for many n and thread counts; concurrent callers (as AOT
// contexts on several threads are) and nested calls complete without
// deadlock, running inline when the pool is busy; pools are created,
// resized and destroyed repeatedly; RNNC_THREADS parsing.
//
//===----------------------------------------------------------------------===//
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

using rnnc::ThreadPool;

namespace {

/// Runs parallelFor(n) and checks every index was visited exactly once and
/// that each call got one of the documented parts.
void checkCover(ThreadPool &pool, int64_t n) {
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::mutex mu;
  std::set<std::pair<int64_t, int64_t>> ranges;
  pool.parallelFor(n, [&](int64_t begin, int64_t end) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ranges.insert({begin, end});
    }
    for (int64_t i = begin; i < end; ++i)
      hits[i].fetch_add(1, std::memory_order_relaxed);
  });
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i
                                 << " threads=" << pool.threadCount();
  if (n <= 0) {
    EXPECT_TRUE(ranges.empty());
    return;
  }
  const int64_t parts = std::min<int64_t>(n, pool.threadCount());
  std::set<std::pair<int64_t, int64_t>> want;
  for (int64_t i = 0; i < parts; ++i)
    want.insert({n * i / parts, n * (i + 1) / parts});
  EXPECT_EQ(ranges, want) << "n=" << n << " threads=" << pool.threadCount();
}

TEST(ThreadPoolTest, EveryIndexOnceForManySizesAndThreadCounts) {
  for (unsigned threads : {1u, 2u, 3u, 4u, 7u, 8u}) {
    ThreadPool pool(threads);
    ASSERT_EQ(pool.threadCount(), threads);
    for (int64_t n : {0, 1, 2, 3, 5, 7, 8, 9, 16, 63, 64, 65, 1000, 100003})
      checkCover(pool, n);
    // Many small jobs back to back: workers spinning, then sleeping.
    for (int rep = 0; rep < 2000; ++rep)
      checkCover(pool, 1 + rep % 17);
  }
}

TEST(ThreadPoolTest, NegativeAndZeroDoNothing) {
  ThreadPool pool(4);
  int calls = 0;
  pool.parallelFor(0, [&](int64_t, int64_t) { ++calls; });
  pool.parallelFor(-5, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPoolTest, OneIndexRunsOnTheCaller) {
  ThreadPool pool(4);
  std::thread::id who;
  pool.parallelFor(1, [&](int64_t begin, int64_t end) {
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 1);
    who = std::this_thread::get_id();
  });
  EXPECT_EQ(who, std::this_thread::get_id());
}

TEST(ThreadPoolTest, UsesSeveralThreads) {
  // Parts go to whichever thread claims them first, the caller included,
  // so only "more than one thread" is guaranteed, and only because part 0
  // holds the caller until some worker has taken another part.
  ThreadPool pool(4);
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::atomic<int> started{0};
  pool.parallelFor(4, [&](int64_t begin, int64_t) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(std::this_thread::get_id());
    }
    started.fetch_add(1);
    if (begin == 0)
      while (started.load() < 2)
        std::this_thread::yield();
  });
  EXPECT_GE(ids.size(), 2u);
  EXPECT_TRUE(ids.count(std::this_thread::get_id()));
}

TEST(ThreadPoolTest, MaxPartsLimitsTheSplit) {
  ThreadPool pool(4);
  for (unsigned maxParts : {1u, 2u, 3u, 4u, 9u}) {
    std::mutex mu;
    std::set<std::pair<int64_t, int64_t>> ranges;
    std::vector<int> hits(100, 0);
    pool.parallelFor(
        100,
        [&](int64_t begin, int64_t end) {
          std::lock_guard<std::mutex> lock(mu);
          ranges.insert({begin, end});
          for (int64_t i = begin; i < end; ++i)
            ++hits[i];
        },
        maxParts);
    EXPECT_EQ(ranges.size(), std::min(maxParts, 4u)) << maxParts;
    for (int h : hits)
      ASSERT_EQ(h, 1);
  }
}

TEST(ThreadPoolTest, ConcurrentCallersFromFourThreads) {
  // Each caller either gets the workers or runs inline; either way every
  // one of its indices is visited exactly once and nobody waits forever.
  ThreadPool pool(3);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&, t] {
      for (int rep = 0; rep < 3000; ++rep) {
        const int64_t n = 1 + (rep * 7 + t) % 50;
        std::vector<int> hits(n, 0);
        pool.parallelFor(n, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i)
            ++hits[i]; // each index belongs to one part: no race
        });
        for (int64_t i = 0; i < n; ++i)
          if (hits[i] != 1)
            failures.fetch_add(1);
      }
    });
  for (std::thread &t : callers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPoolTest, NestedCallRunsInline) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> hits(64 * 64);
  pool.parallelFor(64, [&](int64_t b0, int64_t b1) {
    for (int64_t i = b0; i < b1; ++i) {
      int innerCalls = 0;
      pool.parallelFor(64, [&](int64_t c0, int64_t c1) {
        ++innerCalls; // the pool is busy: one inline call, no race
        for (int64_t j = c0; j < c1; ++j)
          hits[i * 64 + j].fetch_add(1);
      });
      EXPECT_EQ(innerCalls, 1);
    }
  });
  for (auto &h : hits)
    ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPoolTest, RepeatedCreateDestroyAndResize) {
  for (int rep = 0; rep < 200; ++rep) {
    ThreadPool pool(1 + rep % 5);
    if (rep % 3 == 0)
      checkCover(pool, 10 + rep);
    // Destroyed right after creation, or right after a job, or while the
    // workers still spin: all must join cleanly.
  }
  ThreadPool pool(2);
  for (unsigned threads : {4u, 1u, 3u, 8u, 2u}) {
    EXPECT_EQ(pool.resize(threads), threads);
    checkCover(pool, 1000);
  }
}

TEST(ThreadPoolTest, ResizeWhileOthersCall) {
  ThreadPool pool(2);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::thread caller([&] {
    while (!stop.load()) {
      std::vector<int> hits(37, 0);
      pool.parallelFor(37, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          ++hits[i];
      });
      for (int h : hits)
        if (h != 1)
          failures.fetch_add(1);
    }
  });
  for (int rep = 0; rep < 50; ++rep)
    pool.resize(1 + rep % 4);
  stop = true;
  caller.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPoolTest, ParseThreadCount) {
  unsigned n = 99;
  EXPECT_TRUE(ThreadPool::parseThreadCount("1", n));
  EXPECT_EQ(n, 1u);
  EXPECT_TRUE(ThreadPool::parseThreadCount("16", n));
  EXPECT_EQ(n, 16u);
  EXPECT_TRUE(ThreadPool::parseThreadCount("64", n));
  EXPECT_EQ(n, 64u);
  n = 5;
  for (const char *bad : {"", "0", "65", "-1", "2x", " 2", "1.5",
                          "99999999999999999999"})
    EXPECT_FALSE(ThreadPool::parseThreadCount(bad, n)) << bad;
  EXPECT_FALSE(ThreadPool::parseThreadCount(nullptr, n));
  EXPECT_EQ(n, 5u);
}

TEST(ThreadPoolTest, GlobalPoolHasADefault) {
  const unsigned n = ThreadPool::global().threadCount();
  EXPECT_GE(n, 1u);
  EXPECT_LE(n, ThreadPool::kMaxThreads);
  checkCover(ThreadPool::global(), 12345);
}

} // namespace
