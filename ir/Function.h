//===- ir/Function.h - Functions and modules -------------------*- C++ -*-===//
//
// A Function is a named body Block whose arguments are the function's inputs
// and whose `return` gives its results. Each argument may carry attributes;
// the frontend marks trainable parameters with {param = true} so the driver
// knows which arguments to initialize, train and checkpoint. A Module is a list
// of functions (a model's forward function, later its backward and step ones).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_FUNCTION_H
#define RNNC_IR_FUNCTION_H

#include "ir/Block.h"

#include <memory>
#include <string>
#include <vector>

namespace rnnc::ir {

class Function {
public:
  explicit Function(std::string name, Location loc = {})
      : fnName(std::move(name)), location(std::move(loc)) {}

  const std::string &name() const { return fnName; }
  void setName(std::string name) { fnName = std::move(name); }
  const Location &loc() const { return location; }

  Block &body() { return entry; }
  const Block &body() const { return entry; }

  unsigned numArgs() const { return entry.numArgs(); }
  Value *arg(unsigned i) const { return entry.arg(i); }
  Value *addArg(TensorType type, std::string name = {}, AttrMap attrs = {});
  AttrMap &argAttrs(unsigned i) { return argAttributes[i]; }
  const AttrMap &argAttrs(unsigned i) const { return argAttributes[i]; }
  /// The argument named `name` (its name hint), or null.
  Value *argByName(const std::string &name) const;

  /// The `return` op, or null while the body is unterminated.
  Operation *returnOp() const;
  std::vector<TensorType> resultTypes() const;

  void walk(const std::function<void(Operation *)> &fn) { entry.walk(fn); }

private:
  std::string fnName;
  Location location;
  Block entry;
  std::vector<AttrMap> argAttributes;
};

class Module {
public:
  Function *addFunction(std::unique_ptr<Function> fn);
  Function *lookup(const std::string &name) const;
  std::vector<std::unique_ptr<Function>> &functions() { return fns; }
  const std::vector<std::unique_ptr<Function>> &functions() const {
    return fns;
  }

private:
  std::vector<std::unique_ptr<Function>> fns;
};

} // namespace rnnc::ir

#endif // RNNC_IR_FUNCTION_H
