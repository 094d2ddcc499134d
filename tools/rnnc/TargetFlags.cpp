//===- tools/rnnc/TargetFlags.cpp - --target/--cpu/--features/-O ----------===//
#include "tools/rnnc/TargetFlags.h"

#include "tools/rnnc/LoadedModel.h"

#include <iostream>

namespace rnnc::driver {

bool parseTargetFlags(const char *command, ModelOptions &opts,
                      codegen::CompileOptions &out) {
  auto get = [&](const char *name) {
    auto it = opts.extra.find(name);
    return it == opts.extra.end() ? std::string() : it->second;
  };
  out.target.triple = get("target");
  out.target.cpu = get("cpu");
  out.target.features = get("features");
  if (!get("O").empty()) {
    int64_t level = 3;
    if (!parseIntFlag(command, "O", get("O"), level) || level > 3) {
      if (level > 3)
        std::cerr << "rnnc " << command
                  << ": error: -O must be 0, 1, 2 or 3, got '" << get("O")
                  << "'\n";
      return false;
    }
    out.optLevel = static_cast<unsigned>(level);
  }
  return true;
}

} // namespace rnnc::driver
