//===- tools/rnnc/ModelArgs.h - Binding a model's arguments by role -*- C++ -*-===//
//
// A lowered model takes its arguments in a fixed convention (inputs, lengths,
// targets, initial states, parameters; frontend/ModelInfo.h) and returns the
// loss, the outputs and the final states. The commands that call a model
// (train, sample, eval) fill the argument vector by role with this class
// rather than by position, and read results by name.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_MODELARGS_H
#define RNNC_TOOLS_RNNC_MODELARGS_H

#include "frontend/ModelInfo.h"
#include "runtime/ParameterStore.h"
#include "runtime/Tensor.h"

#include <string>
#include <vector>

namespace rnnc::driver {

class ModelArgs {
public:
  explicit ModelArgs(const frontend::ModelInfo &info);

  /// Argument indices by role, in argument order.
  const std::vector<unsigned> &inputs() const { return inputArgs; }
  const std::vector<unsigned> &targets() const { return targetArgs; }
  const std::vector<unsigned> &lengths() const { return lengthArgs; }
  const std::vector<unsigned> &states() const { return stateArgs; }
  const std::vector<unsigned> &params() const { return paramArgs; }
  /// Result indices: the loss (-1 if none), the outputs, and for each state
  /// argument (in states() order) the result holding its final value.
  int lossResult() const { return lossRes; }
  const std::vector<unsigned> &outputs() const { return outputRes; }
  const std::vector<unsigned> &finalStates() const { return finalStateRes; }

  /// The initial value of every state argument for a batch of `batch` rows
  /// (each state's declared constant), in states() order.
  std::vector<Tensor> initialStates(int64_t batch) const;

  /// An argument vector with the parameters copied from `store` (which must
  /// be in argument order, as LoadedModel builds it) and every other slot
  /// left empty for the caller to fill.
  std::vector<Tensor> withParams(const ParameterStore &store) const;

  const frontend::ModelInfo &info() const { return *model; }

private:
  const frontend::ModelInfo *model;
  std::vector<unsigned> inputArgs, targetArgs, lengthArgs, stateArgs,
      paramArgs;
  int lossRes = -1;
  std::vector<unsigned> outputRes, finalStateRes;
};

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_MODELARGS_H
