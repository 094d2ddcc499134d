//===- frontend/Sema.cpp - Name checks over cells and declarations --------===//
//
// A cell body is checked in statement order with the set of names defined so
// far: inputs, parameters, states and the output are defined on entry (a state
// read before its assignment is the previous step's value), and a local is
// defined from its first assignment on.
//
//===----------------------------------------------------------------------===//
#include "frontend/Sema.h"

#include <map>
#include <set>

namespace rnnc::frontend {

static const std::set<std::string, std::less<>> kCellBuiltins = {
    "tanh", "sigmoid", "relu",  "exp",    "log",
    "sqrt", "softmax", "split", "concat", "layernorm"};
static const std::set<std::string, std::less<>> kModelBuiltins = {
    "tanh",    "sigmoid", "relu",      "exp",   "log",          "sqrt",
    "softmax", "concat",  "layernorm", "embed", "linear",       "dropout",
    "last",    "first",   "mean",      "mse",   "cross_entropy"};

bool isCellBuiltin(std::string_view name) {
  return kCellBuiltins.count(name) != 0;
}
bool isModelBuiltin(std::string_view name) {
  return kModelBuiltins.count(name) != 0;
}

namespace {

enum class NameKind { Input, Param, State, Output, Local };

const char *kindName(NameKind k) {
  switch (k) {
  case NameKind::Input:
    return "input";
  case NameKind::Param:
    return "parameter";
  case NameKind::State:
  case NameKind::Output:
    return "state";
  case NameKind::Local:
    return "value";
  }
  return "name";
}

class CellChecker {
public:
  CellChecker(const CellDecl &cell, const Program &program,
              ir::Diagnostics &diags)
      : cell(cell), program(program), diags(diags) {}

  void run();

private:
  struct NameInfo {
    NameKind kind;
    Location loc;
    bool read = false;
    bool assigned = false;
  };

  void declare(const std::string &name, NameKind kind, const Location &loc);
  void checkExpr(const Expr &e);
  bool isCell(const std::string &name) const {
    for (const CellDecl &c : program.cells)
      if (c.name == name)
        return true;
    return false;
  }

  const CellDecl &cell;
  const Program &program;
  ir::Diagnostics &diags;
  std::map<std::string, NameInfo> names;
  /// Locals assigned somewhere in the body, to explain early reads.
  std::map<std::string, Location> laterLocals;
};

void CellChecker::declare(const std::string &name, NameKind kind,
                          const Location &loc) {
  auto [it, inserted] = names.insert({name, NameInfo{kind, loc}});
  if (!inserted) {
    diags.error(loc, "duplicate declaration of '" + name + "' in cell '" +
                         cell.name + "'");
    diags.note(it->second.loc, "'" + name + "' was first declared here");
  }
}

void CellChecker::run() {
  for (const CellInput &in : cell.inputs)
    declare(in.name, NameKind::Input, in.loc);
  declare(cell.output.name, NameKind::Output, cell.output.loc);
  for (const VarDecl &s : cell.states)
    declare(s.name, NameKind::State, s.loc);
  for (const VarDecl &p : cell.params)
    declare(p.name, NameKind::Param, p.loc);
  for (const Assign &a : cell.body)
    for (size_t i = 0; i < a.targets.size(); ++i)
      if (!names.count(a.targets[i]))
        laterLocals.insert({a.targets[i], a.targetLocs[i]});

  for (const Assign &a : cell.body) {
    checkExpr(*a.value);
    for (size_t i = 0; i < a.targets.size(); ++i) {
      const std::string &t = a.targets[i];
      auto it = names.find(t);
      if (it == names.end()) {
        names.insert(
            {t, NameInfo{NameKind::Local, a.targetLocs[i], false, true}});
        continue;
      }
      if (it->second.kind == NameKind::Input ||
          it->second.kind == NameKind::Param) {
        diags.error(a.targetLocs[i], std::string("cannot assign to ") +
                                         kindName(it->second.kind) + " '" + t +
                                         "'");
        diags.note(it->second.loc, "'" + t + "' is declared here");
        continue;
      }
      it->second.assigned = true;
    }
  }
  for (const auto &[name, info] : names) {
    if ((info.kind == NameKind::State || info.kind == NameKind::Output) &&
        !info.assigned)
      diags.error(info.loc, "state '" + name + "' of cell '" + cell.name +
                                "' is never assigned; every state needs its "
                                "next value in each step");
    if (cell.fromPrelude)
      continue;
    if (info.kind == NameKind::Param && !info.read)
      diags.warning(info.loc, "parameter '" + name + "' of cell '" + cell.name +
                                  "' is never used");
    if (info.kind == NameKind::State && !info.read && info.assigned)
      diags.warning(info.loc, "state '" + name + "' of cell '" + cell.name +
                                  "' is never read");
    if (info.kind == NameKind::Input && !info.read)
      diags.warning(info.loc, "input '" + name + "' of cell '" + cell.name +
                                  "' is never used");
  }
}

void CellChecker::checkExpr(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Number:
    return;
  case Expr::Kind::Name: {
    auto it = names.find(e.name);
    if (it != names.end()) {
      it->second.read = true;
      return;
    }
    auto later = laterLocals.find(e.name);
    if (later != laterLocals.end()) {
      diags.error(e.loc,
                  "'" + e.name +
                      "' is read before it is assigned; "
                      "only states carry a value from the previous step");
      diags.note(later->second, "'" + e.name + "' is assigned here");
      return;
    }
    diags.error(e.loc, "unknown name '" + e.name + "'");
    return;
  }
  case Expr::Kind::Neg:
    checkExpr(*e.lhs);
    return;
  case Expr::Kind::Binary:
    checkExpr(*e.lhs);
    checkExpr(*e.rhs);
    return;
  case Expr::Kind::Call:
    if (e.name == cell.name)
      diags.error(e.loc, "cell '" + cell.name +
                             "' applies itself; a cell "
                             "describes one step and cannot recurse");
    else if (isCell(e.name))
      diags.error(e.loc, "cell '" + e.name +
                             "' cannot be applied inside "
                             "cell '" +
                             cell.name + "'; apply cells in a model");
    else if (isModelBuiltin(e.name) && !isCellBuiltin(e.name))
      diags.error(e.loc, "'" + e.name +
                             "' can only be used in a model, not "
                             "inside cell '" +
                             cell.name + "'");
    else if (!isCellBuiltin(e.name))
      diags.error(e.loc, "unknown function '" + e.name + "' in cell '" +
                             cell.name + "'");
    // split's count is a size (`split(a, 4)`, `split(a, K)`), not a
    // value: lowering evaluates it against the cell's sizes and reports an
    // unknown one there.
    for (size_t i = 0; i < e.args.size(); ++i)
      if (!(e.name == "split" && i == 1))
        checkExpr(*e.args[i].value);
    return;
  }
}

} // namespace

bool checkProgram(const Program &program, ir::Diagnostics &diags) {
  unsigned before = diags.errorCount();
  std::map<std::string, Location> top;
  auto declareTop = [&](const std::string &name, const Location &loc,
                        const char *what) {
    auto [it, inserted] = top.insert({name, loc});
    if (!inserted) {
      diags.error(loc,
                  std::string("redefinition of ") + what + " '" + name + "'");
      diags.note(it->second, "'" + name + "' was first defined here");
    }
  };
  for (const CellDecl &c : program.cells) {
    declareTop(c.name, c.loc, "cell");
    if (isCellBuiltin(c.name) || isModelBuiltin(c.name))
      diags.error(c.loc, "cell '" + c.name + "' has the name of a builtin");
  }
  for (const ModelDecl &m : program.models)
    declareTop(m.name, m.loc, "model");
  if (program.trains.size() > 1) {
    diags.error(program.trains[1].loc, "a file has at most one train block");
    diags.note(program.trains[0].loc, "the first train block is here");
  }
  for (const CellDecl &c : program.cells)
    CellChecker(c, program, diags).run();
  return diags.errorCount() == before;
}

} // namespace rnnc::frontend
