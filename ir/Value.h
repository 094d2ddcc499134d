//===- ir/Value.h - SSA values ---------------------------------*- C++ -*-===//
//
// A Value is a tensor produced once: either the result of an Operation or an
// argument of a Block (function arguments are the entry block's arguments; a
// scan body's arguments are the per-step inputs, carries and captures). Each
// value knows its uses, so passes can replace all uses in one call.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_VALUE_H
#define RNNC_IR_VALUE_H

#include "ir/Types.h"

#include <string>
#include <vector>

namespace rnnc::ir {

class Operation;
class Block;

/// One use: operand `index` of `user`.
struct Use {
  Operation *user;
  unsigned index;
  bool operator==(const Use &o) const {
    return user == o.user && index == o.index;
  }
};

class Value {
public:
  Value(TensorType type, std::string name = {}) : ty(std::move(type)),
        nameHint(std::move(name)) {}
  Value(const Value &) = delete;
  Value &operator=(const Value &) = delete;

  const TensorType &type() const { return ty; }
  void setType(TensorType type) { ty = std::move(type); }

  /// The name the printer prefers for this value (without '%'); may be empty.
  const std::string &name() const { return nameHint; }
  void setName(std::string name) { nameHint = std::move(name); }

  /// The op producing this value, or null for a block argument.
  Operation *definingOp() const { return defOp; }
  unsigned resultIndex() const { return index; }
  /// The block this value is an argument of, or null for an op result.
  Block *ownerBlock() const { return argOf; }
  unsigned argIndex() const { return index; }
  bool isBlockArgument() const { return argOf != nullptr; }

  const std::vector<Use> &uses() const { return useList; }
  bool hasUses() const { return !useList.empty(); }
  /// Makes every user of this value use `other` instead.
  void replaceAllUsesWith(Value *other);

private:
  friend class Operation;
  friend class Block;
  TensorType ty;
  std::string nameHint;
  Operation *defOp = nullptr;
  Block *argOf = nullptr;
  unsigned index = 0;
  std::vector<Use> useList;
};

} // namespace rnnc::ir

#endif // RNNC_IR_VALUE_H
