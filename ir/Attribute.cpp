//===- ir/Attribute.cpp - Compile-time constants attached to ops ----------===//
#include "ir/Attribute.h"

#include <charconv>
#include <cmath>

namespace rnnc::ir {

std::string formatDouble(double value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), value);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".e") == std::string::npos)
    s += ".0";
  return s;
}

namespace {
struct AttrPrinter {
  std::string operator()(int64_t v) const { return std::to_string(v); }
  std::string operator()(double v) const { return formatDouble(v); }
  std::string operator()(bool v) const { return v ? "true" : "false"; }
  std::string operator()(const std::string &v) const {
    std::string s = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\')
        s += '\\';
      s += c;
    }
    return s + "\"";
  }
  std::string operator()(const std::vector<int64_t> &v) const {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i)
      s += (i ? ", " : "") + std::to_string(v[i]);
    return s + "]";
  }
  std::string operator()(const DenseFloats &v) const {
    std::string s = "dense<[";
    for (size_t i = 0; i < v.values.size(); ++i)
      s += (i ? ", " : "") + formatDouble(v.values[i]);
    return s + "]>";
  }
};
} // namespace

std::string attrToString(const Attribute &attr) {
  return std::visit(AttrPrinter{}, attr);
}

} // namespace rnnc::ir
