//===- tools/rnnc/Command.h - rnnc's subcommands ---------------*- C++ -*-===//
//
// The driver is a dispatcher: `rnnc <command> [options]`. Each command lives
// in its own file and registers here; later commands (run, train, sample,
// compile) add one entry to allCommands() and one file.
//
// Exit codes: 0 success, 1 the model (or data) has errors, 2 bad usage.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_COMMAND_H
#define RNNC_TOOLS_RNNC_COMMAND_H

#include <map>
#include <string>
#include <vector>

namespace rnnc::driver {

constexpr int kExitOk = 0;
constexpr int kExitModelError = 1;
constexpr int kExitUsage = 2;

struct Command {
  const char *name;
  const char *summary;
  /// The text of `rnnc <name> --help`.
  const char *help;
  /// Runs with the arguments after the command name.
  int (*run)(const std::vector<std::string> &args);
};

const std::vector<Command> &allCommands();

int runCheck(const std::vector<std::string> &args);
int runIr(const std::vector<std::string> &args);
int runRun(const std::vector<std::string> &args);
int runInit(const std::vector<std::string> &args);
int runCompile(const std::vector<std::string> &args);
int runTrain(const std::vector<std::string> &args);
int runSample(const std::vector<std::string> &args);
int runEval(const std::vector<std::string> &args);
int runTranslate(const std::vector<std::string> &args);
int runBench(const std::vector<std::string> &args);
int runExport(const std::vector<std::string> &args);

/// Options every model-reading command shares.
struct ModelOptions {
  std::string file;
  std::map<std::string, int64_t> sizes;
  /// For a size in `sizes` that did not come from `--set`: where it did
  /// ("recorded in ck.safetensors"), for the frontend's messages.
  std::map<std::string, std::string> sizeOrigins;
  /// When the model to load was named by a checkpoint: that file, so a
  /// missing model is reported as the checkpoint's, not the flag's.
  std::string modelNamedBy;
  /// Command-specific flags left for the command: name -> value.
  std::map<std::string, std::string> extra;
};

/// Parses `args`: one model file, `--set NAME=N` (repeatable), the flags
/// in `allowedExtra` (`--name=value` or `--name value`) and the switches in
/// `allowedSwitches` (`--name`, recorded as extra[name] = "1"). On error
/// prints one line to stderr and returns false. With `fileRequired` false
/// the model file may be missing (out.file stays empty).
bool parseModelOptions(const std::vector<std::string> &args,
                       const std::vector<std::string> &allowedExtra,
                       const char *command, ModelOptions &out,
                       const std::vector<std::string> &allowedSwitches = {},
                       bool fileRequired = true);

/// Reads a whole file; false (with a message on stderr) if it cannot.
bool readFile(const std::string &path, std::string &text);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_COMMAND_H
