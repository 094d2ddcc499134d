//===- tools/rnnc/main.cpp - The rnnc driver: a subcommand dispatcher -----===//
//
// `rnnc <command> [options]`. Each command is one entry in allCommands() and
// one file; this file only dispatches and prints the overall help.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"

#include <iostream>

namespace rnnc::driver {

const std::vector<Command> &allCommands() {
  static const std::vector<Command> commands = {
      {"check", "check a model file and print its diagnostics",
       "usage: rnnc check MODEL.rnn [--set NAME=N]...\n\n"
       "Parses, checks and lowers the model; prints errors and warnings.\n"
       "Exit status: 0 no errors, 1 errors in the model, 2 bad usage.\n\n"
       "  --set NAME=N   bind the model's size NAME (e.g. --set V=65)\n",
       runCheck},
      {"ir", "print a model's syntax tree or IR",
       "usage: rnnc ir MODEL.rnn [--set NAME=N]... [--emit=ast|ir|info]\n\n"
       "  --emit=ast     the syntax tree after parsing and name checks\n"
       "  --emit=ir      the lowered IR (default)\n"
       "  --emit=info    the calling convention: arguments, results, roles,\n"
       "                 parameter initializers, train settings\n"
       "  --set NAME=N   bind the model's size NAME (e.g. --set V=65)\n",
       runIr},
  };
  return commands;
}

static void printHelp(std::ostream &os) {
  os << "usage: rnnc <command> [options]\n\nrnnc compiles recurrent neural "
        "networks written in the .rnn language.\n\ncommands:\n";
  for (const Command &c : allCommands())
    os << "  " << c.name << std::string(10 - std::string(c.name).size(), ' ')
       << c.summary << "\n";
  os << "\nRun 'rnnc <command> --help' for a command's options.\n";
}

} // namespace rnnc::driver

int main(int argc, char **argv) {
  using namespace rnnc::driver;
  if (argc < 2) {
    printHelp(std::cerr);
    return kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printHelp(std::cout);
    return kExitOk;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command &c : allCommands()) {
    if (name != c.name)
      continue;
    for (const std::string &a : args)
      if (a == "--help" || a == "-h") {
        std::cout << c.help;
        return kExitOk;
      }
    return c.run(args);
  }
  std::cerr << "rnnc: error: unknown command '" << name
            << "' (run 'rnnc --help' for the list)\n";
  return kExitUsage;
}
