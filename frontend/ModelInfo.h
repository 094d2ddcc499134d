//===- frontend/ModelInfo.h - What the driver needs to call a model -*- C++
//-*-===//
//
// The lowering turns each model into one IR function named after the model and
// describes its calling convention here, so the driver (run, train, sample,
// compile) binds arguments by role instead of guessing from positions.
//
// Arguments, in this order, each with an arg attribute `role`:
//   1. inputs, role "input": a token sequence is i32[T,B], an f32 sequence
//      f32[T,B,F], a per-sequence token i32[B], a per-sequence f32 f32[B,F];
//   2. `lengths: i32[B]`, role "lengths", present when the model has a
//      sequence input: row b holds steps t < lengths[b] (pass T for every row
//      when unpadded). Scans, pooling and losses use it, so padding never
//      changes a result;
//   3. targets, role "target" (typed like inputs);
//   4. the initial carried state of every cell application, role "state",
//      f32[B,H], named `<layer>.<state>0` (e.g. `h1.h0`, `h1.c0`);
//   5. only when lowered with LowerOptions::training: one dropout mask per
//      dropout site, in source order, role "dropout_mask", named
//      `<site>.mask` and typed like the dropped value (f32[T,B,F] for a
//      sequence, f32[B,F] per row); the driver fills it (inverted dropout:
//      0 with probability p, else 1/(1-p)) and the IR multiplies by it;
//   6. parameters, role "param" and `param = true`, named `<layer>.<param>`
//      (e.g. `h1.Wi`, `logits.weight`).
// Results: the loss (f32[], when the model has one), then the declared outputs
// in order, then the final carried state of every cell application in the
// order of the state arguments (role "final_state", named `<layer>.<state>`).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_MODELINFO_H
#define RNNC_FRONTEND_MODELINFO_H

#include "ir/Types.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rnnc::frontend {

/// How a parameter starts: recorded, not sampled (the runtime samples).
struct InitSpec {
  enum class Kind { None, Constant, Uniform, Normal };
  Kind kind = Kind::None;
  double value = 0;            // Constant
  double low = 0, high = 0;    // Uniform
  double mean = 0, stddev = 1; // Normal
  /// "constant(1)", "uniform(-0.0625, 0.0625)", "normal(0, 1)", "none".
  std::string str() const;

  static InitSpec constant(double v) {
    InitSpec s;
    s.kind = Kind::Constant;
    s.value = v;
    return s;
  }
  static InitSpec uniform(double lo, double hi) {
    InitSpec s;
    s.kind = Kind::Uniform;
    s.low = lo;
    s.high = hi;
    return s;
  }
  static InitSpec normal(double mean, double stddev) {
    InitSpec s;
    s.kind = Kind::Normal;
    s.mean = mean;
    s.stddev = stddev;
    return s;
  }
};

/// One argument or result of the lowered function.
struct SlotInfo {
  std::string name;
  /// "input", "lengths", "target", "state", "dropout_mask", "param"; for
  /// results "loss", "output", "final_state".
  std::string role;
  ir::TensorType type;
  /// Params: the initializer; states: the initial value (constant, 0 unless
  /// the cell declares one).
  InitSpec init;
  /// Token inputs and targets (`token[V]`): V, the ids must lie in [0, V);
  /// 0 for every other slot.
  int64_t vocab = 0;
};

/// An optimizer call in a train block: `optimizer adam(lr = 2e-3)`.
struct OptimizerSpec {
  std::string name;
  std::map<std::string, double> args;
};

/// The train block's defaults; settings absent from the file are absent here.
struct TrainConfig {
  bool present = false;
  OptimizerSpec optimizer;
  /// Numeric settings: clip_norm, batch, bptt, epochs, lr, ...
  std::map<std::string, double> settings;
};

/// A dropout layer: the identity at inference; lowered for training it is
/// `x * mask` with the mask an argument of the function.
struct DropoutSite {
  std::string name;
  double p = 0;
  /// Training lowering only (empty otherwise): the mask argument's name,
  /// `<name>.mask`, and its type (that of the dropped value).
  std::string maskArg;
  ir::TensorType maskType;
};

/// A layer of the model: one application of a cell or of a parameterized
/// builtin, whose parameters are named `<name>.<param>`. For matching
/// weights from other frameworks (tools/rnnc/TorchImport.h).
struct LayerInfo {
  std::string name;
  /// The cell's name ("lstm", "gru", "rnn" for the prelude's, or a user
  /// cell's) or the builtin's ("embed", "linear", "layernorm").
  std::string kind;
  /// A cell applied with reverse=true.
  bool reverse = false;
};

struct ModelInfo {
  std::string name;
  std::vector<SlotInfo> args;
  std::vector<SlotInfo> results;
  TrainConfig train;
  /// Every size parameter of the model and its bound value.
  std::map<std::string, int64_t> sizes;
  std::vector<DropoutSite> dropouts;
  /// In the order they are applied in the model.
  std::vector<LayerInfo> layers;

  /// Index of the argument with this name, or -1.
  int argIndex(const std::string &name) const;
  /// A human-readable summary (`rnnc ir --emit=info`).
  std::string str() const;
};

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_MODELINFO_H
