//===- runtime/LabelledText.cpp - Texts with class labels -----------------===//
#include "runtime/LabelledText.h"

#include "runtime/TextFile.h"

#include <algorithm>
#include <filesystem>
#include <map>

namespace rnnc {

namespace fs = std::filesystem;

Result<LabelledTexts> loadClassDirectory(const std::string &dir,
                                         const std::string &extension) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return makeError(dir + ": not a directory (expected one file per class)");
  std::vector<fs::path> files;
  for (const auto &entry : fs::directory_iterator(dir, ec)) {
    const fs::path &p = entry.path();
    std::string name = p.filename().string();
    if (name.size() > extension.size() &&
        name.compare(name.size() - extension.size(), extension.size(),
                     extension) == 0 &&
        !entry.is_directory())
      files.push_back(p);
  }
  if (ec)
    return makeError(dir + ": cannot list: " + ec.message());
  if (files.empty())
    return makeError(dir + ": no '*" + extension + "' files (one per class)");
  std::sort(files.begin(), files.end());
  LabelledTexts out;
  for (const fs::path &p : files) {
    std::string name = p.filename().string();
    int32_t label = static_cast<int32_t>(out.classes.size());
    out.classes.push_back(name.substr(0, name.size() - extension.size()));
    auto text = readWholeFile(p.string());
    if (!text)
      return makeError(text.error());
    std::vector<std::string_view> lines = splitLines(*text);
    size_t before = out.texts.size();
    for (size_t k = 0; k < lines.size(); ++k) {
      if (lines[k].find_first_not_of(" \t") == std::string_view::npos)
        continue;
      out.texts.emplace_back(lines[k]);
      out.labels.push_back(label);
      out.origins.push_back(p.string() + ":" + std::to_string(k + 1));
    }
    if (out.texts.size() == before)
      return makeError(p.string() + ": no examples (only blank lines)");
  }
  return out;
}

Result<LabelledTexts> loadTabSeparated(const std::string &path,
                                       bool labelFirst) {
  auto text = readWholeFile(path);
  if (!text)
    return makeError(text.error());
  std::vector<std::string_view> lines = splitLines(*text);
  std::vector<std::string> rawLabels;
  LabelledTexts out;
  for (size_t k = 0; k < lines.size(); ++k) {
    std::string_view line = lines[k];
    if (line.empty())
      continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
      return lineError(path, k + 1,
                       labelFirst ? "expected 'label<TAB>text', found no TAB"
                                  : "expected 'text<TAB>label', found no TAB");
    if (line.find('\t', tab + 1) != std::string_view::npos)
      return lineError(path, k + 1, "more than one TAB");
    std::string_view a = line.substr(0, tab), b = line.substr(tab + 1);
    std::string_view body = labelFirst ? b : a, label = labelFirst ? a : b;
    if (body.empty())
      return lineError(path, k + 1, "empty text");
    if (label.empty())
      return lineError(path, k + 1, "empty label");
    out.texts.emplace_back(body);
    rawLabels.emplace_back(label);
    out.origins.push_back(path + ":" + std::to_string(k + 1));
  }
  if (out.texts.empty())
    return makeError(path + ": no examples");
  bool numeric = std::all_of(rawLabels.begin(), rawLabels.end(), [](auto &l) {
    return l.size() < 9 && l.find_first_not_of("0123456789") == std::string::npos;
  });
  if (numeric) {
    int32_t maxLabel = 0;
    for (const std::string &l : rawLabels) {
      out.labels.push_back(std::stoi(l));
      maxLabel = std::max(maxLabel, out.labels.back());
    }
    for (int32_t c = 0; c <= maxLabel; ++c)
      out.classes.push_back(std::to_string(c));
  } else {
    std::map<std::string, int32_t> ids;
    for (const std::string &l : rawLabels)
      ids.emplace(l, 0);
    for (auto &[name, id] : ids) {
      id = static_cast<int32_t>(out.classes.size());
      out.classes.push_back(name);
    }
    for (const std::string &l : rawLabels)
      out.labels.push_back(ids[l]);
  }
  return out;
}

Result<ExampleSet> toExamples(const LabelledTexts &data, const Vocab &vocab) {
  ExampleSet set;
  set.examples.reserve(data.size());
  for (size_t k = 0; k < data.size(); ++k) {
    Example e;
    e.tokens = vocab.encode(data.texts[k]);
    if (e.tokens.empty())
      return makeError((k < data.origins.size() ? data.origins[k]
                                                : "example " + std::to_string(k)) +
                       ": the text has no tokens");
    e.label = data.labels[k];
    set.examples.push_back(std::move(e));
  }
  return set;
}

} // namespace rnnc
