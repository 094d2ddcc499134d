//===- tools/rnnc/ForecastTask.cpp - placeholder until the task lands ---------===//
//
// Scaffolding only: the task is being written now; until then rnnc train
// says so instead of failing later.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/TrainTask.h"

namespace rnnc::driver {

Result<std::unique_ptr<TrainTask>>
makeForecastTask(const std::string &dataPath,
             const std::vector<DeclaredData> &decls, double valFraction) {
  return makeError("training this kind of model is not implemented yet");
}

} // namespace rnnc::driver
