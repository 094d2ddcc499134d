//===- ir/Diagnostics.cpp - Errors, warnings and notes for users ----------===//
#include "ir/Diagnostics.h"

#include <sstream>

namespace rnnc::ir {

std::shared_ptr<const std::string> Diagnostics::addSource(std::string file,
                                                          std::string text) {
  auto name = std::make_shared<const std::string>(file);
  sources[std::move(file)] = std::move(text);
  return name;
}

void Diagnostics::error(const Location &loc, std::string message) {
  diags.push_back({Severity::Error, loc, std::move(message)});
  ++numErrors;
}

void Diagnostics::warning(const Location &loc, std::string message) {
  diags.push_back({Severity::Warning, loc, std::move(message)});
}

void Diagnostics::note(const Location &loc, std::string message) {
  diags.push_back({Severity::Note, loc, std::move(message)});
}

void Diagnostics::clear() {
  diags.clear();
  numErrors = 0;
}

/// The text of 1-based line `line` of `text`, without its newline.
static std::string lineOf(const std::string &text, unsigned line) {
  size_t start = 0;
  for (unsigned l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string::npos)
      return {};
    ++start;
  }
  size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos
                                                     : end - start);
}

void Diagnostics::print(std::ostream &os) const {
  for (const Diagnostic &d : diags) {
    const char *kind = d.severity == Severity::Error     ? "error"
                       : d.severity == Severity::Warning ? "warning"
                                                         : "note";
    if (d.loc.isKnown())
      os << d.loc.str() << ": ";
    os << kind << ": " << d.message << "\n";
    if (!d.loc.isKnown())
      continue;
    auto it = sources.find(*d.loc.file);
    if (it == sources.end())
      continue;
    std::string text = lineOf(it->second, d.loc.line);
    // Keep the quoted line printable: control bytes and tabs would misplace
    // the caret, so tabs become spaces and other control bytes '?'.
    for (char &c : text) {
      if (c == '\t')
        c = ' ';
      else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        c = '?';
    }
    if (text.size() > 240)
      text = text.substr(0, 240) + "...";
    os << text << "\n";
    unsigned col = d.loc.col ? d.loc.col : 1;
    if (col <= text.size() + 1)
      os << std::string(col - 1, ' ') << "^\n";
  }
}

std::string Diagnostics::str() const {
  std::ostringstream os;
  print(os);
  return os.str();
}

} // namespace rnnc::ir
