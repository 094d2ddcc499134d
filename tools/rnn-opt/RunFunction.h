//===- tools/rnn-opt/RunFunction.h - rnn-opt --run -------------*- C++ -*-===//
//
// Runs one function of a module on the reference interpreter with inputs
// from .npy files or deterministic pseudo-random data, and prints (and
// optionally saves) its results.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNOPT_RUNFUNCTION_H
#define RNNC_TOOLS_RNNOPT_RUNFUNCTION_H

#include "ir/Function.h"
#include "runtime/Result.h"
#include "tools/rnn-opt/Options.h"

#include <ostream>

namespace rnnc::tools {

Status runFunction(const ir::Module &module, const OptOptions &opts,
                   std::ostream &os);

} // namespace rnnc::tools

#endif // RNNC_TOOLS_RNNOPT_RUNFUNCTION_H
