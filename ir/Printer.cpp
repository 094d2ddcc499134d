//===- ir/Printer.cpp - The textual form of IR ----------------------------===//
//
// Prints the grammar of docs/ir.md. Value names come from name hints where
// set (sanitized to name characters), otherwise from a per-function counter.
// Names are made unique per function in a fixed walk order, by appending
// ".1", ".2", ...; because the parser keeps the printed names as hints, a
// second print assigns exactly the same names, so print -> parse -> print is
// the identity.
//
//===----------------------------------------------------------------------===//
#include "ir/Printer.h"

#include "ir/IRLexer.h"

#include <set>
#include <sstream>
#include <unordered_map>

namespace rnnc::ir {

namespace {

/// A hint reduced to name characters; empty when nothing usable is left or
/// when it is all digits (those are reserved for numbered values).
std::string sanitize(const std::string &hint) {
  std::string s;
  bool allDigits = true;
  for (char c : hint) {
    s += isNameChar(c) ? c : '_';
    if (c < '0' || c > '9')
      allDigits = false;
  }
  return allDigits ? std::string() : s;
}

class FunctionPrinter {
public:
  explicit FunctionPrinter(std::ostream &os) : os(os) {}

  void print(const Function &fn) {
    nameBlock(fn.body());
    os << "func @"
       << (sanitize(fn.name()).empty() ? "_" + fn.name() : sanitize(fn.name()))
       << "(";
    for (unsigned i = 0; i < fn.numArgs(); ++i) {
      if (i)
        os << ", ";
      os << ref(fn.arg(i)) << ": " << fn.arg(i)->type().str();
      printAttrs(fn.argAttrs(i));
    }
    os << ") -> (";
    std::vector<TensorType> results = fn.resultTypes();
    for (size_t i = 0; i < results.size(); ++i)
      os << (i ? ", " : "") << results[i].str();
    os << ") {\n";
    printOps(fn.body(), 1);
    os << "}\n";
  }

private:
  void assign(const Value *v) {
    std::string base = sanitize(v->name());
    if (base.empty()) {
      // Numbered values never clash with hinted ones (those are never all
      // digits), but skip numbers already taken just in case.
      std::string n;
      do
        n = std::to_string(counter++);
      while (used.count(n));
      used.insert(n);
      names[v] = n;
      return;
    }
    std::string name = base;
    for (unsigned k = 1; used.count(name); ++k)
      name = base + "." + std::to_string(k);
    used.insert(name);
    names[v] = name;
  }

  /// Names every value of a block in print order: arguments, then each op's
  /// results followed by its regions.
  void nameBlock(const Block &block) {
    for (unsigned i = 0; i < block.numArgs(); ++i)
      assign(block.arg(i));
    for (const auto &op : block.ops()) {
      for (unsigned i = 0; i < op->numResults(); ++i)
        assign(op->result(i));
      for (unsigned r = 0; r < op->numRegions(); ++r)
        nameBlock(*op->region(r));
    }
  }

  std::string ref(const Value *v) const {
    if (!v)
      return "%<null>";
    auto it = names.find(v);
    // A value from outside this function (ill-formed IR being debugged)
    // still prints, visibly marked.
    return it == names.end() ? "%<unknown>" : "%" + it->second;
  }

  void printAttrs(const AttrMap &attrs) {
    if (attrs.empty())
      return;
    os << " {";
    bool first = true;
    for (const auto &[name, value] : attrs) {
      os << (first ? "" : ", ") << name << " = " << attrToString(value);
      first = false;
    }
    os << "}";
  }

  void indent(unsigned level) { os << std::string(2 * level, ' '); }

  void printOps(const Block &block, unsigned level) {
    for (const auto &op : block.ops())
      printOp(*op, level);
  }

  void printOp(const Operation &op, unsigned level) {
    indent(level);
    for (unsigned i = 0; i < op.numResults(); ++i)
      os << (i ? ", " : "") << ref(op.result(i));
    if (op.numResults())
      os << " = ";
    os << op.name() << "(";
    for (unsigned i = 0; i < op.numOperands(); ++i)
      os << (i ? ", " : "") << ref(op.operand(i));
    os << ")";
    printAttrs(op.attrs());
    if (op.numResults()) {
      os << " : ";
      for (unsigned i = 0; i < op.numResults(); ++i)
        os << (i ? ", " : "") << op.result(i)->type().str();
    }
    for (unsigned r = 0; r < op.numRegions(); ++r) {
      const Block &body = *op.region(r);
      os << " {\n";
      indent(level);
      os << "^body(";
      for (unsigned i = 0; i < body.numArgs(); ++i)
        os << (i ? ", " : "") << ref(body.arg(i)) << ": "
           << body.arg(i)->type().str();
      os << "):\n";
      printOps(body, level + 1);
      indent(level);
      os << "}";
    }
    os << "\n";
  }

  std::ostream &os;
  std::unordered_map<const Value *, std::string> names;
  std::set<std::string> used;
  unsigned counter = 0;
};

} // namespace

void printFunction(const Function &fn, std::ostream &os) {
  FunctionPrinter(os).print(fn);
}

void printModule(const Module &module, std::ostream &os) {
  bool first = true;
  for (const auto &fn : module.functions()) {
    if (!first)
      os << "\n";
    first = false;
    printFunction(*fn, os);
  }
}

std::string toString(const Module &module) {
  std::ostringstream os;
  printModule(module, os);
  return os.str();
}

std::string toString(const Function &fn) {
  std::ostringstream os;
  printFunction(fn, os);
  return os.str();
}

} // namespace rnnc::ir
