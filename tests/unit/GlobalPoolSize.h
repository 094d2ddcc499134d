//===- tests/unit/GlobalPoolSize.h - The global pool's size -*- C++ -*-===//
//
// Tests that need the kernels to split across a known number of threads
// resize ThreadPool::global() for their duration; the destructor restores
// the size even when an ASSERT leaves the test early.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TESTS_UNIT_GLOBALPOOLSIZE_H
#define RNNC_TESTS_UNIT_GLOBALPOOLSIZE_H

#include "runtime/ThreadPool.h"

namespace rnnc::test {

class GlobalPoolSize {
public:
  /// Resizes the global pool to `threads`; got() is what it now has.
  explicit GlobalPoolSize(unsigned threads)
      : before(ThreadPool::global().threadCount()),
        now(ThreadPool::global().resize(threads)) {}
  ~GlobalPoolSize() { ThreadPool::global().resize(before); }
  GlobalPoolSize(const GlobalPoolSize &) = delete;
  GlobalPoolSize &operator=(const GlobalPoolSize &) = delete;
  unsigned got() const { return now; }

private:
  unsigned before, now;
};

} // namespace rnnc::test

#endif // RNNC_TESTS_UNIT_GLOBALPOOLSIZE_H
