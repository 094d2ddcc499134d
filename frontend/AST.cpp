//===- frontend/AST.cpp - Printing the syntax tree ------------------------===//
//
// The `--emit=ast` dump: one node per line, children indented, each with its
// line:col so a reader can match nodes to source.
//
//===----------------------------------------------------------------------===//
#include "frontend/AST.h"

#include "ir/Attribute.h"

#include <cmath>

namespace rnnc::frontend {

std::string dimExprToString(const DimExpr &d) {
  switch (d.kind) {
  case DimExpr::Kind::Int:
    return std::to_string(d.value);
  case DimExpr::Kind::Name:
    return d.name;
  case DimExpr::Kind::Add:
    return "(" + dimExprToString(*d.lhs) + " + " + dimExprToString(*d.rhs) +
           ")";
  case DimExpr::Kind::Sub:
    return "(" + dimExprToString(*d.lhs) + " - " + dimExprToString(*d.rhs) +
           ")";
  case DimExpr::Kind::Mul:
    return dimExprToString(*d.lhs) + "*" + dimExprToString(*d.rhs);
  }
  return "?";
}

std::string shapeToString(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.dims.size(); ++i)
    s += (i ? ", " : "") + dimExprToString(*shape.dims[i]);
  return s + "]";
}

std::string exprToString(const Expr &e) {
  switch (e.kind) {
  case Expr::Kind::Number:
    // Integers too large for int64 (the lexer reads any digit string) print
    // as doubles; converting them would be undefined behaviour.
    return e.isInteger && std::fabs(e.number) < 9.0e18
               ? std::to_string(static_cast<int64_t>(e.number))
               : ir::formatDouble(e.number);
  case Expr::Kind::Name:
    return e.name;
  case Expr::Kind::Neg:
    return "-" + exprToString(*e.lhs);
  case Expr::Kind::Binary:
    return "(" + exprToString(*e.lhs) + " " + e.op + " " +
           exprToString(*e.rhs) + ")";
  case Expr::Kind::Call: {
    std::string s = e.name + "(";
    for (size_t i = 0; i < e.args.size(); ++i) {
      s += i ? ", " : "";
      if (!e.args[i].keyword.empty())
        s += e.args[i].keyword + "=";
      s += exprToString(*e.args[i].value);
    }
    return s + ")";
  }
  }
  return "?";
}

static std::string at(const Location &loc) {
  return " @" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

static void dumpVar(const char *what, const VarDecl &v, std::ostream &os) {
  os << "    " << what << " " << v.name << ": " << shapeToString(v.shape);
  if (v.init)
    os << " = " << ir::formatDouble(*v.init);
  os << at(v.loc) << "\n";
}

static void dumpAssign(const Assign &a, const char *indent, std::ostream &os) {
  os << indent << "Assign ";
  for (size_t i = 0; i < a.targets.size(); ++i)
    os << (i ? ", " : "") << a.targets[i];
  os << " = " << exprToString(*a.value) << at(a.loc) << "\n";
}

void dumpProgram(const Program &p, std::ostream &os) {
  for (const CellDecl &c : p.cells) {
    if (c.fromPrelude)
      continue;
    os << "Cell " << c.name << at(c.loc) << "\n";
    for (const CellInput &in : c.inputs)
      os << "    Input " << in.name << ": "
         << (in.isSeq ? "seq[" + shapeToString(in.shape) + "]"
                      : shapeToString(in.shape))
         << at(in.loc) << "\n";
    dumpVar("Output", c.output, os);
    for (const VarDecl &s : c.states)
      dumpVar("State", s, os);
    for (const VarDecl &s : c.params)
      dumpVar("Param", s, os);
    for (const Assign &a : c.body)
      dumpAssign(a, "    ", os);
  }
  for (const ModelDecl &m : p.models) {
    os << "Model " << m.name << "(";
    for (size_t i = 0; i < m.sizes.size(); ++i) {
      os << (i ? ", " : "") << m.sizes[i].name;
      if (m.sizes[i].defaultValue)
        os << " = " << *m.sizes[i].defaultValue;
    }
    os << ")" << at(m.loc) << "\n";
    for (const ModelStmt &s : m.stmts) {
      switch (s.kind) {
      case ModelStmt::Kind::Input:
      case ModelStmt::Kind::Target: {
        std::string ty = s.type.isToken ? "token" : "f32";
        ty += shapeToString(s.type.shape);
        if (s.type.isSeq)
          ty = "seq[" + ty +
               (s.type.timeName.empty() ? "" : ", " + s.type.timeName) + "]";
        os << "    "
           << (s.kind == ModelStmt::Kind::Input ? "Input " : "Target ")
           << s.name << ": " << ty << at(s.loc) << "\n";
        break;
      }
      case ModelStmt::Kind::Assign:
        dumpAssign(s.assign, "    ", os);
        break;
      case ModelStmt::Kind::Loss:
        os << "    Loss " << exprToString(*s.expr) << at(s.loc) << "\n";
        break;
      case ModelStmt::Kind::Output:
        os << "    Output " << exprToString(*s.expr) << at(s.loc) << "\n";
        break;
      }
    }
  }
  for (const TrainDecl &t : p.trains) {
    os << "Train" << at(t.loc) << "\n";
    for (const TrainSetting &s : t.settings)
      os << "    " << s.key << " " << exprToString(*s.value) << at(s.loc)
         << "\n";
  }
}

} // namespace rnnc::frontend
