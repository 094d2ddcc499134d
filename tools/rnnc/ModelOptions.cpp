//===- tools/rnnc/ModelOptions.cpp - Options shared by model commands -----===//
#include "tools/rnnc/Command.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rnnc::driver {

static bool usageError(const char *command, const std::string &message) {
  std::cerr << "rnnc " << command << ": error: " << message << " (see 'rnnc "
            << command << " --help')\n";
  return false;
}

bool parseModelOptions(const std::vector<std::string> &args,
                       const std::vector<std::string> &allowedExtra,
                       const char *command, ModelOptions &out,
                       const std::vector<std::string> &allowedSwitches,
                       bool fileRequired) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      if (!out.file.empty())
        return usageError(command, "more than one model file given ('" +
                                       out.file + "' and '" + arg + "')");
      out.file = arg;
      continue;
    }
    std::string flag = arg, value;
    bool hasValue = false;
    size_t eq = arg.find('=');
    if (eq != std::string::npos && arg.rfind("--", 0) == 0) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      hasValue = true;
    }
    auto takeValue = [&]() {
      if (hasValue)
        return true;
      if (i + 1 >= args.size())
        return false;
      value = args[++i];
      return true;
    };
    if (flag == "--set") {
      if (!takeValue())
        return usageError(command, "'--set' needs NAME=VALUE");
      size_t e = value.find('=');
      std::string name = value.substr(0, e);
      int64_t n = 0;
      const char *begin =
          e == std::string::npos ? nullptr : value.data() + e + 1;
      const char *end = value.data() + value.size();
      auto [p, ec] = begin ? std::from_chars(begin, end, n)
                           : std::from_chars_result{nullptr, std::errc()};
      if (!begin || name.empty() || ec != std::errc() || p != end || n < 1)
        return usageError(command, "'--set " + value +
                                       "' must be NAME=N with N a positive "
                                       "integer");
      out.sizes[name] = n;
      continue;
    }
    size_t nameStart = flag.find_first_not_of('-');
    if (nameStart == std::string::npos)
      return usageError(command, "unknown option '" + arg + "'");
    std::string bare = flag.substr(nameStart);
    if (std::find(allowedSwitches.begin(), allowedSwitches.end(), bare) !=
        allowedSwitches.end()) {
      if (hasValue)
        return usageError(command, "'" + flag + "' takes no value");
      out.extra[bare] = "1";
      continue;
    }
    if (std::find(allowedExtra.begin(), allowedExtra.end(), bare) !=
        allowedExtra.end()) {
      if (!takeValue())
        return usageError(command, "'" + flag + "' needs a value");
      out.extra[bare] = value;
      continue;
    }
    return usageError(command, "unknown option '" + arg + "'");
  }
  if (out.file.empty() && fileRequired)
    return usageError(command, "no model file given");
  return true;
}

bool readFile(const std::string &path, std::string &text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::cerr << "rnnc: error: cannot read '" << path
              << "': it is a directory\n";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "rnnc: error: cannot open '" << path << "'\n";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    std::cerr << "rnnc: error: cannot read '" << path << "'\n";
    return false;
  }
  text = ss.str();
  return true;
}

} // namespace rnnc::driver
