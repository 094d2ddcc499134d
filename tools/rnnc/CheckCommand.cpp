//===- tools/rnnc/CheckCommand.cpp - `rnnc check`: diagnostics only -------===//
#include "tools/rnnc/Command.h"
#include "tools/rnnc/LoadedModel.h"

#include "frontend/Frontend.h"
#include "ir/Verifier.h"

#include <iostream>

namespace rnnc::driver {

int runCheck(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(args, {}, "check", opts))
    return kExitUsage;
  std::string text;
  if (!readFile(opts.file, text))
    return kExitModelError;
  ir::Diagnostics diags;
  frontend::LowerOptions lower = lowerOptions(opts);
  // A size the data binds (charlm's V) is no reason to refuse the model:
  // check it with a stand-in and say so.
  lower.standInSizes = true;
  auto lowered =
      frontend::compileSource(opts.file, std::move(text), lower, diags);
  // The lowered IR must verify; a failure here is a frontend bug, but it is
  // still reported, not a crash.
  if (lowered)
    ir::verifyModule(*lowered->module, diags);
  diags.print(std::cerr);
  return diags.hasErrors() ? kExitModelError : kExitOk;
}

} // namespace rnnc::driver
