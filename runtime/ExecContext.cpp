//===- runtime/ExecContext.cpp - Per-call state of compiled code ----------===//
//
// The arena and error record behind rnnc_context, and the extern "C" entry
// points of KernelABI.h that reach them.
//
//===----------------------------------------------------------------------===//
#include "runtime/ExecContext.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <unordered_map>

namespace rnnc {

static constexpr int64_t kAlign = 64, kGuard = 64;
static constexpr unsigned char kGuardByte = 0xA5;

namespace {
/// Blocks that reset() released, kept for the next call on this thread. A
/// compiled function asks for the same sizes on every call with the same
/// B and T, and a fresh large block comes from mmap: every call would
/// page-fault its way through its intermediates again (8% of a training
/// step, measured with perf on the LSTM 512 B=64 gradient). Bounded, so a
/// one-off large call does not pin its memory.
struct BlockCache {
  static constexpr int64_t kLimit = int64_t(512) << 20;
  std::unordered_multimap<int64_t, unsigned char *> blocks; // by size
  int64_t bytes = 0;
  ~BlockCache() {
    for (auto &[size, p] : blocks)
      std::free(p);
  }
  unsigned char *take(int64_t size) {
    auto it = blocks.find(size);
    if (it == blocks.end())
      return nullptr;
    unsigned char *p = it->second;
    blocks.erase(it);
    bytes -= size;
    return p;
  }
  void give(unsigned char *p, int64_t size) {
    if (bytes + size > kLimit) {
      std::free(p);
      return;
    }
    blocks.emplace(size, p);
    bytes += size;
  }
};
thread_local BlockCache blockCache;
} // namespace

void *ExecContext::allocate(int64_t bytes) {
  if (bytes < 0 || bytes > INT64_MAX / 2)
    return nullptr;
  // aligned_alloc wants a multiple of the alignment; the guard follows the
  // requested bytes directly, so even a one-element overrun hits it.
  int64_t rounded = (bytes + kGuard + kAlign - 1) / kAlign * kAlign;
  unsigned char *p = blockCache.take(rounded);
  if (!p)
    p = static_cast<unsigned char *>(
        std::aligned_alloc(kAlign, static_cast<size_t>(rounded)));
  if (!p)
    return nullptr;
  std::memset(p + bytes, kGuardByte, kGuard);
  blocks.push_back({p, bytes, rounded});
  return p;
}

bool ExecContext::guardsIntact() const {
  for (const Block &b : blocks)
    for (int64_t k = 0; k < kGuard; ++k)
      if (b.data[b.bytes + k] != kGuardByte)
        return false;
  return true;
}

void ExecContext::reset() {
  for (const Block &b : blocks)
    blockCache.give(b.data, b.rounded);
  blocks.clear();
  errorCode = RNNC_OK;
  errorA = errorB = 0;
}

void ExecContext::reportError(int32_t code, int64_t a, int64_t b) {
  if (errorCode != RNNC_OK)
    return;
  errorCode = code;
  errorA = a;
  errorB = b;
}

std::string ExecContext::errorMessage() const {
  std::string a = std::to_string(errorA), b = std::to_string(errorB);
  switch (errorCode) {
  case RNNC_OK:
    return "";
  case RNNC_ERR_ALLOC:
    return "cannot allocate " + a + " bytes for an intermediate buffer";
  case RNNC_ERR_EMBED_ID:
    return "embed: id " + a + " is out of range for a table of V = " + b +
           " rows";
  case RNNC_ERR_LENGTH:
    return "length " + a + " is outside [0, T = " + b + "]";
  case RNNC_ERR_TARGET:
    return "cross_entropy: target " + a + " is out of range for V = " + b +
           " classes";
  case RNNC_ERR_CAST:
    return "cast: element " + a + " has no i32 value";
  default:
    return "run-time error " + std::to_string(errorCode);
  }
}

Status ExecContext::status() const {
  if (hasError())
    return makeError(errorMessage());
  if (!guardsIntact())
    return makeError("internal error: compiled code wrote past the end of an "
                     "intermediate buffer");
  return Status::ok();
}

} // namespace rnnc

using rnnc::ExecContext;

extern "C" {

void *rnnc_alloc(rnnc_context *ctx, int64_t bytes) {
  ExecContext *ec = ExecContext::fromHandle(ctx);
  if (void *p = ec->allocate(bytes))
    return p;
  ec->reportError(RNNC_ERR_ALLOC, bytes, 0);
  // Generated code checks rnnc_has_error before touching any buffer, but a
  // valid pointer keeps even a mistaken read harmless.
  alignas(64) static float dummy[16];
  return dummy;
}

void rnnc_report_error(rnnc_context *ctx, int32_t code, int64_t a, int64_t b) {
  ExecContext::fromHandle(ctx)->reportError(code, a, b);
}

int32_t rnnc_has_error(rnnc_context *ctx) {
  return ExecContext::fromHandle(ctx)->hasError() ? 1 : 0;
}

} // extern "C"
