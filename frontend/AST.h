//===- frontend/AST.h - The syntax tree of a model file --------*- C++ -*-===//
//
// What the parser produces and sema and lowering read. Every node carries the
// Location of its first token, so any later stage can point at the source.
// The tree is plain data: cells (one time step of a recurrence), models (wiring
// of layers over sequences) and train blocks (default hyperparameters).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_AST_H
#define RNNC_FRONTEND_AST_H

#include "ir/Location.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace rnnc::frontend {

using ir::Location;

/// A size expression in a shape: `4*H`, `E + K`, `256`.
struct DimExpr {
  enum class Kind { Int, Name, Add, Sub, Mul };
  Kind kind = Kind::Int;
  int64_t value = 0;
  std::string name;
  std::unique_ptr<DimExpr> lhs, rhs;
  Location loc;
  /// Nodes on the longest path down to a leaf (a leaf is 1): the recursion
  /// depth of everything that walks the tree (Parser limits it).
  unsigned height = 1;
};
using DimExprPtr = std::unique_ptr<DimExpr>;

/// `[H, I]`: the feature dims of a per-step value or a parameter.
struct Shape {
  std::vector<DimExprPtr> dims;
  Location loc;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One call argument, positional (keyword empty) or `keyword = value`.
struct Arg {
  std::string keyword;
  Location keywordLoc;
  ExprPtr value;
};

struct Expr {
  enum class Kind { Number, Name, Call, Binary, Neg };
  Kind kind = Kind::Number;
  double number = 0;
  bool isInteger = false;
  /// The name read (Name) or called (Call).
  std::string name;
  /// The operator of a Binary: '+', '-', '*', '/' or '@'.
  char op = 0;
  std::vector<Arg> args;
  ExprPtr lhs, rhs;
  Location loc;
  /// Nodes on the longest path down to a leaf (a leaf is 1), as in DimExpr.
  unsigned height = 1;
};

/// `x: [I]` (a per-step input) or `mem: seq[[K]]` (a whole sequence every step
/// sees).
struct CellInput {
  std::string name;
  Location loc;
  bool isSeq = false;
  Shape shape;
};

/// A `param` or `state` declaration, or the cell's output `-> h: [H]`.
struct VarDecl {
  std::string name;
  Location loc;
  Shape shape;
  std::optional<double> init;
};

/// `a, b = expr` (usually a single name).
struct Assign {
  std::vector<std::string> targets;
  std::vector<Location> targetLocs;
  ExprPtr value;
  Location loc;
};

struct CellDecl {
  std::string name;
  Location loc;
  std::vector<CellInput> inputs;
  VarDecl output;
  std::vector<VarDecl> states;
  std::vector<VarDecl> params;
  std::vector<Assign> body;
  bool fromPrelude = false;
};

/// `V` or `H = 256` in `model m(V, H = 256)`.
struct SizeParam {
  std::string name;
  Location loc;
  std::optional<int64_t> defaultValue;
};

/// `seq[token[V]]`, `seq[f32[F]]`, `token[C]`, `f32[F]`, and
/// `seq[token[V], S]` for a sequence whose length is its own (a source
/// sequence attended over); unnamed sequences share the time dim T.
struct DataType {
  bool isSeq = false;
  bool isToken = false;
  Shape shape;
  std::string timeName;
  Location timeLoc;
  Location loc;
};

struct ModelStmt {
  enum class Kind { Input, Target, Assign, Loss, Output };
  Kind kind = Kind::Assign;
  Location loc;
  /// Input / Target: the declared name and type.
  std::string name;
  DataType type;
  /// Assign.
  Assign assign;
  /// Loss / Output.
  ExprPtr expr;
};

struct ModelDecl {
  std::string name;
  Location loc;
  std::vector<SizeParam> sizes;
  std::vector<ModelStmt> stmts;
};

/// `clip_norm 5` or `optimizer adam(lr = 2e-3)` in a train block.
struct TrainSetting {
  std::string key;
  Location loc;
  ExprPtr value;
};

struct TrainDecl {
  Location loc;
  std::vector<TrainSetting> settings;
};

struct Program {
  std::vector<CellDecl> cells;
  std::vector<ModelDecl> models;
  std::vector<TrainDecl> trains;
};

/// Prints the tree in an indented, line-per-node form (`rnnc ir --emit=ast`).
void dumpProgram(const Program &program, std::ostream &os);
/// `4*H` back as text.
std::string dimExprToString(const DimExpr &dim);
std::string shapeToString(const Shape &shape);
std::string exprToString(const Expr &expr);

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_AST_H
