//===- runtime/Optimizer.h - Parameter updates for training -----*- C++ -*-===//
//
// The optimizers `rnnc train` applies after each backward pass: SGD (with
// momentum, Nesterov momentum, dampening and L2 weight decay), Adam, AdamW
// (decoupled weight decay) and RMSProp (optionally centered, with momentum).
// Each follows torch.optim's update rule and defaults (PyTorch 2.x,
// single-tensor path), so a model trained here and one trained in PyTorch
// from the same weights and gradients take the same steps up to f32 rounding.
// docs/training-runtime.md writes the equations out; in short, with g the
// gradient, p the parameter, t the 1-based step and lr the schedule's value:
//
//   sgd      g += wd*p; b = t==1 ? g : mu*b + (1-dampening)*g;
//            p -= lr * (nesterov ? g + mu*b : b)       (b only when mu != 0)
//            defaults lr=1e-3 mu=0 dampening=0 wd=0 nesterov=0
//   adam     g += wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
//            p -= (lr/(1-b1^t)) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
//            defaults lr=1e-3 beta1=0.9 beta2=0.999 eps=1e-8 wd=0
//   adamw    p *= 1 - lr*wd; then adam's update without the g += wd*p
//            defaults as adam but wd=0.01
//   rmsprop  g += wd*p; v = alpha*v + (1-alpha)*g^2;
//            (centered: a = alpha*a + (1-alpha)*g; v~ = v - a^2, else v~ = v)
//            d = sqrt(v~) + eps; momentum: b = mu*b + g/d, p -= lr*b;
//            else p -= lr*g/d
//            defaults lr=1e-2 alpha=0.99 eps=1e-8 wd=0 momentum=0 centered=0
//
// State (moments, momentum buffers) is kept in f32 like PyTorch's, and the
// per-step scalars (bias corrections) in double. The update loops run over
// contiguous floats with every scalar hoisted, so they vectorize.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_OPTIMIZER_H
#define RNNC_RUNTIME_OPTIMIZER_H

#include "runtime/Result.h"
#include "runtime/Safetensors.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rnnc {

class Optimizer {
public:
  virtual ~Optimizer();

  /// One update, in place: params[i] is changed from grads[i] (same shapes,
  /// f32) at learning rate `lr` (the schedule's value for this step). Fails,
  /// changing nothing, on mismatched counts, dtypes or shapes, on a
  /// parameter set that differs from the previous steps', or on a negative
  /// or non-finite lr.
  Status step(std::vector<Tensor *> &params,
              const std::vector<const Tensor *> &grads, double lr);

  /// "sgd", "adam", "adamw" or "rmsprop"; also the prefix of state names.
  virtual const char *name() const = 0;
  /// The learning rate given at construction (lr=...), default per optimizer.
  double baseLr() const { return lr0; }
  /// Updates applied so far (restored by loadState).
  int64_t stepCount() const { return steps; }

  /// Optimizer state as named tensors for checkpoints: "optim.step" (i32[])
  /// and one tensor per parameter and buffer, "<name>.<buffer>.<param>"
  /// shaped like the parameter, e.g. "adam.m.h1.Wi", "adam.v.h1.Wi",
  /// "sgd.momentum.h1.Wi", "rmsprop.square_avg.h1.Wi". `paramNames` are the
  /// parameters in step() order. Before the first step there are no buffers.
  TensorMap state(const std::vector<std::string> &paramNames) const;

  /// Restores state() exactly, so a resumed run continues bit-identically.
  /// Keys of other kinds (e.g. the model's parameters) are ignored; missing,
  /// mis-shaped or unexpected keys of this optimizer, and another
  /// optimizer's state ("adam.*" loaded into sgd), fail with one line per
  /// problem, leaving the optimizer unchanged. Buffer shapes are checked
  /// against the parameters at the next step(); the overload taking the
  /// parameters checks them now.
  Status loadState(const TensorMap &state,
                   const std::vector<std::string> &paramNames);
  Status loadState(const TensorMap &state,
                   const std::vector<std::string> &paramNames,
                   const std::vector<const Tensor *> &params);

protected:
  Optimizer(double lr, std::vector<std::string> bufferNames);

  /// Applies the update to one tensor of n floats. `bufs[k]` is buffer k of
  /// bufferNames for this tensor; `t` is the 1-based step.
  virtual void update(float *p, const float *g, float *const *bufs,
                      int64_t n, double lr, int64_t t) = 0;

private:
  double lr0;
  int64_t steps = 0;
  /// Per-tensor buffer names, e.g. {"m", "v"}; empty for plain SGD.
  std::vector<std::string> bufferNames;
  /// buffers[k][i]: buffer k of parameter i; allocated at the first step.
  std::vector<std::vector<Tensor>> buffers;
  /// Parameter names from loadState, for step()'s shape messages.
  std::vector<std::string> knownNames;
};

/// name: "sgd", "adam", "adamw", "rmsprop"; args as in a train block: lr,
/// momentum, dampening, nesterov (0/1), beta1, beta2, eps, weight_decay,
/// alpha, centered (0/1). An unknown name or argument, an argument the
/// optimizer does not take, or an out-of-range value is an error naming it.
Result<std::unique_ptr<Optimizer>>
makeOptimizer(const std::string &name, const std::map<std::string, double> &args);

/// Scales all grads in place so their global L2 norm is at most maxNorm, as
/// torch.nn.utils.clip_grad_norm_: by maxNorm / (norm + 1e-6) when that is
/// below 1. maxNorm <= 0: no clipping. Returns the norm before clipping
/// (computed in double); a non-finite norm leaves the grads unchanged so the
/// caller can report it.
double clipGlobalNorm(const std::vector<Tensor *> &grads, double maxNorm);

} // namespace rnnc

#endif // RNNC_RUNTIME_OPTIMIZER_H
