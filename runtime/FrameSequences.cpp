//===- runtime/FrameSequences.cpp - Sequences of feature frames -----------===//
#include "runtime/FrameSequences.h"

#include "runtime/TextFile.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace rnnc {

Result<ExampleSet> loadFrameSequences(const std::string &path,
                                      double separator) {
  auto text = readWholeFile(path);
  if (!text)
    return makeError(text.error());
  ExampleSet set;
  Example current;
  std::vector<std::string_view> lines = splitLines(*text);
  std::vector<float> frame;
  for (size_t k = 0; k < lines.size(); ++k) {
    std::string line(lines[k]);
    frame.clear();
    const char *s = line.c_str();
    while (true) {
      while (*s == ' ' || *s == '\t')
        ++s;
      if (!*s)
        break;
      char *end = nullptr;
      errno = 0;
      double v = std::strtod(s, &end);
      if (end == s || (*end && *end != ' ' && *end != '\t') ||
          errno == ERANGE || !std::isfinite(v)) {
        const char *stop = s;
        while (*stop && *stop != ' ' && *stop != '\t')
          ++stop;
        return lineError(path, k + 1,
                         "'" + std::string(s, stop) + "' is not a number");
      }
      frame.push_back(static_cast<float>(v));
      s = end;
    }
    if (frame.empty())
      continue;
    if (set.features == 0)
      set.features = static_cast<int64_t>(frame.size());
    if (static_cast<int64_t>(frame.size()) != set.features)
      return lineError(path, k + 1,
                       std::to_string(frame.size()) + " values, expected " +
                           std::to_string(set.features) +
                           " (as on the first line)");
    bool isSeparator = true;
    for (float v : frame)
      isSeparator &= v == static_cast<float>(separator);
    if (!isSeparator) {
      current.frames.insert(current.frames.end(), frame.begin(), frame.end());
      continue;
    }
    if (current.frames.empty())
      return lineError(path, k + 1, "separator without frames before it");
    set.examples.push_back(std::move(current));
    current = Example();
  }
  if (!current.frames.empty())
    set.examples.push_back(std::move(current));
  if (set.examples.empty())
    return makeError(path + ": no sequences");
  return set;
}

Status labelInBlocks(ExampleSet &set, const std::vector<int64_t> &counts) {
  int64_t total = 0;
  for (int64_t c : counts) {
    if (c <= 0)
      return makeError("class block sizes must be positive");
    total += c;
  }
  if (total != static_cast<int64_t>(set.size()))
    return makeError("class block sizes sum to " + std::to_string(total) +
                     ", but there are " + std::to_string(set.size()) +
                     " sequences");
  size_t k = 0;
  for (size_t label = 0; label < counts.size(); ++label)
    for (int64_t j = 0; j < counts[label]; ++j)
      set.examples[k++].label = static_cast<int32_t>(label);
  return Status::ok();
}

} // namespace rnnc
