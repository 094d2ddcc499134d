//===- ir/Attribute.h - Compile-time constants attached to ops -*- C++ -*-===//
//
// Ops carry named attributes: an axis, transpose flags, a scan's direction, a
// constant's value. An attribute is an integer, a float, a bool, a string, a
// list of integers or a dense list of floats. Textual forms: `1`, `0.5`,
// `true`, `"f32"`, `[1, 0]`, `dense<[1.0, 2.5]>`. Floats always print with a
// '.' or an exponent (so they never read back as integers) and in the shortest
// form that reads back to the same double, so printing round-trips exactly.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_ATTRIBUTE_H
#define RNNC_IR_ATTRIBUTE_H

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace rnnc::ir {

/// A dense list of floats, distinct from a list of integers.
struct DenseFloats {
  std::vector<double> values;
  bool operator==(const DenseFloats &o) const { return values == o.values; }
};

using Attribute = std::variant<int64_t, double, bool, std::string,
                               std::vector<int64_t>, DenseFloats>;

/// Attributes by name; std::map keeps them sorted so printing is canonical.
using AttrMap = std::map<std::string, Attribute>;

/// The textual form of one attribute value.
std::string attrToString(const Attribute &attr);
/// The shortest decimal form of a double that reads back exactly; always
/// contains '.', 'e', "inf" or "nan".
std::string formatDouble(double value);

} // namespace rnnc::ir

#endif // RNNC_IR_ATTRIBUTE_H
