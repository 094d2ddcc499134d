//===- frontend/LowerImpl.h - The lowering's internal state ----*- C++ -*-===//
//
// Shared by LowerExpr.cpp (values and operators common to cells and models),
// LowerCell.cpp (a cell applied to sequences becomes a scan) and LowerModel.cpp
// (a model becomes a function). Not part of the frontend's interface.
//
// A language value (Val) is an IR value plus what the language knows about it:
// its feature dims and whether it carries a batch axis [B,...] (Batched), a
// time axis too [T,B,...] (Seq), or neither (Param). A batched value with no
// feature dims (a per-row scalar, e.g. an attention score) is [B,1] in IR so
// it broadcasts against [B,H].
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_LOWERIMPL_H
#define RNNC_FRONTEND_LOWERIMPL_H

#include "frontend/Lowering.h"
#include "ir/Builder.h"

#include <set>

namespace rnnc::frontend::detail {

struct Val {
  enum class Kind { Invalid, Literal, Param, Batched, Seq, Tuple };
  Kind kind = Kind::Invalid;
  ir::Value *v = nullptr;
  std::vector<int64_t> dims;
  bool isToken = false;
  int64_t vocab = 0;
  double literal = 0;
  /// Seq: the lengths of its rows (an i32[B] value) and its time dim's name.
  ir::Value *lengths = nullptr;
  std::string timeSym;
  /// Tuple: the values of split(...).
  std::vector<Val> parts;

  bool valid() const { return kind != Kind::Invalid; }
  static Val invalid() { return Val{}; }
};

/// "a per-step [256] value", for messages.
std::string describe(const Val &v);
std::string dimsToString(const std::vector<int64_t> &dims);

struct SizeBinding {
  int64_t value = 0;
  Location loc;
  /// Why the size has its value, for notes ("bound here", "inferred from").
  std::string how;
};

/// The parts of a size expression may leave [1, kMaxSize] (`H - I + 1` with
/// H = I), as long as the whole lands in it; each part's magnitude is
/// capped at 2^48 (a product of two sizes) so the arithmetic stays exact.
/// Combines `l op r` ('+', '-', '*'); false past the cap.
inline bool sizeArith(char op, int64_t l, int64_t r, int64_t &out) {
  constexpr int64_t kMaxTerm = int64_t(1) << 48;
  bool overflow = op == '+'   ? __builtin_add_overflow(l, r, &out)
                  : op == '-' ? __builtin_sub_overflow(l, r, &out)
                              : __builtin_mul_overflow(l, r, &out);
  return !overflow && out >= -kMaxTerm && out <= kMaxTerm;
}

/// The names visible where an expression is lowered.
struct Scope {
  std::map<std::string, Val> values;
  std::map<std::string, Location> valueLocs;
  std::map<std::string, SizeBinding> sizes;
  /// In a cell body: the cell and where it was applied (for notes).
  const CellDecl *cell = nullptr;
  Location callSite;
};

/// One argument of the function being built, recorded until the end when the
/// arguments are put in calling-convention order.
struct PendingArg {
  std::unique_ptr<ir::Value> placeholder;
  SlotInfo slot;
};

class Lowerer {
public:
  Lowerer(const Program &program, const LowerOptions &options,
          ir::Diagnostics &diags)
      : program(program), options(options), diags(diags) {}

  std::optional<LoweredProgram> run();

  // --- LowerModel.cpp --------------------------------------------------------
  std::unique_ptr<ir::Function> lowerModel(const ModelDecl &model,
                                           ModelInfo &info);
  void lowerModelStmt(const ModelStmt &stmt, Scope &scope);
  Val lowerLoss(const Expr &e, Scope &scope);
  Val declareData(const ModelStmt &stmt, Scope &scope, const char *role);
  TrainConfig lowerTrain(const TrainDecl &train);

  // --- LowerCell.cpp ---------------------------------------------------------
  Val applyCell(const CellDecl &cell, const Expr &call, Scope &scope,
                const std::string &layer);
  std::optional<std::vector<int64_t>> evalShape(const Shape &shape,
                                                Scope &scope);
  std::optional<int64_t> evalDim(const DimExpr &d, Scope &scope);
  /// evalDim without the final range check (see sizeArith).
  std::optional<int64_t> evalDimTerm(const DimExpr &d, Scope &scope);
  /// After a size expression's error in a model: where each size it names
  /// got its value ("V = 30 was bound from the data in corpus.txt").
  void noteSizeOrigins(const std::set<std::string> &names, Scope &scope);
  /// The error for a size expression (`text`, naming `names`) whose value
  /// is no size, then noteSizeOrigins. `failScope` as in fail().
  void failSizeValue(const Location &loc, const std::string &text,
                     int64_t value, const std::set<std::string> &names,
                     Scope &scope, const Scope *failScope);

  // --- LowerExpr.cpp ---------------------------------------------------------
  Val lowerExpr(const Expr &e, Scope &scope, const std::string &layer = {});
  Val lowerCall(const Expr &e, Scope &scope, const std::string &layer);
  Val lowerModelBuiltin(const Expr &e, Scope &scope, const std::string &layer);
  Val binary(char op, Val a, Val b, const Location &loc);
  Val matmul(Val a, Val b, const Location &loc);
  Val unary(ir::OpKind kind, Val x, const Location &loc);
  Val softmax(Val x, const Location &loc);
  Val layernorm(Val x, Val gamma, Val beta, const Location &loc);
  Val concat(std::vector<Val> xs, const Location &loc);
  Val split(Val x, int64_t parts, const Location &loc);
  /// A size argument: an integer or a size name (`E`, `4*H`).
  std::optional<int64_t> evalSizeExpr(const Expr &e, Scope &scope);
  std::optional<int64_t> evalSizeTerm(const Expr &e, Scope &scope);
  /// The IR value of `v`, creating a constant for a literal.
  ir::Value *materialize(Val &v);
  /// Checks that a builder call succeeded; reports its error otherwise.
  Val checked(ir::Value *result, Val proto, const Location &loc);

  // --- Shared helpers (LowerExpr.cpp) ----------------------------------------
  /// Reports an error (once per location and message, since a cell's body is
  /// lowered once per application) with a note at the cell's application.
  Val fail(const Location &loc, const std::string &message,
           const Scope *scope = nullptr);
  std::string layerName(const std::string &callee, const std::string &wanted);
  ir::Value *addArg(const std::string &name, const std::string &role,
                    const ir::TensorType &type, InitSpec init = {});
  ir::TensorType batchedType(const Val &proto) const;

  const Program &program;
  const LowerOptions &options;
  ir::Diagnostics &diags;
  std::set<std::string> reported;
  /// Stand-in sizes handed out so far (LowerOptions::standInSizes).
  unsigned standIns = 0;

  // Per-model state.
  ir::Builder *b = nullptr;
  std::vector<PendingArg> pendingArgs;
  std::vector<std::pair<ir::Value *, SlotInfo>> finalStates;
  std::set<std::string> usedLayerNames;
  std::map<std::string, int> layerCounters;
  /// The lengths argument of each sequence time dim (T, S, ...).
  std::map<std::string, ir::Value *> lengthsArgs;
  ir::Value *lossValue = nullptr;
  /// The cell body being lowered, for notes on errors inside it.
  const Scope *cellScope = nullptr;
  std::vector<ir::Value *> outputs;
  ModelInfo *info = nullptr;
  /// Cells currently being instantiated (guards against recursion that sema
  /// missed).
  std::vector<const CellDecl *> activeCells;
};

} // namespace rnnc::frontend::detail

#endif // RNNC_FRONTEND_LOWERIMPL_H
