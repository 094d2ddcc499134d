//===- tools/rnn-opt/Options.cpp - rnn-opt's command line -----------------===//
//
// Flags take their value either as the next argument or after '='
// (`-p cse` or `--passes=cse`). Numbers are range-checked, so `--seed 1e99`
// is an error rather than a silent wrap.
//
//===----------------------------------------------------------------------===//
#include "tools/rnn-opt/Options.h"

#include <charconv>

namespace rnnc::tools {

static bool parseInteger(const std::string &text, int64_t &out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

static std::vector<std::string> splitCommas(const std::string &text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    parts.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos)
      return parts;
    start = comma + 1;
  }
}

Result<OptOptions> parseOptOptions(int argc, char **argv) {
  OptOptions opts;
  bool sawInput = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string flag = arg, value;
    bool hasValue = false;
    if (arg.size() > 1 && arg[0] == '-') {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        flag = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        hasValue = true;
      }
    }
    // Reads the flag's value from "=..." or the next argument.
    auto takeValue = [&]() -> Result<std::string> {
      if (hasValue)
        return value;
      if (i + 1 >= argc)
        return makeError("option '" + flag + "' needs a value");
      return std::string(argv[++i]);
    };
    auto noValue = [&]() -> Status {
      if (hasValue)
        return makeError("option '" + flag + "' takes no value");
      return Status::ok();
    };

    if (flag == "-h" || flag == "--help") {
      opts.help = true;
    } else if (flag == "-p" || flag == "--passes") {
      auto v = takeValue();
      if (!v)
        return makeError(v.error());
      opts.pipeline = *v;
    } else if (flag == "-o") {
      auto v = takeValue();
      if (!v)
        return makeError(v.error());
      opts.output = *v;
    } else if (flag == "--print-ir-after-all" || flag == "--time-passes" ||
               flag == "--no-verify-each" || flag == "--run" ||
               flag == "--random-inputs") {
      if (Status s = noValue(); !s)
        return makeError(s.error());
      if (flag == "--print-ir-after-all")
        opts.printAfterAll = true;
      else if (flag == "--time-passes")
        opts.timePasses = true;
      else if (flag == "--no-verify-each")
        opts.verifyEach = false;
      else if (flag == "--run")
        opts.run = true;
      else
        opts.randomInputs = true;
    } else if (flag == "--fn") {
      auto v = takeValue();
      if (!v)
        return makeError(v.error());
      opts.function = *v;
    } else if (flag == "--inputs") {
      auto v = takeValue();
      if (!v)
        return makeError(v.error());
      opts.inputs = splitCommas(*v);
      for (const std::string &path : opts.inputs)
        if (path.empty())
          return makeError("option '--inputs' has an empty file name in '" +
                           *v + "'");
    } else if (flag == "--seed") {
      auto v = takeValue();
      if (!v)
        return makeError(v.error());
      int64_t seed;
      if (!parseInteger(*v, seed) || seed < 0)
        return makeError("option '--seed' needs a non-negative integer, got '" +
                         *v + "'");
      opts.seed = static_cast<uint64_t>(seed);
    } else if (flag == "--bind") {
      auto v = takeValue();
      if (!v)
        return makeError(v.error());
      for (const std::string &item : splitCommas(*v)) {
        size_t eq = item.find('=');
        int64_t size;
        if (eq == std::string::npos || eq == 0 ||
            !parseInteger(item.substr(eq + 1), size) || size < 0 ||
            size > (int64_t(1) << 31))
          return makeError("option '--bind' expects NAME=SIZE[,NAME=SIZE...] "
                           "with sizes in [0, 2^31], got '" +
                           item + "'");
        opts.bindings[item.substr(0, eq)] = size;
      }
    } else if (arg == "-" || arg[0] != '-') {
      if (sawInput)
        return makeError("more than one input file given ('" + opts.input +
                         "' and '" + arg + "')");
      opts.input = arg;
      sawInput = true;
    } else {
      return makeError("unknown option '" + flag + "' (see --help)");
    }
  }
  if (!opts.run && (!opts.inputs.empty() || opts.randomInputs ||
                    !opts.function.empty() || !opts.bindings.empty()))
    return makeError("options '--fn', '--inputs', '--random-inputs' and "
                     "'--bind' need '--run'");
  if (opts.run && !opts.inputs.empty() && opts.randomInputs)
    return makeError("options '--inputs' and '--random-inputs' exclude each "
                     "other");
  return opts;
}

} // namespace rnnc::tools
