//===- tools/rnnc/Seq2SeqTask.cpp - placeholder until the task lands ---------===//
//
// Scaffolding only: the task is being written now; until then rnnc train
// says so instead of failing later.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/TrainTask.h"

namespace rnnc::driver {

Result<std::unique_ptr<TrainTask>>
makeSeq2SeqTask(const std::string &dataPath,
             const std::vector<DeclaredData> &decls, double valFraction) {
  return makeError("training this kind of model is not implemented yet");
}

} // namespace rnnc::driver
