//===- ir/Builder.h - Creating ops at an insertion point -------*- C++ -*-===//
//
// The Builder creates ops with inferred result types at an insertion point.
// Typing failures do not abort: the failing call returns null and the first
// error is kept (firstError()); any later call given a null operand also
// returns null. So a lowering can build a whole function and check once,
// and a gap in a frontend's checks becomes an error message, not a crash.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_BUILDER_H
#define RNNC_IR_BUILDER_H

#include "ir/Block.h"
#include "ir/Function.h"

#include <functional>
#include <string>
#include <vector>

namespace rnnc::ir {

class Builder {
public:
  Builder() = default;
  explicit Builder(Block *block) { setInsertionPointToEnd(block); }

  void setInsertionPoint(Block *block, Block::iterator pos) {
    insBlock = block;
    insPos = pos;
  }
  void setInsertionPointToEnd(Block *block) {
    setInsertionPoint(block, block->ops().end());
  }
  /// Inserts before `op`, in op's block.
  void setInsertionPointBefore(Operation *op);
  Block *insertionBlock() const { return insBlock; }
  Block::iterator insertionPoint() const { return insPos; }

  /// The location given to ops created from now on.
  void setLoc(Location loc) { curLoc = std::move(loc); }
  const Location &loc() const { return curLoc; }

  bool failed() const { return !errorMessage.empty(); }
  const std::string &firstError() const { return errorMessage; }
  const Location &firstErrorLoc() const { return errorLoc; }

  /// Creates an op whose result types follow from the type rules; null (and
  /// the error recorded) if they reject it. Not for constant or scan.
  Operation *create(OpKind kind, const std::vector<Value *> &operands,
                    AttrMap attrs = {});
  /// Creates an op with explicitly given result types (no checking).
  Operation *createUnchecked(OpKind kind, const std::vector<Value *> &operands,
                             const std::vector<TensorType> &resultTypes,
                             AttrMap attrs = {});

  // Single-result conveniences; each returns the result or null.
  Value *constant(const TensorType &type, double value);
  Value *constantDense(const TensorType &type, std::vector<double> values);
  Value *unary(OpKind kind, Value *x) { return single(kind, {x}); }
  Value *binary(OpKind kind, Value *a, Value *b) { return single(kind, {a, b}); }
  Value *add(Value *a, Value *b) { return binary(OpKind::Add, a, b); }
  Value *sub(Value *a, Value *b) { return binary(OpKind::Sub, a, b); }
  Value *mul(Value *a, Value *b) { return binary(OpKind::Mul, a, b); }
  Value *div(Value *a, Value *b) { return binary(OpKind::Div, a, b); }
  Value *tanh(Value *x) { return unary(OpKind::Tanh, x); }
  Value *sigmoid(Value *x) { return unary(OpKind::Sigmoid, x); }
  Value *matmul(Value *a, Value *b, bool transposeA = false,
                bool transposeB = false);
  Value *concat(const std::vector<Value *> &xs, int64_t axis);
  std::vector<Value *> split(Value *x, int64_t axis, int64_t parts);
  Value *slice(Value *x, int64_t axis, int64_t start, int64_t size);
  Value *reshape(Value *x, std::vector<int64_t> shape);
  Value *transpose(Value *x, std::vector<int64_t> perm);
  Value *reduce(OpKind kind, Value *x, std::vector<int64_t> axes,
                bool keepdims = false);
  Value *softmax(Value *x, int64_t axis = -1);
  Value *logSoftmax(Value *x, int64_t axis = -1);
  Value *embed(Value *table, Value *ids);
  Value *cast(Value *x, DType to);
  Value *select(Value *cond, Value *a, Value *b) {
    return single(OpKind::Select, {cond, a, b});
  }

  /// What a scan body builder returns: the next carried values (one per init,
  /// same types) and the per-step outputs.
  struct ScanBodyResult {
    std::vector<Value *> nextCarries;
    std::vector<Value *> outputs;
  };
  /// Given the body's block arguments split into groups.
  using ScanBodyFn = std::function<ScanBodyResult(
      Builder &, const std::vector<Value *> &stepInputs,
      const std::vector<Value *> &carries,
      const std::vector<Value *> &captures)>;
  /// Builds a scan: results are the stacked outputs, then the final carries.
  /// `lengths` may be null. Returns null on a typing failure.
  Operation *scan(const std::vector<Value *> &seqs,
                  const std::vector<Value *> &inits,
                  const std::vector<Value *> &captures, Value *lengths,
                  bool reverse, const ScanBodyFn &body);

  Operation *yield(const std::vector<Value *> &values);
  Operation *ret(const std::vector<Value *> &values);

private:
  Value *single(OpKind kind, const std::vector<Value *> &operands,
                AttrMap attrs = {});
  Operation *insert(std::unique_ptr<Operation> op);
  void recordError(std::string message);

  Block *insBlock = nullptr;
  Block::iterator insPos;
  Location curLoc;
  std::string errorMessage;
  Location errorLoc;
};

} // namespace rnnc::ir

#endif // RNNC_IR_BUILDER_H
