//===- frontend/LowerExpr.cpp - Values and operators ----------------------===//
//
// The operators and builtins that cells and models share. Each checks the
// language-level shapes first and explains a mismatch in the user's terms;
// the IR Builder's own type check is a backstop whose message is still
// reported as an error, never a crash.
//
//===----------------------------------------------------------------------===//
#include "frontend/LowerImpl.h"
#include "frontend/Sema.h"

#include <cmath>

namespace rnnc::frontend::detail {

using ir::Dim;
using ir::OpKind;
using ir::TensorType;

std::string dimsToString(const std::vector<int64_t> &dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string describe(const Val &v) {
  switch (v.kind) {
  case Val::Kind::Invalid:
    return "an invalid value";
  case Val::Kind::Literal:
    return "a number";
  case Val::Kind::Param:
    return "a parameter of shape " + dimsToString(v.dims);
  case Val::Kind::Batched:
    if (v.isToken)
      return "a token[" + std::to_string(v.vocab) + "] per sequence";
    return "a per-row value of shape " + dimsToString(v.dims);
  case Val::Kind::Seq:
    if (v.isToken)
      return "a sequence of token[" + std::to_string(v.vocab) + "]";
    return "a sequence of " + dimsToString(v.dims);
  case Val::Kind::Tuple:
    return "a group of " + std::to_string(v.parts.size()) + " values";
  }
  return "a value";
}

Val Lowerer::fail(const Location &loc, const std::string &message,
                  const Scope *scope) {
  std::string key = loc.str() + message;
  if (!scope)
    scope = cellScope;
  if (reported.insert(key).second) {
    diags.error(loc, message);
    if (scope && scope->cell && scope->callSite.isKnown()) {
      std::string sizes;
      for (const auto &[name, s] : scope->sizes)
        sizes += (sizes.empty() ? " with " : ", ") + name + " = " +
                 std::to_string(s.value);
      diags.note(scope->callSite,
                 "in cell '" + scope->cell->name + "' applied here" + sizes);
    }
  }
  return Val::invalid();
}

std::string Lowerer::layerName(const std::string &callee,
                               const std::string &wanted) {
  if (!wanted.empty() && usedLayerNames.insert(wanted).second)
    return wanted;
  while (true) {
    std::string name = callee + "_" + std::to_string(++layerCounters[callee]);
    if (usedLayerNames.insert(name).second)
      return name;
  }
}

ir::Value *Lowerer::addArg(const std::string &name, const std::string &role,
                           const TensorType &type, InitSpec init) {
  // Placeholders live outside any block until the final function exists.
  auto placeholder = std::make_unique<ir::Value>(type, name);
  ir::Value *raw = placeholder.get();
  pendingArgs.push_back(
      {std::move(placeholder), SlotInfo{name, role, type, init}});
  return raw;
}

TensorType Lowerer::batchedType(const Val &proto) const {
  std::vector<Dim> dims;
  if (proto.kind == Val::Kind::Seq)
    dims.push_back(Dim::symbolic(proto.timeSym));
  if (proto.kind == Val::Kind::Seq || proto.kind == Val::Kind::Batched)
    dims.push_back(Dim::symbolic("B"));
  for (int64_t d : proto.dims)
    dims.push_back(Dim::fixed(d));
  if (proto.dims.empty() && proto.kind != Val::Kind::Param)
    dims.push_back(Dim::fixed(1));
  return TensorType::f32(dims);
}

ir::Value *Lowerer::materialize(Val &v) {
  if (v.kind == Val::Kind::Literal && !v.v)
    v.v = b->constant(TensorType::f32({}), v.literal);
  return v.v;
}

Val Lowerer::checked(ir::Value *result, Val proto, const Location &loc) {
  if (!result) {
    return fail(loc, "cannot lower this expression: " +
                         (b->failed() ? b->firstError()
                                      : std::string("invalid operand")));
  }
  proto.v = result;
  return proto;
}

static bool isData(const Val &v) {
  return v.kind == Val::Kind::Param || v.kind == Val::Kind::Batched ||
         v.kind == Val::Kind::Seq || v.kind == Val::Kind::Literal;
}

static int rankOf(Val::Kind k) {
  return k == Val::Kind::Seq ? 2 : k == Val::Kind::Batched ? 1 : 0;
}

Val Lowerer::binary(char op, Val a, Val c, const Location &loc) {
  if (!a.valid() || !c.valid())
    return Val::invalid();
  std::string opText(1, op);
  for (const Val *v : {&a, &c}) {
    if (v->isToken)
      return fail(loc, "'" + opText +
                           "' cannot take token ids; apply "
                           "embed(...) to turn them into vectors first");
    if (!isData(*v))
      return fail(loc, "'" + opText + "' cannot take " + describe(*v));
  }
  if (a.kind == Val::Kind::Literal && c.kind == Val::Kind::Literal) {
    Val r = a;
    r.v = nullptr;
    switch (op) {
    case '+':
      r.literal = a.literal + c.literal;
      break;
    case '-':
      r.literal = a.literal - c.literal;
      break;
    case '*':
      r.literal = a.literal * c.literal;
      break;
    default:
      r.literal = a.literal / c.literal;
      break;
    }
    return r;
  }
  bool aScalar = a.kind == Val::Kind::Literal ||
                 (a.dims.empty() && a.kind != Val::Kind::Param);
  bool cScalar = c.kind == Val::Kind::Literal ||
                 (c.dims.empty() && c.kind != Val::Kind::Param);
  if (a.dims != c.dims && !aScalar && !cScalar)
    return fail(loc, "shapes differ in '" + opText + "': " +
                         dimsToString(a.dims) + " vs " + dimsToString(c.dims));
  if (a.kind == Val::Kind::Seq && c.kind == Val::Kind::Seq &&
      a.timeSym != c.timeSym)
    return fail(loc, "'" + opText +
                         "' combines sequences of different "
                         "lengths (" +
                         a.timeSym + " and " + c.timeSym + ")");
  Val r = rankOf(a.kind) >= rankOf(c.kind) ? a : c;
  if (r.kind == Val::Kind::Literal)
    r = a.kind == Val::Kind::Literal ? c : a;
  r.dims = aScalar ? c.dims : a.dims;
  if (aScalar && cScalar)
    r.dims = {};
  OpKind kind = op == '+'   ? OpKind::Add
                : op == '-' ? OpKind::Sub
                : op == '*' ? OpKind::Mul
                            : OpKind::Div;
  ir::Value *x = materialize(a), *y = materialize(c);
  return checked(b->binary(kind, x, y), r, loc);
}

Val Lowerer::matmul(Val a, Val x, const Location &loc) {
  if (!a.valid() || !x.valid())
    return Val::invalid();
  if (a.isToken || x.isToken)
    return fail(loc, "'@' cannot take token ids; apply embed(...) first");
  auto mismatch = [&](int64_t k1, int64_t k2) {
    return fail(loc, "'@' contracts " + std::to_string(k1) + " with " +
                         std::to_string(k2) + " features: " + describe(a) +
                         " @ " + describe(x));
  };
  bool xData = x.kind == Val::Kind::Batched || x.kind == Val::Kind::Seq;
  // W @ x: a [M,K] weight applied to per-row vectors [K] -> [M].
  if (a.kind == Val::Kind::Param && a.dims.size() == 2 && xData &&
      x.dims.size() == 1) {
    if (a.dims[1] != x.dims[0])
      return mismatch(a.dims[1], x.dims[0]);
    Val r = x;
    r.dims = {a.dims[0]};
    return checked(b->matmul(x.v, a.v, false, true), r, loc);
  }
  // v @ x: a [K] vector dotted with per-row vectors [K] -> one number a row.
  if (a.kind == Val::Kind::Param && a.dims.size() == 1 && xData &&
      x.dims.size() == 1) {
    if (a.dims[0] != x.dims[0])
      return mismatch(a.dims[0], x.dims[0]);
    Val r = x;
    r.dims = {};
    ir::Value *prod = b->mul(x.v, a.v);
    return checked(b->reduce(OpKind::ReduceSum, prod, {-1}, true), r, loc);
  }
  // x @ W: per-row vectors [K] times a [K,N] matrix -> [N].
  if (xData == false && x.kind == Val::Kind::Param && x.dims.size() == 2 &&
      (a.kind == Val::Kind::Batched || a.kind == Val::Kind::Seq) &&
      a.dims.size() == 1) {
    if (a.dims[0] != x.dims[0])
      return mismatch(a.dims[0], x.dims[0]);
    Val r = a;
    r.dims = {x.dims[1]};
    return checked(b->matmul(a.v, x.v), r, loc);
  }
  // w @ mem: weights over a sequence's positions times that sequence:
  // sum over positions -> one [K] vector a row.
  if (a.kind == Val::Kind::Seq && a.dims.empty() && x.kind == Val::Kind::Seq &&
      x.dims.size() == 1) {
    if (a.timeSym != x.timeSym)
      return fail(loc, "'@' combines sequences of different lengths (" +
                           a.timeSym + " and " + x.timeSym + ")");
    Val r = x;
    r.kind = Val::Kind::Batched;
    r.lengths = nullptr;
    r.timeSym.clear();
    ir::Value *prod = b->mul(a.v, x.v);
    return checked(b->reduce(OpKind::ReduceSum, prod, {0}), r, loc);
  }
  // Per-row dot product of two vectors.
  if ((a.kind == Val::Kind::Batched || a.kind == Val::Kind::Seq) && xData &&
      a.dims.size() == 1 && x.dims.size() == 1) {
    if (a.dims[0] != x.dims[0])
      return mismatch(a.dims[0], x.dims[0]);
    Val r = rankOf(a.kind) >= rankOf(x.kind) ? a : x;
    r.dims = {};
    ir::Value *prod = b->mul(a.v, x.v);
    return checked(b->reduce(OpKind::ReduceSum, prod, {-1}, true), r, loc);
  }
  return fail(loc, "'@' cannot multiply " + describe(a) + " by " + describe(x) +
                       "; write a weight first, as in W @ x");
}

Val Lowerer::unary(OpKind kind, Val x, const Location &loc) {
  if (!x.valid())
    return x;
  if (x.isToken || !isData(x))
    return fail(loc, "'" + std::string(ir::opName(kind)) + "' cannot take " +
                         describe(x));
  ir::Value *v = materialize(x);
  if (x.kind == Val::Kind::Literal)
    x.kind = Val::Kind::Param; // an f32[] tensor from now on
  return checked(b->unary(kind, v), x, loc);
}

Val Lowerer::softmax(Val x, const Location &loc) {
  if (!x.valid())
    return x;
  if (x.isToken || (x.kind != Val::Kind::Batched && x.kind != Val::Kind::Seq &&
                    x.kind != Val::Kind::Param))
    return fail(loc, "softmax cannot take " + describe(x));
  if (!x.dims.empty())
    return checked(b->softmax(x.v, -1), x, loc);
  if (x.kind != Val::Kind::Seq)
    return fail(loc, "softmax needs a vector or one score per position of "
                     "a sequence, got " +
                         describe(x));
  // Scores over a sequence's positions [S,B,1]: normalize over S, with
  // positions past a row's length pushed to -1e30 so they get weight 0.
  ir::Value *scores = x.v;
  if (x.lengths) {
    ir::Operation *m = b->create(OpKind::LengthMask, {x.lengths, x.v});
    ir::Value *mask = m ? m->result(0) : nullptr;
    ir::Value *mask3 = mask ? b->reshape(mask, {0, 0, 1}) : nullptr;
    ir::Value *neg = b->constant(TensorType::f32({}), -1e30);
    scores = mask3 ? b->select(mask3, x.v, neg) : nullptr;
  }
  return checked(scores ? b->softmax(scores, 0) : nullptr, x, loc);
}

Val Lowerer::layernorm(Val x, Val gamma, Val beta, const Location &loc) {
  if (!x.valid() || !gamma.valid() || !beta.valid())
    return Val::invalid();
  if (x.isToken || x.dims.empty() || x.kind == Val::Kind::Literal)
    return fail(loc, "layernorm needs vectors, got " + describe(x));
  for (const Val *p : {&gamma, &beta})
    if (p->kind != Val::Kind::Param ||
        p->dims != std::vector<int64_t>{x.dims.back()})
      return fail(loc, "layernorm's scale and shift must be parameters of "
                       "shape [" +
                           std::to_string(x.dims.back()) + "], got " +
                           describe(*p));
  // y = (x - mean) / sqrt(var + eps) * gamma + beta, over the last axis.
  ir::Value *mean = b->reduce(OpKind::ReduceMean, x.v, {-1}, true);
  ir::Value *d = b->sub(x.v, mean);
  ir::Value *var = b->reduce(OpKind::ReduceMean, b->mul(d, d), {-1}, true);
  ir::Value *eps = b->constant(TensorType::f32({}), 1e-5);
  ir::Value *norm = b->div(d, b->unary(OpKind::Sqrt, b->add(var, eps)));
  return checked(b->add(b->mul(norm, gamma.v), beta.v), x, loc);
}

Val Lowerer::concat(std::vector<Val> xs, const Location &loc) {
  for (const Val &x : xs)
    if (!x.valid())
      return Val::invalid();
  std::vector<ir::Value *> values;
  Val r = xs[0];
  int64_t total = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const Val &x = xs[i];
    if (x.isToken || x.kind == Val::Kind::Literal || !isData(x) ||
        x.dims.size() != 1)
      return fail(loc, "concat takes vectors; argument " +
                           std::to_string(i + 1) + " is " + describe(x));
    if (x.kind != xs[0].kind || x.timeSym != xs[0].timeSym)
      return fail(
          loc, "concat cannot join " + describe(xs[0]) + " and " + describe(x) +
                   (x.kind == xs[0].kind ? " (sequences of different lengths)"
                                         : ""));
    total += x.dims[0];
    values.push_back(x.v);
  }
  r.dims = {total};
  return checked(b->concat(values, -1), r, loc);
}

Val Lowerer::split(Val x, int64_t parts, const Location &loc) {
  if (!x.valid())
    return x;
  if (x.isToken || x.kind == Val::Kind::Literal || x.dims.empty())
    return fail(loc, "split needs a vector, got " + describe(x));
  if (parts <= 0 || x.dims.back() % parts != 0)
    return fail(loc, "cannot split " + std::to_string(x.dims.back()) +
                         " features into " + std::to_string(parts) +
                         " equal parts");
  std::vector<ir::Value *> pieces = b->split(x.v, -1, parts);
  Val r;
  r.kind = Val::Kind::Tuple;
  for (ir::Value *p : pieces) {
    Val part = x;
    part.dims.back() = x.dims.back() / parts;
    Val c = checked(p, part, loc);
    if (!c.valid())
      return c;
    r.parts.push_back(c);
  }
  return r;
}

static void sizeNames(const Expr &e, std::set<std::string> &out) {
  if (e.kind == Expr::Kind::Name)
    out.insert(e.name);
  if (e.kind == Expr::Kind::Binary) {
    sizeNames(*e.lhs, out);
    sizeNames(*e.rhs, out);
  }
}

std::optional<int64_t> Lowerer::evalSizeExpr(const Expr &e, Scope &scope) {
  auto v = evalSizeTerm(e, scope);
  if (!v || e.kind != Expr::Kind::Binary)
    return v; // leaves are checked where they are read
  if (*v < 1 || *v > kMaxSize) {
    std::set<std::string> names;
    sizeNames(e, names);
    failSizeValue(e.loc, exprToString(e), *v, names, scope, nullptr);
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> Lowerer::evalSizeTerm(const Expr &e, Scope &scope) {
  switch (e.kind) {
  case Expr::Kind::Number:
    if (!e.isInteger || e.number < 1 || e.number > double(kMaxSize)) {
      fail(e.loc, "a size must be an integer between 1 and " +
                      std::to_string(kMaxSize) + ", got " + exprToString(e));
      return std::nullopt;
    }
    return static_cast<int64_t>(e.number);
  case Expr::Kind::Name: {
    auto it = scope.sizes.find(e.name);
    if (it != scope.sizes.end())
      return it->second.value;
    if (scope.values.count(e.name))
      fail(e.loc, "expected a size here, but '" + e.name + "' is a value");
    else
      fail(e.loc, "unknown size '" + e.name + "'");
    return std::nullopt;
  }
  case Expr::Kind::Binary: {
    if (e.op == '/' || e.op == '@') {
      fail(e.loc, std::string("'") + e.op + "' is not allowed in a size");
      return std::nullopt;
    }
    auto l = evalSizeTerm(*e.lhs, scope);
    auto r = evalSizeTerm(*e.rhs, scope);
    if (!l || !r)
      return std::nullopt;
    int64_t v = 0;
    if (!sizeArith(e.op, *l, *r, v)) {
      fail(e.loc, "size " + exprToString(e) + " is too large");
      return std::nullopt;
    }
    return v;
  }
  default:
    fail(e.loc,
         "expected a size (an integer or a size name), got " + exprToString(e));
    return std::nullopt;
  }
}

Val Lowerer::lowerExpr(const Expr &e, Scope &scope, const std::string &layer) {
  b->setLoc(e.loc);
  switch (e.kind) {
  case Expr::Kind::Number: {
    Val v;
    v.kind = Val::Kind::Literal;
    v.literal = e.number;
    return v;
  }
  case Expr::Kind::Name: {
    auto it = scope.values.find(e.name);
    if (it != scope.values.end())
      return it->second;
    if (scope.sizes.count(e.name))
      return fail(e.loc,
                  "'" + e.name +
                      "' is a size, not a value; sizes go "
                      "in shapes and size arguments",
                  &scope);
    return fail(e.loc, "unknown name '" + e.name + "'", &scope);
  }
  case Expr::Kind::Neg: {
    Val x = lowerExpr(*e.lhs, scope);
    if (x.kind == Val::Kind::Literal) {
      x.literal = -x.literal;
      x.v = nullptr;
      return x;
    }
    b->setLoc(e.loc);
    return unary(OpKind::Neg, x, e.loc);
  }
  case Expr::Kind::Binary: {
    Val l = lowerExpr(*e.lhs, scope);
    Val r = lowerExpr(*e.rhs, scope);
    b->setLoc(e.loc);
    if (e.op == '@')
      return matmul(l, r, e.loc);
    return binary(e.op, l, r, e.loc);
  }
  case Expr::Kind::Call:
    return lowerCall(e, scope, layer);
  }
  return Val::invalid();
}

static const std::map<std::string, OpKind> kUnaryBuiltins = {
    {"tanh", OpKind::Tanh}, {"sigmoid", OpKind::Sigmoid},
    {"relu", OpKind::Relu}, {"exp", OpKind::Exp},
    {"log", OpKind::Log},   {"sqrt", OpKind::Sqrt}};

Val Lowerer::lowerCall(const Expr &e, Scope &scope, const std::string &layer) {
  const std::string &f = e.name;
  // Cells first: applied to sequences in a model.
  for (const CellDecl &c : program.cells)
    if (c.name == f) {
      if (scope.cell)
        return fail(e.loc, "cell '" + f + "' cannot be applied inside a cell",
                    &scope);
      return applyCell(c, e, scope, layer);
    }
  bool known = scope.cell ? isCellBuiltin(f) : isModelBuiltin(f);
  if (!known && !scope.cell && isCellBuiltin(f))
    return fail(e.loc, "'" + f + "' can only be used inside a cell", &scope);
  if (!known)
    return fail(e.loc, "unknown function '" + f + "'", &scope);

  auto arity = [&](size_t lo, size_t hi) {
    if (e.args.size() >= lo && e.args.size() <= hi)
      return true;
    std::string want = lo == hi
                           ? std::to_string(lo)
                           : std::to_string(lo) + " to " + std::to_string(hi);
    fail(e.loc,
         "'" + f + "' takes " + want + " argument" + (hi == 1 ? "" : "s") +
             ", got " + std::to_string(e.args.size()),
         &scope);
    return false;
  };
  auto noKeywords = [&](std::initializer_list<const char *> allowed) {
    for (const Arg &a : e.args) {
      if (a.keyword.empty())
        continue;
      bool ok = false;
      for (const char *k : allowed)
        ok |= a.keyword == k;
      if (!ok) {
        fail(a.keywordLoc,
             "'" + f + "' has no argument named '" + a.keyword + "'", &scope);
        return false;
      }
    }
    return true;
  };

  if (auto it = kUnaryBuiltins.find(f); it != kUnaryBuiltins.end()) {
    if (!arity(1, 1) || !noKeywords({}))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    b->setLoc(e.loc);
    return unary(it->second, x, e.loc);
  }
  if (f == "softmax") {
    if (!arity(1, 1) || !noKeywords({}))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    b->setLoc(e.loc);
    return softmax(x, e.loc);
  }
  if (f == "concat") {
    if (!noKeywords({}))
      return Val::invalid();
    if (e.args.size() < 2)
      return fail(e.loc,
                  "'concat' takes at least 2 arguments, got " +
                      std::to_string(e.args.size()),
                  &scope);
    std::vector<Val> xs;
    for (const Arg &a : e.args)
      xs.push_back(lowerExpr(*a.value, scope));
    b->setLoc(e.loc);
    return concat(std::move(xs), e.loc);
  }
  if (f == "split") {
    if (!arity(2, 2) || !noKeywords({}))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    auto parts = evalSizeExpr(*e.args[1].value, scope);
    if (!parts)
      return Val::invalid();
    b->setLoc(e.loc);
    return split(x, *parts, e.loc);
  }
  if (f == "layernorm" && scope.cell) {
    if (!arity(3, 3) || !noKeywords({}))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    Val g = lowerExpr(*e.args[1].value, scope);
    Val s = lowerExpr(*e.args[2].value, scope);
    b->setLoc(e.loc);
    return layernorm(x, g, s, e.loc);
  }
  return lowerModelBuiltin(e, scope, layer);
}

} // namespace rnnc::frontend::detail
