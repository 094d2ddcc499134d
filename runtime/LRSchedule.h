//===- runtime/LRSchedule.h - Learning rate by step -------------*- C++ -*-===//
//
// The learning rate `rnnc train` hands the optimizer at each step, as a
// function of the base lr (the optimizer's lr=), the 0-based index of the
// update about to be made and the run's total number of updates.
//
// Syntax: one or more comma-separated parts, at most one warmup and at most
// one decay (the default decay is constant):
//
//   constant               lr = base
//   step:N[:G]             lr = base * G^floor(s / N)        (G defaults 0.1,
//                          as torch.optim.lr_scheduler.StepLR)
//   cosine[:min=X]         lr = X + (base - X) * (1 + cos(pi * s / S)) / 2,
//                          X defaults 0 (CosineAnnealingLR with T_max = S)
//   linear[:min=X]         lr = base + (X - base) * s / S
//   warmup:W               the first W steps ramp linearly: step i (0-based)
//                          uses base * (i + 1) / W, so no step is wasted at 0
//
// where s = step - W counts the steps after warmup and S = totalSteps - W
// their number; s is clamped to [0, S], so a run longer than planned stays at
// the final value. When S <= 0 (total unknown, or all warmup) cosine and
// linear hold base. Examples: "cosine", "step:1000:0.5", "warmup:200,cosine",
// "cosine:min=1e-4,warmup:100". Errors name the offending part.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_LRSCHEDULE_H
#define RNNC_RUNTIME_LRSCHEDULE_H

#include "runtime/Result.h"

#include <cstdint>
#include <string>

namespace rnnc {

struct LRSchedule {
  enum class Kind { Constant, Step, Cosine, Linear };
  Kind kind = Kind::Constant;
  int64_t warmup = 0;   // warmup steps W
  int64_t stepSize = 0; // N of step:N:G
  double gamma = 0.1;   // G of step:N:G
  double minLr = 0;     // X of cosine/linear

  static Result<LRSchedule> parse(const std::string &spec);
  /// The learning rate for the update with 0-based index `step`.
  double at(double baseLr, int64_t step, int64_t totalSteps) const;
  /// A spec that parses back to this schedule, e.g. "warmup:200,cosine:min=0".
  std::string str() const;
};

} // namespace rnnc

#endif // RNNC_RUNTIME_LRSCHEDULE_H
