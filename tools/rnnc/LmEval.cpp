//===- tools/rnnc/LmEval.cpp - Loss and accuracy of a language model ------===//
#include "tools/rnnc/LmEval.h"

#include "runtime/TbpttStream.h"
#include "tools/rnnc/TrainTask.h"

#include <algorithm>
#include <cmath>

namespace rnnc::driver {

Result<LmEvalResult> evaluateLm(const codegen::CompiledFunction &forward,
                                const ModelArgs &layout,
                                std::vector<Tensor> args,
                                const std::vector<int32_t> &ids, int64_t batch,
                                int64_t steps, int64_t maxWindows) {
  if (layout.lossResult() < 0 || layout.outputs().empty() ||
      layout.inputs().size() != 1 || layout.targets().size() != 1)
    return makeError("the model is not a language model (one token input, "
                     "one token target, a loss and a logits output)");
  int64_t lanes = batch;
  if (static_cast<int64_t>(ids.size()) < lanes * steps + 1)
    lanes = std::max<int64_t>(1, (static_cast<int64_t>(ids.size()) - 1) / steps);
  auto stream = TbpttStream::create(&ids, lanes, steps);
  if (!stream)
    return makeError("evaluation data: " + stream.error());
  int64_t windows = stream->windowsPerEpoch();
  if (maxWindows > 0)
    windows = std::min(windows, maxWindows);
  std::vector<Tensor> states = layout.initialStates(lanes);
  LmEvalResult r;
  double lossSum = 0;
  int64_t correct = 0;
  for (int64_t w = 0; w < windows; ++w) {
    TbpttStream::Batch b = stream->next();
    args[layout.inputs()[0]] = b.x;
    args[layout.targets()[0]] = b.y;
    for (unsigned l : layout.lengths())
      args[l] = b.lengths;
    for (size_t s = 0; s < states.size(); ++s)
      args[layout.states()[s]] = states[s];
    auto run = runHeldoutBatch(forward, layout, args, "evaluation window", w);
    if (!run)
      return makeError(run.error());
    int64_t n = b.y.numElements();
    lossSum += run->loss * static_cast<double>(n);
    r.tokens += n;
    const Tensor &logits = run->out[layout.outputs()[0]];
    int64_t V = logits.shape().back();
    const float *lp = logits.f32Data();
    const int32_t *yp = b.y.i32Data();
    for (int64_t i = 0; i < n; ++i)
      correct += argmaxRow(lp + i * V, V) == yp[i];
    for (size_t s = 0; s < states.size(); ++s)
      states[s] = std::move(run->out[layout.finalStates()[s]]);
    ++r.windows;
  }
  if (r.tokens > 0) {
    r.loss = lossSum / static_cast<double>(r.tokens);
    r.accuracy = static_cast<double>(correct) / static_cast<double>(r.tokens);
  }
  return r;
}

} // namespace rnnc::driver
