//===- frontend/LowerCell.cpp - A cell applied to sequences is a scan -----===//
//
// Applying a cell binds its size variables (from keyword arguments first, then
// from the shapes of its inputs), creates one argument per parameter
// (`layer.param`) and per carried state (`layer.state0`), and builds one scan
// whose body is the cell's step:
//
//   seqs     = the per-step inputs ([T,B,I], seen as [B,I] in the body)
//   carries  = the output, then the states, in declaration order
//   captures = whole-sequence inputs (and their lengths), then parameters
//   lengths  = the lengths of the first per-step input
//
// The body reads a state's carried value until the step assigns it; the
// values the names hold at the end of the step are the next carries, and the
// output's value is also the step's output.
//
//===----------------------------------------------------------------------===//
#include "frontend/LowerImpl.h"

#include <cmath>

namespace rnnc::frontend::detail {

using ir::Dim;
using ir::TensorType;

static void dimNames(const DimExpr &d, std::set<std::string> &out) {
  if (d.kind == DimExpr::Kind::Name)
    out.insert(d.name);
  if (d.lhs)
    dimNames(*d.lhs, out);
  if (d.rhs)
    dimNames(*d.rhs, out);
}

void Lowerer::noteSizeOrigins(const std::set<std::string> &names,
                              Scope &scope) {
  // A cell's failure already lists its sizes at the application.
  if (scope.cell)
    return;
  for (const std::string &n : names) {
    auto it = scope.sizes.find(n);
    if (it != scope.sizes.end() && it->second.loc.isKnown())
      diags.note(it->second.loc, n + " = " + std::to_string(it->second.value) +
                                     " was " + it->second.how);
  }
}

void Lowerer::failSizeValue(const Location &loc, const std::string &text,
                            int64_t value, const std::set<std::string> &names,
                            Scope &scope, const Scope *failScope) {
  size_t before = diags.errorCount();
  fail(loc,
       "size " + text + " = " + std::to_string(value) +
           " is not a size between 1 and " + std::to_string(kMaxSize),
       failScope);
  if (diags.errorCount() != before)
    noteSizeOrigins(names, scope);
}

std::optional<int64_t> Lowerer::evalDim(const DimExpr &d, Scope &scope) {
  auto v = evalDimTerm(d, scope);
  if (!v || d.kind == DimExpr::Kind::Int || d.kind == DimExpr::Kind::Name)
    return v; // leaves are checked where they are read
  if (*v < 1 || *v > kMaxSize) {
    std::set<std::string> names;
    dimNames(d, names);
    failSizeValue(d.loc, dimExprToString(d), *v, names, scope, &scope);
    return std::nullopt;
  }
  return v;
}

std::optional<int64_t> Lowerer::evalDimTerm(const DimExpr &d, Scope &scope) {
  switch (d.kind) {
  case DimExpr::Kind::Int:
    if (d.value < 1 || d.value > kMaxSize) {
      fail(d.loc,
           "a size must be between 1 and " + std::to_string(kMaxSize) +
               ", got " + std::to_string(d.value),
           &scope);
      return std::nullopt;
    }
    return d.value;
  case DimExpr::Kind::Name: {
    auto it = scope.sizes.find(d.name);
    if (it != scope.sizes.end())
      return it->second.value;
    if (scope.cell) {
      std::string msg = "size '" + d.name + "' of cell '" + scope.cell->name +
                        "' is not bound; pass it as " + scope.cell->name +
                        "(..., " + d.name + "=...)";
      if (reported.insert(scope.callSite.str() + msg).second) {
        diags.error(scope.callSite, msg);
        diags.note(d.loc, "'" + d.name + "' is used here");
      }
    } else {
      fail(d.loc, "unknown size '" + d.name + "'");
    }
    return std::nullopt;
  }
  default: {
    auto l = evalDimTerm(*d.lhs, scope);
    auto r = evalDimTerm(*d.rhs, scope);
    if (!l || !r)
      return std::nullopt;
    char op = d.kind == DimExpr::Kind::Add   ? '+'
              : d.kind == DimExpr::Kind::Sub ? '-'
                                             : '*';
    int64_t v = 0;
    if (!sizeArith(op, *l, *r, v)) {
      fail(d.loc, "size " + dimExprToString(d) + " is too large", &scope);
      return std::nullopt;
    }
    return v;
  }
  }
}

std::optional<std::vector<int64_t>> Lowerer::evalShape(const Shape &shape,
                                                       Scope &scope) {
  std::vector<int64_t> dims;
  bool ok = true;
  for (const DimExprPtr &d : shape.dims) {
    auto v = evalDim(*d, scope);
    ok &= v.has_value();
    dims.push_back(v.value_or(1));
  }
  if (!ok)
    return std::nullopt;
  return dims;
}

static void collectSizeNames(const DimExpr &d, std::set<std::string> &out) {
  if (d.kind == DimExpr::Kind::Name)
    out.insert(d.name);
  if (d.lhs)
    collectSizeNames(*d.lhs, out);
  if (d.rhs)
    collectSizeNames(*d.rhs, out);
}

static std::set<std::string> sizeNamesOf(const CellDecl &cell) {
  std::set<std::string> names;
  auto add = [&](const Shape &s) {
    for (const DimExprPtr &d : s.dims)
      collectSizeNames(*d, names);
  };
  for (const CellInput &in : cell.inputs)
    add(in.shape);
  add(cell.output.shape);
  for (const VarDecl &v : cell.states)
    add(v.shape);
  for (const VarDecl &v : cell.params)
    add(v.shape);
  return names;
}

Val Lowerer::applyCell(const CellDecl &cell, const Expr &call, Scope &scope,
                       const std::string &wantedLayer) {
  for (const CellDecl *active : activeCells)
    if (active == &cell)
      return fail(call.loc, "cell '" + cell.name + "' is applied recursively");
  Scope cs;
  cs.cell = &cell;
  cs.callSite = call.loc;
  std::set<std::string> sizeNames = sizeNamesOf(cell);

  // Match the call's arguments to inputs, sizes and options.
  std::vector<const Arg *> inputArgs(cell.inputs.size(), nullptr);
  size_t positional = 0;
  bool reverse = false, ok = true;
  for (const Arg &a : call.args) {
    if (a.keyword.empty()) {
      if (positional >= cell.inputs.size()) {
        fail(a.value->loc, "cell '" + cell.name + "' takes " +
                               std::to_string(cell.inputs.size()) +
                               " input(s), but more were given");
        ok = false;
        continue;
      }
      inputArgs[positional++] = &a;
      continue;
    }
    if (a.keyword == "reverse") {
      const Expr &v = *a.value;
      if (v.kind != Expr::Kind::Name ||
          (v.name != "true" && v.name != "false")) {
        fail(v.loc, "'reverse' must be true or false");
        ok = false;
      } else {
        reverse = v.name == "true";
      }
      continue;
    }
    size_t idx = 0;
    while (idx < cell.inputs.size() && cell.inputs[idx].name != a.keyword)
      ++idx;
    if (idx < cell.inputs.size()) {
      if (inputArgs[idx]) {
        fail(a.keywordLoc, "input '" + a.keyword + "' of cell '" + cell.name +
                               "' is given twice");
        ok = false;
      }
      inputArgs[idx] = &a;
      continue;
    }
    if (sizeNames.count(a.keyword)) {
      if (cs.sizes.count(a.keyword)) {
        fail(a.keywordLoc, "size '" + a.keyword + "' is given twice");
        ok = false;
        continue;
      }
      auto v = evalSizeExpr(*a.value, scope);
      if (!v) {
        ok = false;
        continue;
      }
      cs.sizes[a.keyword] = {*v, a.keywordLoc, "bound here"};
      continue;
    }
    std::string known;
    for (const CellInput &in : cell.inputs)
      known += (known.empty() ? "" : ", ") + in.name;
    for (const std::string &s : sizeNames)
      known += (known.empty() ? "" : ", ") + s;
    fail(a.keywordLoc, "cell '" + cell.name + "' has no input or size named '" +
                           a.keyword + "' (it has: " + known + ", reverse)");
    ok = false;
  }
  for (size_t i = 0; i < cell.inputs.size(); ++i)
    if (!inputArgs[i]) {
      fail(call.loc, "cell '" + cell.name + "' is missing its input '" +
                         cell.inputs[i].name + "'");
      ok = false;
    }
  if (!ok)
    return Val::invalid();

  // Lower the arguments and bind sizes from their shapes.
  std::vector<Val> inputs;
  for (size_t i = 0; i < cell.inputs.size(); ++i) {
    const CellInput &in = cell.inputs[i];
    const Location &argLoc = inputArgs[i]->value->loc;
    Val v = lowerExpr(*inputArgs[i]->value, scope);
    inputs.push_back(v);
    if (!v.valid()) {
      ok = false;
      continue;
    }
    if (v.isToken) {
      fail(argLoc, "input '" + in.name + "' of cell '" + cell.name +
                       "' gets token ids; apply embed(...) first");
      ok = false;
      continue;
    }
    if (v.kind != Val::Kind::Seq) {
      fail(argLoc, "cell '" + cell.name + "' needs a sequence for input '" +
                       in.name + "', got " + describe(v));
      ok = false;
      continue;
    }
    if (v.dims.size() != in.shape.dims.size()) {
      fail(argLoc, "input '" + in.name + "' of cell '" + cell.name +
                       "' has shape " + shapeToString(in.shape) +
                       ", but the argument is " + describe(v));
      ok = false;
      continue;
    }
    for (size_t d = 0; d < v.dims.size(); ++d) {
      const DimExpr &de = *in.shape.dims[d];
      if (de.kind == DimExpr::Kind::Name && !cs.sizes.count(de.name)) {
        cs.sizes[de.name] = {v.dims[d], argLoc,
                             "inferred from input '" + in.name + "'"};
        continue;
      }
      auto want = evalDim(de, cs);
      if (!want) {
        ok = false;
        continue;
      }
      if (*want != v.dims[d]) {
        std::string msg = "input '" + in.name + "' of cell '" + cell.name +
                          "' expects " + dimExprToString(de) + " = " +
                          std::to_string(*want) +
                          " features, but the "
                          "argument has " +
                          std::to_string(v.dims[d]);
        if (reported.insert(argLoc.str() + msg).second) {
          diags.error(argLoc, msg);
          if (de.kind == DimExpr::Kind::Name)
            diags.note(cs.sizes[de.name].loc,
                       de.name + " = " + std::to_string(*want) + " was " +
                           cs.sizes[de.name].how);
        }
        ok = false;
      }
    }
  }
  if (!ok)
    return Val::invalid();
  // Per-step inputs walk one time axis together.
  const Val *firstStep = nullptr;
  for (size_t i = 0; i < cell.inputs.size(); ++i) {
    if (cell.inputs[i].isSeq)
      continue;
    if (firstStep && firstStep->timeSym != inputs[i].timeSym)
      return fail(inputArgs[i]->value->loc,
                  "the per-step inputs of cell '" + cell.name +
                      "' are sequences of different lengths");
    if (!firstStep)
      firstStep = &inputs[i];
  }
  if (!firstStep)
    return fail(cell.loc, "cell '" + cell.name + "' has no per-step input");

  auto outDims = evalShape(cell.output.shape, cs);
  std::vector<std::vector<int64_t>> stateDims, paramDims;
  for (const VarDecl &s : cell.states) {
    auto d = evalShape(s.shape, cs);
    ok &= d.has_value();
    stateDims.push_back(d.value_or(std::vector<int64_t>{}));
  }
  for (const VarDecl &p : cell.params) {
    auto d = evalShape(p.shape, cs);
    ok &= d.has_value();
    paramDims.push_back(d.value_or(std::vector<int64_t>{}));
  }
  if (!ok || !outDims)
    return Val::invalid();

  // Arguments: initial states, then parameters.
  std::string layer = layerName(cell.name, wantedLayer);
  info->layers.push_back({layer, cell.name, reverse});
  Val carryProto;
  carryProto.kind = Val::Kind::Batched;
  std::vector<std::string> carryNames{cell.output.name};
  std::vector<std::vector<int64_t>> carryDims{*outDims};
  for (size_t i = 0; i < cell.states.size(); ++i) {
    carryNames.push_back(cell.states[i].name);
    carryDims.push_back(stateDims[i]);
  }
  std::vector<ir::Value *> inits;
  std::vector<TensorType> carryTypes;
  for (size_t i = 0; i < carryNames.size(); ++i) {
    carryProto.dims = carryDims[i];
    carryTypes.push_back(batchedType(carryProto));
    // The driver starts states at zero unless the cell declares a value
    // (`state c: [H] = 1`), which ModelInfo records as the state's init.
    const VarDecl &decl = i == 0 ? cell.output : cell.states[i - 1];
    InitSpec init = InitSpec::constant(decl.init.value_or(0.0));
    inits.push_back(addArg(layer + "." + carryNames[i] + "0", "state",
                           carryTypes.back(), init));
  }
  int64_t hidden = outDims->empty() ? 1 : outDims->back();
  double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  std::vector<ir::Value *> params;
  for (size_t i = 0; i < cell.params.size(); ++i) {
    const VarDecl &p = cell.params[i];
    InitSpec init =
        p.init ? InitSpec::constant(*p.init) : InitSpec::uniform(-bound, bound);
    std::vector<Dim> dims;
    for (int64_t d : paramDims[i])
      dims.push_back(Dim::fixed(d));
    params.push_back(
        addArg(layer + "." + p.name, "param", TensorType::f32(dims), init));
  }

  // Scan operands.
  std::vector<ir::Value *> seqs, captures;
  std::vector<size_t> memCapture(cell.inputs.size(), 0),
      memLengths(cell.inputs.size(), SIZE_MAX);
  for (size_t i = 0; i < cell.inputs.size(); ++i) {
    if (!cell.inputs[i].isSeq) {
      seqs.push_back(inputs[i].v);
      continue;
    }
    memCapture[i] = captures.size();
    captures.push_back(inputs[i].v);
    if (inputs[i].lengths) {
      memLengths[i] = captures.size();
      captures.push_back(inputs[i].lengths);
    }
  }
  size_t paramBegin = captures.size();
  captures.insert(captures.end(), params.begin(), params.end());

  ir::Builder *outer = b;
  unsigned errorsBefore = diags.errorCount();
  activeCells.push_back(&cell);
  Location callLoc = call.loc;
  outer->setLoc(callLoc);
  ir::Operation *scan = outer->scan(
      seqs, inits, captures, firstStep->lengths, reverse,
      [&](ir::Builder &inner, const std::vector<ir::Value *> &steps,
          const std::vector<ir::Value *> &carries,
          const std::vector<ir::Value *> &caps) -> ir::Builder::ScanBodyResult {
        b = &inner;
        Scope body;
        const Scope *enclosing = cellScope;
        cellScope = &body;
        body.cell = &cell;
        body.callSite = callLoc;
        body.sizes = cs.sizes;
        size_t step = 0;
        for (size_t i = 0; i < cell.inputs.size(); ++i) {
          Val v = inputs[i];
          if (cell.inputs[i].isSeq) {
            v.v = caps[memCapture[i]];
            v.lengths =
                memLengths[i] == SIZE_MAX ? nullptr : caps[memLengths[i]];
          } else {
            v.kind = Val::Kind::Batched;
            v.v = steps[step++];
            v.lengths = nullptr;
            v.timeSym.clear();
          }
          body.values[cell.inputs[i].name] = v;
        }
        for (size_t i = 0; i < carryNames.size(); ++i) {
          Val v;
          v.kind = Val::Kind::Batched;
          v.dims = carryDims[i];
          v.v = carries[i];
          body.values[carryNames[i]] = v;
        }
        for (size_t i = 0; i < cell.params.size(); ++i) {
          Val v;
          v.kind = Val::Kind::Param;
          v.dims = paramDims[i];
          v.v = caps[paramBegin + i];
          body.values[cell.params[i].name] = v;
        }
        std::map<std::string, Location> assignedAt;
        for (const Assign &a : cell.body) {
          Val v = lowerExpr(*a.value, body);
          if (a.targets.size() > 1) {
            if (v.valid() && (v.kind != Val::Kind::Tuple ||
                              v.parts.size() != a.targets.size())) {
              fail(a.loc,
                   "assigns " + std::to_string(a.targets.size()) +
                       " names, but the value is " + describe(v),
                   &body);
              v = Val::invalid();
            }
            for (size_t t = 0; t < a.targets.size(); ++t) {
              body.values[a.targets[t]] = v.valid() ? v.parts[t] : v;
              assignedAt[a.targets[t]] = a.targetLocs[t];
            }
            continue;
          }
          if (v.kind == Val::Kind::Tuple) {
            fail(a.loc,
                 "this gives " + std::to_string(v.parts.size()) +
                     " values; assign them to as many names, as in "
                     "a, b = split(x, 2)",
                 &body);
            v = Val::invalid();
          }
          body.values[a.targets[0]] = v;
          assignedAt[a.targets[0]] = a.targetLocs[0];
        }
        ir::Builder::ScanBodyResult result;
        bool bodyOk = true;
        for (size_t i = 0; i < carryNames.size(); ++i) {
          Val v = body.values[carryNames[i]];
          Location at = assignedAt.count(carryNames[i])
                            ? assignedAt[carryNames[i]]
                            : cell.loc;
          if (v.valid() && v.kind == Val::Kind::Literal)
            v.v = inner.constant(carryTypes[i], v.literal);
          else if (v.valid() && (v.kind != Val::Kind::Batched || v.isToken ||
                                 v.dims != carryDims[i])) {
            fail(at,
                 "state '" + carryNames[i] + "' is declared " +
                     dimsToString(carryDims[i]) + " per row, but is assigned " +
                     describe(v),
                 &body);
            v = Val::invalid();
          }
          bodyOk &= v.valid() && v.v;
          result.nextCarries.push_back(v.v);
        }
        result.outputs.push_back(
            result.nextCarries.empty() ? nullptr : result.nextCarries[0]);
        if (!bodyOk)
          result.nextCarries.assign(result.nextCarries.size(), nullptr);
        b = outer;
        cellScope = enclosing;
        return result;
      });
  b = outer;
  activeCells.pop_back();
  if (!scan) {
    if (diags.errorCount() == errorsBefore)
      fail(call.loc, "cannot lower this application of cell '" + cell.name +
                         "': " + outer->firstError());
    return Val::invalid();
  }
  for (size_t i = 0; i < carryNames.size(); ++i)
    finalStates.push_back(
        {scan->result(1 + static_cast<unsigned>(i)),
         SlotInfo{
             layer + "." + carryNames[i], "final_state", carryTypes[i], {}}});
  Val out = *firstStep;
  out.dims = *outDims;
  out.v = scan->result(0);
  return out;
}

} // namespace rnnc::frontend::detail
