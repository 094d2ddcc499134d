//===- runtime/AotRuntime.h - What `rnnc compile` objects call -*- C++ -*-===//
//
// An object written by `rnnc compile` holds the model's compiled function,
// a JSON descriptor of its calling convention (argument and result names,
// roles, dtypes, dims), optionally the weights as constant data, and thin
// exported functions named after the model (charlm_create, charlm_run, ...)
// that forward here. Everything that is the same for every model — binding
// symbolic sizes, zero targets, initial states, loading safetensors, the
// carried state of streaming, error strings — lives in this file, in the
// runtime library, so the generated part of the object stays small and the
// C API (docs/aot.md) behaves the same for every model.
//
// A context owns all mutable state (arena, carried state, loaded weights,
// the last error); there are no globals, so different contexts may be used
// from different threads at once. One context must not be used by two
// threads at the same time.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_AOTRUNTIME_H
#define RNNC_RUNTIME_AOTRUNTIME_H

#include "runtime/KernelABI.h"

#include <cstdint>

extern "C" {

typedef struct rnnc_aot_ctx rnnc_aot_ctx;

/// The compiled model function (docs/codegen.md, "The compiled-function ABI").
typedef void (*rnnc_aot_entry)(void *const *args, const int64_t *syms,
                               void *const *results, rnnc_context *ctx);

/// Version of the descriptor format and of this interface; an object made
/// by another version is refused at create time with a message.
enum { RNNC_AOT_ABI_VERSION = 1 };

/// A new context. `descriptor` is the object's NUL-terminated JSON;
/// `embedded` one pointer per parameter in argument order (NULL when the
/// object has no weights); `weights_path` a safetensors file to load
/// instead (NULL: the embedded weights). Returns NULL only when out of
/// memory; any other failure leaves a context whose rnnc_aot_error() says
/// why and whose run/step calls fail with that message.
rnnc_aot_ctx *rnnc_aot_create(const char *descriptor,
                              const void *const *embedded,
                              rnnc_aot_entry entry, const char *weights_path);
void rnnc_aot_destroy(rnnc_aot_ctx *ctx);

/// The message of the last failed call on `ctx`, or NULL after a success.
const char *rnnc_aot_error(const rnnc_aot_ctx *ctx);

/// Whole-sequence inference. `sizes`: one value per symbolic size in the
/// descriptor's "symbols" order; `inputs`: one pointer per input and
/// lengths argument in argument order (a NULL lengths means every row is
/// full); `outputs`: one buffer per declared output. 0 on success.
int rnnc_aot_run(rnnc_aot_ctx *ctx, const int64_t *sizes,
                 const void *const *inputs, void *const *outputs);

/// One time step with the carried state: `sizes` without the time symbol,
/// `inputs` one per input argument (a [T,B,...] input given as [B,...]),
/// `outputs` one per declared output ([B,...]). 0 on success.
int rnnc_aot_step(rnnc_aot_ctx *ctx, const int64_t *sizes,
                  const void *const *inputs, void *const *outputs);

/// Forgets the carried state: the next step starts from the initial state
/// (and may use another batch size). 0 on success.
int rnnc_aot_reset(rnnc_aot_ctx *ctx);

} // extern "C"

#endif // RNNC_RUNTIME_AOTRUNTIME_H
