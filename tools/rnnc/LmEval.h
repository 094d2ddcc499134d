//===- tools/rnnc/LmEval.h - Loss and accuracy of a language model -*- C++ -*-===//
//
// Validation during `rnnc train` and `rnnc eval` on text: the compiled
// forward function runs over a token stream in truncated-BPTT windows, the
// carried state flowing from one window to the next exactly as in training,
// and reports the mean loss per token (nats) and next-token accuracy.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_LMEVAL_H
#define RNNC_TOOLS_RNNC_LMEVAL_H

#include "codegen/CompiledFunction.h"
#include "runtime/Result.h"
#include "tools/rnnc/ModelArgs.h"

#include <cstdint>
#include <vector>

namespace rnnc::driver {

struct LmEvalResult {
  double loss = 0;     // mean nats per token
  double accuracy = 0; // argmax of the logits == target
  int64_t tokens = 0;
  int64_t windows = 0;
};

/// Runs `forward` (the model function: loss first, logits the first output)
/// over `ids` cut into `batch` lanes of `steps`-long windows, at most
/// `maxWindows` of them (0: all). `args` has the parameters bound; the
/// other slots are filled here. A stream too short for one window with
/// `batch` lanes is evaluated with fewer lanes.
Result<LmEvalResult> evaluateLm(const codegen::CompiledFunction &forward,
                                const ModelArgs &layout,
                                std::vector<Tensor> args,
                                const std::vector<int32_t> &ids, int64_t batch,
                                int64_t steps, int64_t maxWindows);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_LMEVAL_H
