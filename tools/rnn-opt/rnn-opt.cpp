//===- tools/rnn-opt/rnn-opt.cpp - Textual IR through named passes --------===//
//
// rnn-opt reads textual IR, verifies it, runs a pass pipeline and prints the
// result; with --run it executes a function on the reference interpreter.
// It exists so passes and the IR can be tested from lit files. This is the
// only place that turns errors into exit codes: 0 on success, 1 on any error
// (one line naming the file or flag, or the IR diagnostics).
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "passes/Autodiff.h"
#include "passes/PassManager.h"
#include "tools/rnn-opt/Options.h"
#include "tools/rnn-opt/RunFunction.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace rnnc;

static void printHelp(std::ostream &os) {
  os << "usage: rnn-opt [FILE.ir|-] [options]\n"
        "\n"
        "Reads textual IR (default: stdin), verifies it, runs a pass pipeline\n"
        "and prints the IR.\n"
        "\n"
        "options:\n"
        "  -p, --passes PIPELINE  comma-separated pass names, run in order\n"
        "  --print-ir-after-all   print the IR to stderr after each pass\n"
        "  --time-passes          report each pass's run time on stderr\n"
        "  --no-verify-each       do not verify the IR after each pass\n"
        "  -o OUT                 write the IR to OUT (with --run: save\n"
        "                         result i to OUT<i>.npy)\n"
        "  --run                  run a function on the reference interpreter\n"
        "                         and print its results instead of the IR\n"
        "  --fn NAME              the function to run (default: the first)\n"
        "  --inputs A.npy,B.npy   one .npy file per function argument\n"
        "  --random-inputs        pseudo-random arguments: f32 uniform in\n"
        "                         [-1,1]; i32 uniform in [0, n) where n is "
        "the\n"
        "                         size of the argument's last dim (1 for a\n"
        "                         scalar), so ids index a table of that size\n"
        "                         and lengths stay within T\n"
        "  --seed N               seed for --random-inputs (default 0)\n"
        "  --bind B=2,T=3         sizes of symbolic dims for --random-inputs\n"
        "  -h, --help             show this help\n"
        "\n"
        "registered passes:\n";
  for (const auto &[name, description] : passes::registeredPasses())
    os << "  " << name
       << std::string(name.size() < 22 ? 22 - name.size() : 1, ' ') << " "
       << description << "\n";
}

static Result<std::string> readInput(const std::string &path) {
  std::ostringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return makeError("input '" + path + "' is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError("cannot open input file '" + path + "'");
  // Streaming the buffer (rather than istreambuf_iterator) turns read
  // errors into a failed stream instead of an exception.
  ss << in.rdbuf();
  if (in.bad() || ss.bad())
    return makeError("cannot read input file '" + path + "'");
  return ss.str();
}

int main(int argc, char **argv) {
  passes::registerAllPasses();
  passes::registerPass("grad", std::string(passes::createGradientPass()->description()),
                       passes::createGradientPass);
  auto opts = tools::parseOptOptions(argc, argv);
  if (!opts) {
    std::cerr << "rnn-opt: error: " << opts.error() << "\n";
    return 1;
  }
  if (opts->help) {
    printHelp(std::cout);
    return 0;
  }

  auto text = readInput(opts->input);
  if (!text) {
    std::cerr << "rnn-opt: error: " << text.error() << "\n";
    return 1;
  }
  ir::Diagnostics diags;
  std::string displayName = opts->input == "-" ? "<stdin>" : opts->input;
  std::unique_ptr<ir::Module> module =
      ir::parseModule(*text, displayName, diags);
  if (!module) {
    diags.print(std::cerr);
    return 1;
  }

  passes::PassManagerOptions pmOptions;
  pmOptions.verifyEach = opts->verifyEach;
  if (opts->printAfterAll)
    pmOptions.printAfterAll = &std::cerr;
  if (opts->timePasses)
    pmOptions.timePasses = &std::cerr;
  passes::PassManager pm(pmOptions);
  if (!opts->pipeline.empty()) {
    if (Status s = pm.addPipeline(opts->pipeline); !s) {
      std::cerr << "rnn-opt: error: --passes: " << s.error() << "\n";
      return 1;
    }
  }
  if (Status s = pm.run(*module, diags); !s) {
    diags.print(std::cerr);
    std::cerr << "rnn-opt: error: " << s.error() << "\n";
    return 1;
  }

  if (opts->run) {
    if (Status s = tools::runFunction(*module, *opts, std::cout); !s) {
      std::cerr << "rnn-opt: error: " << s.error() << "\n";
      return 1;
    }
    return 0;
  }

  if (opts->output.empty() || opts->output == "-") {
    ir::printModule(*module, std::cout);
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  std::ofstream out(opts->output, std::ios::binary);
  if (out)
    ir::printModule(*module, out);
  out.close();
  if (!out) {
    std::cerr << "rnn-opt: error: cannot write output file '" << opts->output
              << "'\n";
    return 1;
  }
  return 0;
}
