//===- tools/rnnc/DropoutMasks.h - Inverted-dropout masks for training -*- C++ -*-===//
//
// The training lowering turns each `dropout(x, p)` into `x * mask` with the
// mask an argument (role "dropout_mask"). The driver fills it each step:
// every element is 0 with probability p, else 1/(1-p) (inverted dropout, so
// inference needs no rescaling). The generator for a step is derived from
// (seed, step, site), not carried, so a resumed run draws the same masks as
// an uninterrupted one.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_DROPOUTMASKS_H
#define RNNC_TOOLS_RNNC_DROPOUTMASKS_H

#include "frontend/ModelInfo.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <vector>

namespace rnnc::driver {

/// Fills the dropout mask arguments of `args` for training step `step`. The
/// masks' symbolic dims (T, B, S, ...) are read off the data arguments
/// already in `args`. Fails if a dim cannot be inferred.
Status fillDropoutMasks(const frontend::ModelInfo &info,
                        std::vector<Tensor> &args, uint64_t seed,
                        int64_t step);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_DROPOUTMASKS_H
