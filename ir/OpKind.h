//===- ir/OpKind.h - Op kinds and their static properties ------*- C++ -*-===//
//
// The enumeration generated from Ops.def, and queries over the table: the
// op's textual name, its declared arity and whether it is elementwise.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_OPKIND_H
#define RNNC_IR_OPKIND_H

#include <optional>
#include <string_view>

namespace rnnc::ir {

enum class OpKind {
#define OP(Enum, Name, NumOperands, NumResults, Flags) Enum,
#include "ir/Ops.def"
};

enum class OpFlags { NONE, EW_UNARY, EW_BINARY, TERMINATOR };

struct OpInfo {
  OpKind kind;
  std::string_view name;
  int numOperands; // -1: variadic
  int numResults;  // -1: variadic
  OpFlags flags;
};

const OpInfo &opInfo(OpKind kind);
inline std::string_view opName(OpKind kind) { return opInfo(kind).name; }
std::optional<OpKind> lookupOpKind(std::string_view name);

inline bool isElementwiseUnary(OpKind k) {
  return opInfo(k).flags == OpFlags::EW_UNARY;
}
inline bool isElementwiseBinary(OpKind k) {
  return opInfo(k).flags == OpFlags::EW_BINARY;
}
inline bool isElementwise(OpKind k) {
  return isElementwiseUnary(k) || isElementwiseBinary(k);
}
inline bool isTerminator(OpKind k) {
  return opInfo(k).flags == OpFlags::TERMINATOR;
}

} // namespace rnnc::ir

#endif // RNNC_IR_OPKIND_H
