//===- runtime/ExecContext.cpp - Per-call state of compiled code ----------===//
//
// The arena and error record behind rnnc_context, and the extern "C" entry
// points of KernelABI.h that reach them.
//
//===----------------------------------------------------------------------===//
#include "runtime/ExecContext.h"

#include <cstdlib>

namespace rnnc {

void *ExecContext::allocate(int64_t bytes) {
  if (bytes < 0)
    return nullptr;
  // aligned_alloc wants a multiple of the alignment; a zero-size request still
  // gets a distinct block so every buffer pointer is valid.
  constexpr int64_t align = 64;
  int64_t rounded = (bytes + align - 1) / align * align;
  if (rounded == 0)
    rounded = align;
  void *p = std::aligned_alloc(align, static_cast<size_t>(rounded));
  if (p)
    blocks.push_back(p);
  return p;
}

void ExecContext::reset() {
  for (void *p : blocks)
    std::free(p);
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
  if (!hasError())
    return Status::ok();
  return makeError(errorMessage());
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
