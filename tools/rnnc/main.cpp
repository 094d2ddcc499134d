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
       "usage: rnnc ir MODEL.rnn [--set NAME=N]... "
       "[--emit=ast|ir|info|llvm|asm]\n\n"
       "  --emit=ast     the syntax tree after parsing and name checks\n"
       "  --emit=ir      the lowered IR (default)\n"
       "  --emit=info    the calling convention: arguments, results, roles,\n"
       "                 parameter initializers, train settings\n"
       "  --emit=llvm    the LLVM IR (after O3 unless -O0)\n"
       "  --emit=asm     the target's assembly\n"
       "  -O N           LLVM optimization level 0..3 (default 3)\n"
       "  --target TRIPLE, --cpu NAME, --features +a,-b\n"
       "                 another target (default: this host), e.g.\n"
       "                 --target aarch64-linux-gnu --cpu neoverse-v1\n"
       "  --model NAME   which model of the file (default: the last)\n"
       "  --set NAME=N   bind the model's size NAME (e.g. --set V=65)\n",
       runIr},
      {"run", "run a model on .npy inputs (JIT or interpreter)",
       "usage: rnnc run MODEL.rnn --weights W.safetensors --input X.npy\n"
       "                [--input NAME=FILE.npy]... [--lengths L.npy] -o OUT.npy\n\n"
       "Whole-sequence inference. Unnamed inputs bind the model's inputs in\n"
       "order; NAME=FILE binds any input, target, state or lengths argument.\n"
       "Lengths default to full rows, targets to zeros, states to their\n"
       "declared initial values.\n\n"
       "  --weights W    parameters (safetensors); without it the model's\n"
       "                 initializers with --seed N (default 0)\n"
       "  -o OUT.npy     where the output goes\n"
       "  --output NAME  write this result instead of the declared output\n"
       "  --interpret    run the reference interpreter instead of the JIT\n"
       "  --no-cache     do not use the on-disk object cache\n"
       "                 ($RNNC_CACHE_DIR, $XDG_CACHE_HOME/rnnc, ~/.cache/rnnc)\n"
       "  --verbose      print compile and run times and the cache outcome\n"
       "  --model NAME   which model of the file (default: the last)\n"
       "  --set NAME=N   bind the model's size NAME\n",
       runRun},
      {"init", "write fresh weights from the model's initializers",
       "usage: rnnc init MODEL.rnn [--seed N] -o W.safetensors\n\n"
       "  --seed N       the initializers' seed (default 0)\n"
       "  --model NAME   which model of the file (default: the last)\n"
       "  --set NAME=N   bind the model's size NAME\n",
       runInit},
      {"compile", "compile a model to an object file with a C API",
       "usage: rnnc compile MODEL.rnn [--weights W.safetensors] -o MODEL.o\n"
       "                    [--header MODEL.h] [--weights-at-runtime]\n\n"
       "Writes an object exporting <model>_create/_destroy/_error/_run/\n"
       "_step/_reset (docs/aot.md). Link it with the runtime library only:\n"
       "  cc prog.c MODEL.o librnnc_runtime.a -lstdc++ -lm\n\n"
       "  --weights W    embed these weights (default: fresh ones, --seed N)\n"
       "  --weights-at-runtime  embed none; <model>_create loads a file\n"
       "  --header H     write the C header\n"
       "  --target TRIPLE, --cpu NAME, --features +a,-b, -O N\n"
       "                 cross-compile (e.g. --target aarch64-linux-gnu)\n"
       "  --verbose      print the object's size and whether it can step\n"
       "  --model NAME   which model of the file (default: the last)\n"
       "  --set NAME=N   bind the model's size NAME\n",
       runCompile},
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
