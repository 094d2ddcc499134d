//===- tools/rnn-opt/Options.h - rnn-opt's command line --------*- C++ -*-===//
//
// The parsed command line of rnn-opt, shared by its main file and by the
// `--run` mode. Parsing returns an error naming the offending flag; only
// main() turns it into an exit status.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNOPT_OPTIONS_H
#define RNNC_TOOLS_RNNOPT_OPTIONS_H

#include "runtime/Result.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rnnc::tools {

struct OptOptions {
  std::string input = "-";
  std::string output; // empty: stdout (for --run: no .npy files)
  std::string pipeline;
  bool help = false;
  bool printAfterAll = false;
  bool timePasses = false;
  bool verifyEach = true;

  // --run mode.
  bool run = false;
  std::string function; // empty: the first function
  std::vector<std::string> inputs;
  bool randomInputs = false;
  uint64_t seed = 0;
  std::map<std::string, int64_t> bindings;
};

Result<OptOptions> parseOptOptions(int argc, char **argv);

} // namespace rnnc::tools

#endif // RNNC_TOOLS_RNNOPT_OPTIONS_H
