//===- tools/rnnc/TargetFlags.h - --target/--cpu/--features/-O --*- C++ -*-===//
//
// The code-generation flags `rnnc ir --emit=llvm|asm` and `rnnc compile`
// share: which machine to generate code for (default: this host, exactly)
// and the LLVM optimization level.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_TARGETFLAGS_H
#define RNNC_TOOLS_RNNC_TARGETFLAGS_H

#include "codegen/CompiledFunction.h"
#include "tools/rnnc/Command.h"

namespace rnnc::driver {

/// Reads extra["target"], ["cpu"], ["features"] and ["O"] into `out`.
/// Prints an error naming the flag and returns false on a bad value.
bool parseTargetFlags(const char *command, ModelOptions &opts,
                      codegen::CompileOptions &out);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_TARGETFLAGS_H
