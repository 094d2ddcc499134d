//===- runtime/TextFile.cpp - Reading data files whole --------------------===//
#include "runtime/TextFile.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rnnc {

Result<std::string> readWholeFile(const std::string &path, bool allowEmpty) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return makeError(path + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad())
    return makeError(path + ": read error: " + std::strerror(errno));
  std::string text = buf.str();
  if (text.empty() && !allowEmpty)
    return makeError(path + ": file is empty");
  return text;
}

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

Error lineError(const std::string &path, size_t line, const std::string &msg) {
  return makeError(path + ":" + std::to_string(line) + ": " + msg);
}

} // namespace rnnc
