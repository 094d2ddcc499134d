//===- ir/Operation.h - One op: kind, operands, results, attrs -*- C++ -*-===//
//
// An Operation owns its results and its regions (a scan owns its body Block).
// Operand edges are kept in both directions: setOperand updates the use lists
// of the old and new values.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_OPERATION_H
#define RNNC_IR_OPERATION_H

#include "ir/Attribute.h"
#include "ir/Location.h"
#include "ir/OpKind.h"
#include "ir/Value.h"

#include <memory>
#include <optional>
#include <vector>

namespace rnnc::ir {

class Block;

class Operation {
public:
  Operation(OpKind kind, const std::vector<Value *> &operands,
            const std::vector<TensorType> &resultTypes, AttrMap attrs = {},
            Location loc = {});
  ~Operation();
  Operation(const Operation &) = delete;
  Operation &operator=(const Operation &) = delete;

  OpKind kind() const { return opKind; }
  std::string_view name() const { return opName(opKind); }
  const Location &loc() const { return location; }
  void setLoc(Location l) { location = std::move(l); }

  // Operands.
  unsigned numOperands() const { return static_cast<unsigned>(ops.size()); }
  Value *operand(unsigned i) const { return ops[i]; }
  const std::vector<Value *> &operands() const { return ops; }
  void setOperand(unsigned i, Value *v);
  void setOperands(const std::vector<Value *> &values);

  // Results.
  unsigned numResults() const { return static_cast<unsigned>(res.size()); }
  Value *result(unsigned i = 0) const { return res[i].get(); }
  std::vector<Value *> results() const;
  /// Adds a result (used by the parser and by passes that widen a scan).
  Value *addResult(TensorType type, std::string name = {});
  /// Removes result i, which must have no uses; later results shift down
  /// (used by passes that narrow a scan, e.g. DCE dropping unused outputs).
  void eraseResult(unsigned i);

  // Attributes.
  const AttrMap &attrs() const { return attributes; }
  AttrMap &attrs() { return attributes; }
  bool hasAttr(const std::string &name) const {
    return attributes.count(name) != 0;
  }
  void setAttr(const std::string &name, Attribute value) {
    attributes[name] = std::move(value);
  }
  /// Typed reads that return `fallback` when absent or of another type.
  int64_t getInt(const std::string &name, int64_t fallback = 0) const;
  double getFloat(const std::string &name, double fallback = 0.0) const;
  bool getBool(const std::string &name, bool fallback = false) const;
  std::string getString(const std::string &name) const;
  std::vector<int64_t> getInts(const std::string &name) const;
  const DenseFloats *getDense(const std::string &name) const;

  // Regions: a scan has exactly one, its body.
  unsigned numRegions() const { return static_cast<unsigned>(regs.size()); }
  Block *region(unsigned i = 0) const { return regs[i].get(); }
  Block *addRegion();

  /// The block holding this op (null while detached).
  Block *parentBlock() const { return parent; }

  /// Drops all operand edges (before erasing an op whose operands may outlive it).
  void dropAllReferences();

private:
  friend class Block;
  OpKind opKind;
  std::vector<Value *> ops;
  std::vector<std::unique_ptr<Value>> res;
  AttrMap attributes;
  std::vector<std::unique_ptr<Block>> regs;
  Block *parent = nullptr;
  Location location;
};

/// Operand groups of a scan, read from its attributes.
struct ScanLayout {
  unsigned numSeq = 0, numCarry = 0, numCapture = 0;
  bool hasLengths = false, reverse = false;
  unsigned seqBegin() const { return 0; }
  unsigned carryBegin() const { return numSeq; }
  unsigned captureBegin() const { return numSeq + numCarry; }
  unsigned lengthsIndex() const { return numSeq + numCarry + numCapture; }
  unsigned numOperands() const {
    return numSeq + numCarry + numCapture + (hasLengths ? 1 : 0);
  }
};
ScanLayout scanLayout(const Operation &scan);

} // namespace rnnc::ir

#endif // RNNC_IR_OPERATION_H
