//===- ir/Structure.cpp - Values, operations, blocks, functions -----------===//
//
// The bookkeeping that keeps use lists, parents and ownership consistent.
//
//===----------------------------------------------------------------------===//
#include "ir/Block.h"
#include "ir/Function.h"

#include <algorithm>
#include <cassert>

namespace rnnc::ir {

std::string Location::str() const {
  if (!isKnown())
    return "<unknown>";
  return *file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

//===--- Value ------------------------------------------------------------===//

void Value::replaceAllUsesWith(Value *other) {
  assert(other != this);
  // setOperand edits useList, so work on a copy.
  std::vector<Use> copy = useList;
  for (const Use &u : copy)
    u.user->setOperand(u.index, other);
}

static void removeUse(Value *v, Operation *user, unsigned index) {
  auto &uses = const_cast<std::vector<Use> &>(v->uses());
  auto it = std::find(uses.begin(), uses.end(), Use{user, index});
  assert(it != uses.end() && "use list out of sync");
  uses.erase(it);
}

static void addUse(Value *v, Operation *user, unsigned index) {
  const_cast<std::vector<Use> &>(v->uses()).push_back(Use{user, index});
}

//===--- Operation --------------------------------------------------------===//

Operation::Operation(OpKind kind, const std::vector<Value *> &operands,
                     const std::vector<TensorType> &resultTypes, AttrMap attrs,
                     Location loc)
    : opKind(kind), attributes(std::move(attrs)), location(std::move(loc)) {
  setOperands(operands);
  for (const TensorType &t : resultTypes)
    addResult(t);
}

Operation::~Operation() {
  // Regions first: their ops may use our operands' values, never our results.
  regs.clear();
  dropAllReferences();
}

void Operation::setOperand(unsigned i, Value *v) {
  assert(v && "null operand");
  if (ops[i] == v)
    return;
  removeUse(ops[i], this, i);
  ops[i] = v;
  addUse(v, this, i);
}

void Operation::setOperands(const std::vector<Value *> &values) {
  dropAllReferences();
  ops = values;
  for (unsigned i = 0; i < ops.size(); ++i) {
    assert(ops[i] && "null operand");
    addUse(ops[i], this, i);
  }
}

void Operation::dropAllReferences() {
  for (unsigned i = 0; i < ops.size(); ++i)
    removeUse(ops[i], this, i);
  ops.clear();
}

std::vector<Value *> Operation::results() const {
  std::vector<Value *> out;
  for (const auto &r : res)
    out.push_back(r.get());
  return out;
}

Value *Operation::addResult(TensorType type, std::string name) {
  res.push_back(std::make_unique<Value>(std::move(type), std::move(name)));
  Value *v = res.back().get();
  v->defOp = this;
  v->index = static_cast<unsigned>(res.size() - 1);
  return v;
}

void Operation::eraseResult(unsigned i) {
  assert(i < res.size() && !res[i]->hasUses() && "erasing a used result");
  res.erase(res.begin() + i);
  for (unsigned k = i; k < res.size(); ++k)
    res[k]->index = k;
}

int64_t Operation::getInt(const std::string &name, int64_t fallback) const {
  auto it = attributes.find(name);
  if (it == attributes.end())
    return fallback;
  if (auto *v = std::get_if<int64_t>(&it->second))
    return *v;
  return fallback;
}

double Operation::getFloat(const std::string &name, double fallback) const {
  auto it = attributes.find(name);
  if (it == attributes.end())
    return fallback;
  if (auto *v = std::get_if<double>(&it->second))
    return *v;
  if (auto *v = std::get_if<int64_t>(&it->second))
    return static_cast<double>(*v);
  return fallback;
}

bool Operation::getBool(const std::string &name, bool fallback) const {
  auto it = attributes.find(name);
  if (it == attributes.end())
    return fallback;
  if (auto *v = std::get_if<bool>(&it->second))
    return *v;
  return fallback;
}

std::string Operation::getString(const std::string &name) const {
  auto it = attributes.find(name);
  if (it == attributes.end())
    return {};
  if (auto *v = std::get_if<std::string>(&it->second))
    return *v;
  return {};
}

std::vector<int64_t> Operation::getInts(const std::string &name) const {
  auto it = attributes.find(name);
  if (it == attributes.end())
    return {};
  if (auto *v = std::get_if<std::vector<int64_t>>(&it->second))
    return *v;
  return {};
}

const DenseFloats *Operation::getDense(const std::string &name) const {
  auto it = attributes.find(name);
  if (it == attributes.end())
    return nullptr;
  return std::get_if<DenseFloats>(&it->second);
}

Block *Operation::addRegion() {
  regs.push_back(std::make_unique<Block>());
  regs.back()->parent = this;
  return regs.back().get();
}

ScanLayout scanLayout(const Operation &scan) {
  ScanLayout l;
  l.numSeq = static_cast<unsigned>(scan.getInt("num_seq"));
  l.numCarry = static_cast<unsigned>(scan.getInt("num_carry"));
  l.numCapture = static_cast<unsigned>(scan.getInt("num_capture"));
  l.hasLengths = scan.getBool("has_lengths");
  l.reverse = scan.getBool("reverse");
  return l;
}

//===--- Block ------------------------------------------------------------===//

Block::~Block() {
  // Destroy ops back to front, so a user is gone before the values it uses;
  // drop references first to cope with any order.
  for (auto &op : opList)
    op->dropAllReferences();
  while (!opList.empty())
    opList.pop_back();
}

std::vector<Value *> Block::arguments() const {
  std::vector<Value *> out;
  for (const auto &a : args)
    out.push_back(a.get());
  return out;
}

Value *Block::addArg(TensorType type, std::string name) {
  args.push_back(std::make_unique<Value>(std::move(type), std::move(name)));
  Value *v = args.back().get();
  v->argOf = this;
  v->index = static_cast<unsigned>(args.size() - 1);
  return v;
}

Value *Block::insertArg(unsigned pos, TensorType type, std::string name) {
  assert(pos <= args.size() && "argument position out of range");
  auto it = args.insert(args.begin() + pos, std::make_unique<Value>(
                                                std::move(type), std::move(name)));
  (*it)->argOf = this;
  for (unsigned k = pos; k < args.size(); ++k)
    args[k]->index = k;
  return args[pos].get();
}

void Block::eraseArg(unsigned i) {
  assert(!args[i]->hasUses() && "erasing a used block argument");
  args.erase(args.begin() + i);
  for (unsigned k = i; k < args.size(); ++k)
    args[k]->index = k;
}

Operation *Block::terminator() const {
  if (opList.empty() || !isTerminator(opList.back()->kind()))
    return nullptr;
  return opList.back().get();
}

Operation *Block::insert(iterator pos, std::unique_ptr<Operation> op) {
  op->parent = this;
  return opList.insert(pos, std::move(op))->get();
}

Block::iterator Block::find(Operation *op) {
  return std::find_if(opList.begin(), opList.end(),
                      [&](const auto &p) { return p.get() == op; });
}

Block::iterator Block::erase(Operation *op) {
  for ([[maybe_unused]] Value *r : op->results())
    assert(!r->hasUses() && "erasing an op whose results are used");
  auto it = find(op);
  assert(it != opList.end());
  return opList.erase(it);
}

void Block::eraseBuilt(std::initializer_list<Value *> newestFirst) {
  for (Value *v : newestFirst)
    if (v && v->definingOp() && v->definingOp()->parentBlock() == this)
      erase(v->definingOp());
}

std::unique_ptr<Operation> Block::take(Operation *op) {
  auto it = find(op);
  assert(it != opList.end());
  std::unique_ptr<Operation> owned = std::move(*it);
  opList.erase(it);
  owned->parent = nullptr;
  return owned;
}

void Block::walk(const std::function<void(Operation *)> &fn) {
  // Advance before calling fn, so fn may erase the op it is given.
  for (auto it = opList.begin(); it != opList.end();) {
    Operation *op = (it++)->get();
    fn(op);
    for (unsigned r = 0; r < op->numRegions(); ++r)
      op->region(r)->walk(fn);
  }
}

//===--- Function and Module ----------------------------------------------===//

Value *Function::addArg(TensorType type, std::string name, AttrMap attrs) {
  argAttributes.push_back(std::move(attrs));
  return entry.addArg(std::move(type), std::move(name));
}

Value *Function::argByName(const std::string &name) const {
  for (unsigned i = 0; i < entry.numArgs(); ++i)
    if (entry.arg(i)->name() == name)
      return entry.arg(i);
  return nullptr;
}

Operation *Function::returnOp() const {
  Operation *t = entry.terminator();
  return t && t->kind() == OpKind::Return ? t : nullptr;
}

std::vector<TensorType> Function::resultTypes() const {
  std::vector<TensorType> out;
  if (Operation *ret = returnOp())
    for (Value *v : ret->operands())
      out.push_back(v->type());
  return out;
}

Function *Module::addFunction(std::unique_ptr<Function> fn) {
  fns.push_back(std::move(fn));
  return fns.back().get();
}

Function *Module::lookup(const std::string &name) const {
  for (const auto &f : fns)
    if (f->name() == name)
      return f.get();
  return nullptr;
}

} // namespace rnnc::ir
