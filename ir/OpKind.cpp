//===- ir/OpKind.cpp - Op kinds and their static properties ---------------===//
#include "ir/OpKind.h"

#include <array>

namespace rnnc::ir {

static const OpInfo opTable[] = {
#define OP(Enum, Name, NumOperands, NumResults, Flags)                         \
  {OpKind::Enum, Name, NumOperands, NumResults, OpFlags::Flags},
#include "ir/Ops.def"
};

const OpInfo &opInfo(OpKind kind) { return opTable[static_cast<int>(kind)]; }

std::optional<OpKind> lookupOpKind(std::string_view name) {
  for (const OpInfo &info : opTable)
    if (info.name == name)
      return info.kind;
  return std::nullopt;
}

} // namespace rnnc::ir
