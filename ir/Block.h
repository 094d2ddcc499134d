//===- ir/Block.h - A list of ops with arguments ---------------*- C++ -*-===//
//
// A Block is a straight-line list of ops ending in a terminator (`return` in a
// function, `yield` in a scan body). Its arguments are values defined on entry.
// std::list gives stable iterators, so passes can erase while walking.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_BLOCK_H
#define RNNC_IR_BLOCK_H

#include "ir/Operation.h"

#include <functional>
#include <initializer_list>
#include <list>
#include <memory>

namespace rnnc::ir {

class Block {
public:
  using OpList = std::list<std::unique_ptr<Operation>>;
  using iterator = OpList::iterator;

  Block() = default;
  Block(const Block &) = delete;
  Block &operator=(const Block &) = delete;
  ~Block();

  // Arguments.
  unsigned numArgs() const { return static_cast<unsigned>(args.size()); }
  Value *arg(unsigned i) const { return args[i].get(); }
  std::vector<Value *> arguments() const;
  Value *addArg(TensorType type, std::string name = {});
  /// Inserts an argument at position `pos` (0..numArgs()); later arguments
  /// move up by one.
  Value *insertArg(unsigned pos, TensorType type, std::string name = {});
  /// Removes argument i, which must have no uses.
  void eraseArg(unsigned i);

  // Ops.
  OpList &ops() { return opList; }
  const OpList &ops() const { return opList; }
  bool empty() const { return opList.empty(); }
  Operation *terminator() const;
  /// Inserts `op` before `pos` and returns it.
  Operation *insert(iterator pos, std::unique_ptr<Operation> op);
  Operation *append(std::unique_ptr<Operation> op) {
    return insert(opList.end(), std::move(op));
  }
  /// Erases `op` (its results must have no uses); returns the next position.
  iterator erase(Operation *op);
  /// Undoes a rewrite a pass has just built and cannot use: erases the op
  /// defining each value, in the order given (newest first, so each is
  /// unused once the ones after it in the program are gone). Null values
  /// and values no op of this block defines (arguments, the pass's own
  /// inputs) are skipped.
  void eraseBuilt(std::initializer_list<Value *> newestFirst);
  /// Detaches `op` without destroying it.
  std::unique_ptr<Operation> take(Operation *op);
  iterator find(Operation *op);

  /// The op whose region this block is, or null for a function body.
  Operation *parentOp() const { return parent; }

  /// Calls `fn` on every op in this block and, recursively, in nested regions
  /// (pre-order: an op before the ops of its regions).
  void walk(const std::function<void(Operation *)> &fn);

private:
  friend class Operation;
  std::vector<std::unique_ptr<Value>> args;
  OpList opList;
  Operation *parent = nullptr;
};

} // namespace rnnc::ir

#endif // RNNC_IR_BLOCK_H
