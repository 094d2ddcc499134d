//===- runtime/ExecContext.h - Per-call state of compiled code -*- C++ -*-===//
//
// What a compiled function receives as its `rnnc_context *`: an arena that
// hands out its intermediate buffers (freed together when the call is over)
// and the first run-time error it reported (an id outside an embedding
// table, a sequence length outside [0, T], ...). The caller turns that error
// into an rnnc::Error. Buffer reuse by liveness is a later pass; this arena
// is deliberately simple: one aligned block per request. Each block ends in a
// 64-byte guard pattern, checked by status(): a codegen bug that writes past
// a buffer becomes an error instead of silent heap corruption.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_EXECCONTEXT_H
#define RNNC_RUNTIME_EXECCONTEXT_H

#include "runtime/KernelABI.h"
#include "runtime/Result.h"

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc {

class ExecContext {
public:
  ExecContext() = default;
  ExecContext(const ExecContext &) = delete;
  ExecContext &operator=(const ExecContext &) = delete;
  ~ExecContext() { reset(); }

  /// The C handle generated code receives.
  rnnc_context *handle() { return reinterpret_cast<rnnc_context *>(this); }
  static ExecContext *fromHandle(rnnc_context *ctx) {
    return reinterpret_cast<ExecContext *>(ctx);
  }

  /// 64-byte aligned memory living until reset(); null on failure.
  void *allocate(int64_t bytes);
  /// Frees every block and forgets the error.
  void reset();

  void reportError(int32_t code, int64_t a, int64_t b);
  bool hasError() const { return errorCode != RNNC_OK; }
  /// The first recorded error as a sentence, or "" when there is none.
  std::string errorMessage() const;
  /// Ok, or the first error as an rnnc::Error (a damaged guard included).
  Status status() const;
  /// True when every block's guard is intact.
  bool guardsIntact() const;

private:
  struct Block {
    unsigned char *data;
    int64_t bytes;   // as asked for; the guard follows
    int64_t rounded; // as allocated
  };
  std::vector<Block> blocks;
  int32_t errorCode = RNNC_OK;
  int64_t errorA = 0, errorB = 0;
};

} // namespace rnnc

#endif // RNNC_RUNTIME_EXECCONTEXT_H
