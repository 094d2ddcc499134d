//===- tools/rnn-opt/RunFunction.cpp - rnn-opt --run ----------------------===//
//
// Placeholder until the reference interpreter lands: --run reports that it
// is unavailable.
//
//===----------------------------------------------------------------------===//
#include "tools/rnn-opt/RunFunction.h"

namespace rnnc::tools {

Status runFunction(const ir::Module &, const OptOptions &, std::ostream &) {
  return makeError("--run needs the reference interpreter, which is not part "
                   "of this build yet");
}

} // namespace rnnc::tools
