//===- frontend/LowerModel.cpp - A model becomes one IR function ----------===//
//
// A model's statements are lowered in order into a scratch block; arguments
// are created as they are met (inputs, cell states, layer parameters) and only
// at the end put in calling-convention order (ModelInfo.h) in the final
// function, which then takes over the ops. Layers applied per step (embed,
// linear, ...) work on whole [T,B,...] sequences at once; only cells need a
// scan.
//
//===----------------------------------------------------------------------===//
#include "frontend/LowerImpl.h"
#include "frontend/Sema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rnnc::frontend::detail {

using ir::Dim;
using ir::OpKind;
using ir::TensorType;

/// "N elements (X GiB)" for a count of f32 elements.
static std::string describeElems(double elems) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.0f elements (%.1f GiB)", elems,
                elems * 4 / double(int64_t(1) << 30));
  return buf;
}

Val Lowerer::lowerModelBuiltin(const Expr &e, Scope &scope,
                               const std::string &wanted) {
  const std::string &f = e.name;
  auto argCount = [&](size_t lo, size_t hi) {
    if (e.args.size() >= lo && e.args.size() <= hi)
      return true;
    fail(e.loc,
         "'" + f + "' takes " +
             (lo == hi ? std::to_string(lo)
                       : std::to_string(lo) + " or " + std::to_string(hi)) +
             " arguments, got " + std::to_string(e.args.size()));
    return false;
  };
  for (const Arg &a : e.args)
    if (!a.keyword.empty() && !(f == "dropout" && a.keyword == "p"))
      return fail(a.keywordLoc,
                  "'" + f + "' has no argument named '" + a.keyword + "'");

  if (f == "cross_entropy" || f == "mse")
    return fail(e.loc, "'" + f + "' is a loss; use it in a 'loss' statement");

  if (f == "embed") {
    if (!argCount(2, 2))
      return Val::invalid();
    Val ids = lowerExpr(*e.args[0].value, scope);
    auto width = evalSizeExpr(*e.args[1].value, scope);
    if (!ids.valid() || !width)
      return Val::invalid();
    if (!ids.isToken)
      return fail(e.args[0].value->loc,
                  "embed takes token ids, got " + describe(ids));
    std::string layer = layerName("embed", wanted);
    info->layers.push_back({layer, "embed", false});
    ir::Value *table =
        addArg(layer + ".weight", "param",
               TensorType::get(ir::DType::F32, {ids.vocab, *width}),
               InitSpec::normal(0, 1));
    b->setLoc(e.loc);
    Val r = ids;
    r.isToken = false;
    r.vocab = 0;
    r.dims = {*width};
    return checked(b->embed(table, ids.v), r, e.loc);
  }
  if (f == "linear") {
    if (!argCount(2, 2))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    auto width = evalSizeExpr(*e.args[1].value, scope);
    if (!x.valid() || !width)
      return Val::invalid();
    if (x.isToken ||
        (x.kind != Val::Kind::Seq && x.kind != Val::Kind::Batched) ||
        x.dims.size() != 1)
      return fail(e.args[0].value->loc,
                  "linear takes vectors, got " + describe(x) +
                      (x.isToken ? "; apply embed(...) first" : ""));
    std::string layer = layerName("linear", wanted);
    info->layers.push_back({layer, "linear", false});
    double bound = 1.0 / std::sqrt(static_cast<double>(x.dims[0]));
    ir::Value *w = addArg(layer + ".weight", "param",
                          TensorType::get(ir::DType::F32, {*width, x.dims[0]}),
                          InitSpec::uniform(-bound, bound));
    ir::Value *bias = addArg(layer + ".bias", "param",
                             TensorType::get(ir::DType::F32, {*width}),
                             InitSpec::uniform(-bound, bound));
    b->setLoc(e.loc);
    Val r = x;
    r.dims = {*width};
    return checked(b->add(b->matmul(x.v, w, false, true), bias), r, e.loc);
  }
  if (f == "layernorm") {
    if (!argCount(1, 1))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    if (!x.valid())
      return x;
    if (x.isToken || x.dims.size() != 1 || x.kind == Val::Kind::Param)
      return fail(e.loc, "layernorm takes vectors, got " + describe(x));
    std::string layer = layerName("layernorm", wanted);
    info->layers.push_back({layer, "layernorm", false});
    TensorType t = TensorType::get(ir::DType::F32, {x.dims[0]});
    Val g, s;
    g.kind = s.kind = Val::Kind::Param;
    g.dims = s.dims = x.dims;
    g.v = addArg(layer + ".weight", "param", t, InitSpec::constant(1));
    s.v = addArg(layer + ".bias", "param", t, InitSpec::constant(0));
    b->setLoc(e.loc);
    return layernorm(x, g, s, e.loc);
  }
  if (f == "dropout") {
    if (!argCount(1, 2))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    double p = 0.5;
    if (e.args.size() == 2) {
      const Expr &pe = *e.args[1].value;
      if (pe.kind != Expr::Kind::Number || pe.number < 0 || pe.number >= 1)
        return fail(pe.loc, "dropout's probability must be a number in "
                            "[0, 1), got " +
                                exprToString(pe));
      p = pe.number;
    }
    if (!x.valid())
      return x;
    if (x.isToken)
      return fail(e.loc, "dropout cannot take token ids");
    DropoutSite site{layerName("dropout", wanted), p, {}, {}};
    if (!options.training) {
      // Identity at inference; the site is recorded for the driver.
      info->dropouts.push_back(site);
      return x;
    }
    // Training: multiply by a mask the driver samples each step. Keeping the
    // randomness out of the IR keeps the function deterministic, so the
    // interpreter, the JIT and the gradient all see the same values.
    if (x.kind != Val::Kind::Seq && x.kind != Val::Kind::Batched)
      return fail(e.loc, "dropout takes per-row values or sequences, got " +
                             describe(x));
    site.maskArg = site.name + ".mask";
    site.maskType = x.v->type();
    ir::Value *mask = addArg(site.maskArg, "dropout_mask", site.maskType);
    info->dropouts.push_back(site);
    b->setLoc(e.loc);
    return checked(b->mul(x.v, mask), x, e.loc);
  }
  if (f == "last" || f == "first" || f == "mean") {
    if (!argCount(1, 1))
      return Val::invalid();
    Val x = lowerExpr(*e.args[0].value, scope);
    if (!x.valid())
      return x;
    if (x.kind != Val::Kind::Seq || x.isToken)
      return fail(e.args[0].value->loc,
                  "'" + f + "' pools a sequence of vectors, got " +
                      describe(x));
    b->setLoc(e.loc);
    Val r = x;
    r.kind = Val::Kind::Batched;
    r.lengths = nullptr;
    r.timeSym.clear();
    TensorType rowType = batchedType(r);
    if (f == "mean") {
      // Sum of the unpadded steps over each row's length (at least 1).
      ir::Operation *m = b->create(OpKind::LengthMask, {x.lengths, x.v});
      ir::Value *mask = m ? b->reshape(m->result(0), {0, 0, 1}) : nullptr;
      ir::Value *sum = b->reduce(OpKind::ReduceSum, b->mul(x.v, mask), {0});
      ir::Value *len = b->reshape(b->cast(x.lengths, ir::DType::F32), {0, 1});
      ir::Value *one = b->constant(TensorType::f32({}), 1.0);
      return checked(b->div(sum, b->binary(OpKind::Max, len, one)), r, e.loc);
    }
    // last: a scan that holds x_t while t < length, so its final carry is the
    // row's last real step; first: the same walking backwards.
    ir::Value *zero = b->constant(rowType, 0.0);
    ir::Operation *scan =
        b->scan({x.v}, {zero}, {}, x.lengths, f == "first",
                [&](ir::Builder &, const std::vector<ir::Value *> &steps,
                    const std::vector<ir::Value *> &,
                    const std::vector<ir::Value *> &) {
                  return ir::Builder::ScanBodyResult{{steps[0]}, {}};
                });
    return checked(scan ? scan->result(0) : nullptr, r, e.loc);
  }
  return fail(e.loc, "unknown function '" + f + "'");
}

Val Lowerer::declareData(const ModelStmt &s, Scope &scope, const char *role) {
  Val v;
  v.kind = s.type.isSeq ? Val::Kind::Seq : Val::Kind::Batched;
  auto dims = evalShape(s.type.shape, scope);
  if (!dims)
    return Val::invalid();
  std::string timeSym = s.type.timeName.empty() ? "T" : s.type.timeName;
  if (s.type.isSeq && timeSym != "T" &&
      (timeSym == "B" || scope.sizes.count(timeSym)))
    return fail(s.type.timeLoc, "'" + timeSym +
                                    "' cannot name a sequence length; it is "
                                    "already a size or the batch");
  std::vector<Dim> irDims;
  if (s.type.isSeq)
    irDims.push_back(Dim::symbolic(timeSym));
  irDims.push_back(Dim::symbolic("B"));
  if (s.type.isToken) {
    v.isToken = true;
    v.vocab = (*dims)[0];
  } else {
    if (dims->empty())
      return fail(s.type.loc, "'" + s.name +
                                  "' needs at least one feature "
                                  "size, as in f32[F]");
    v.dims = *dims;
    for (int64_t d : *dims)
      irDims.push_back(Dim::fixed(d));
  }
  if (s.type.isSeq) {
    // Sequences of one time dim share one lengths argument: `lengths` for T,
    // `<first input>_lengths` for a named one.
    v.timeSym = timeSym;
    ir::Value *&len = lengthsArgs[timeSym];
    if (!len)
      len = addArg(timeSym == "T" ? "lengths" : s.name + "_lengths", "lengths",
                   TensorType::i32({Dim::symbolic("B")}));
    v.lengths = len;
  }
  v.v = addArg(
      s.name, role,
      TensorType(s.type.isToken ? ir::DType::I32 : ir::DType::F32, irDims));
  if (s.type.isToken)
    pendingArgs.back().slot.vocab = v.vocab;
  return v;
}

Val Lowerer::lowerLoss(const Expr &e, Scope &scope) {
  if (e.kind != Expr::Kind::Call ||
      (e.name != "cross_entropy" && e.name != "mse"))
    return fail(e.loc, "a loss must be cross_entropy(logits, target) or "
                       "mse(prediction, target)");
  const std::string &f = e.name;
  if (e.args.size() != 2)
    return fail(e.loc, "'" + f + "' takes 2 arguments, got " +
                           std::to_string(e.args.size()));
  for (const Arg &a : e.args)
    if (!a.keyword.empty())
      return fail(a.keywordLoc,
                  "'" + f + "' has no argument named '" + a.keyword + "'");
  Val pred = lowerExpr(*e.args[0].value, scope);
  Val tgt = lowerExpr(*e.args[1].value, scope);
  if (!pred.valid() || !tgt.valid())
    return Val::invalid();
  const Location &tl = e.args[1].value->loc;
  b->setLoc(e.loc);
  if (pred.isToken ||
      (pred.kind != Val::Kind::Seq && pred.kind != Val::Kind::Batched))
    return fail(e.args[0].value->loc, "the first argument of '" + f +
                                          "' must be predictions, got " +
                                          describe(pred));
  if (pred.kind != tgt.kind)
    return fail(tl, "'" + f + "' compares " + describe(pred) + " with " +
                        describe(tgt) +
                        (pred.kind == Val::Kind::Seq
                             ? "; pool the sequence first (last, first, mean)"
                             : ""));
  if (pred.kind == Val::Kind::Seq && pred.timeSym != tgt.timeSym)
    return fail(tl, "'" + f + "' compares sequences of different lengths");
  Val loss;
  loss.kind = Val::Kind::Param;
  std::vector<ir::Value *> operands{pred.v, tgt.v};
  if (pred.kind == Val::Kind::Seq) {
    ir::Operation *m = b->create(OpKind::LengthMask, {pred.lengths, pred.v});
    operands.push_back(m ? m->result(0) : nullptr);
  }
  if (f == "cross_entropy") {
    if (!tgt.isToken)
      return fail(tl, "the target of cross_entropy must be token ids, got " +
                          describe(tgt) + "; for real values use mse");
    if (pred.dims.size() != 1 || pred.dims[0] != tgt.vocab)
      return fail(e.loc, "cross_entropy has logits of shape " +
                             dimsToString(pred.dims) + " but the target has " +
                             std::to_string(tgt.vocab) + " classes");
    ir::Operation *op = b->create(OpKind::CrossEntropy, operands);
    return checked(op ? op->result(0) : nullptr, loss, e.loc);
  }
  if (tgt.isToken || tgt.dims != pred.dims)
    return fail(tl, "mse compares " + describe(pred) + " with " +
                        describe(tgt) + "; they must have one shape");
  ir::Operation *op = b->create(OpKind::Mse, operands);
  return checked(op ? op->result(0) : nullptr, loss, e.loc);
}

void Lowerer::lowerModelStmt(const ModelStmt &s, Scope &scope) {
  auto define = [&](const std::string &name, const Location &loc,
                    const Val &v) {
    if (scope.sizes.count(name)) {
      fail(loc, "'" + name + "' is already a size of the model");
      return;
    }
    auto [it, inserted] = scope.valueLocs.insert({name, loc});
    if (!inserted) {
      if (reported.insert(loc.str() + "redef").second) {
        diags.error(loc, "'" + name + "' is already defined");
        diags.note(it->second, "'" + name + "' was defined here");
      }
      return;
    }
    scope.values[name] = v;
  };
  switch (s.kind) {
  case ModelStmt::Kind::Input:
  case ModelStmt::Kind::Target:
    define(s.name, s.loc,
           declareData(s, scope,
                       s.kind == ModelStmt::Kind::Input ? "input" : "target"));
    return;
  case ModelStmt::Kind::Assign: {
    const Assign &a = s.assign;
    Val v = lowerExpr(*a.value, scope,
                      a.targets.size() == 1 ? a.targets[0] : std::string());
    if (a.targets.size() == 1) {
      if (v.kind == Val::Kind::Tuple)
        v = fail(a.loc, "this gives " + std::to_string(v.parts.size()) +
                            " values; assign them to as many names");
      define(a.targets[0], a.targetLocs[0], v);
      return;
    }
    if (v.valid() &&
        (v.kind != Val::Kind::Tuple || v.parts.size() != a.targets.size()))
      v = fail(a.loc, "assigns " + std::to_string(a.targets.size()) +
                          " names, but the value is " + describe(v));
    for (size_t i = 0; i < a.targets.size(); ++i)
      define(a.targets[i], a.targetLocs[i], v.valid() ? v.parts[i] : v);
    return;
  }
  case ModelStmt::Kind::Loss: {
    if (info->results.size() && info->results[0].role == "loss") {
      fail(s.loc, "a model has one loss; combine terms in one expression");
      return;
    }
    Val v = lowerLoss(*s.expr, scope);
    if (v.valid()) {
      lossValue = v.v;
      info->results.insert(info->results.begin(),
                           SlotInfo{"loss", "loss", v.v->type(), {}});
    }
    return;
  }
  case ModelStmt::Kind::Output: {
    Val v = lowerExpr(*s.expr, scope);
    if (!v.valid())
      return;
    if (v.kind == Val::Kind::Tuple || v.kind == Val::Kind::Literal) {
      fail(s.loc, "an output must be a tensor, got " + describe(v));
      return;
    }
    std::string name = s.expr->kind == Expr::Kind::Name
                           ? s.expr->name
                           : "output_" + std::to_string(outputs.size() + 1);
    outputs.push_back(v.v);
    info->results.push_back(SlotInfo{name, "output", v.v->type(), {}});
    return;
  }
  }
}

/// Why the value of a setting the driver reads is unusable ("" if it is
/// fine), checked here so the error points at the line, as a bad flag's
/// does at the flag. Other keys are kept as written (docs/language.md).
static std::string checkTrainSetting(const std::string &key, double v) {
  // Counts: whole numbers >= 1, at most 2^40 (steps of a long run).
  if (key == "batch" || key == "bptt" || key == "steps" || key == "epochs") {
    if (!(v >= 1) || v != std::floor(v))
      return "must be a whole number >= 1";
    if (v > double(int64_t(1) << 40))
      return "must be at most " + std::to_string(int64_t(1) << 40);
    if ((key == "batch" || key == "bptt") && v > double(kMaxSize))
      return "must be at most " + std::to_string(kMaxSize);
    return "";
  }
  if (!std::isfinite(v))
    return "must be a finite number";
  if (key == "lr" && !(v > 0))
    return "must be > 0";
  if ((key == "clip_norm" || key == "weight_decay") && v < 0)
    return "must be >= 0 (0: off)";
  return "";
}

TrainConfig Lowerer::lowerTrain(const TrainDecl &train) {
  TrainConfig cfg;
  cfg.present = true;
  auto number = [&](const Expr &e, double &out) {
    const Expr *n = &e;
    bool neg = false;
    if (n->kind == Expr::Kind::Neg) {
      neg = true;
      n = n->lhs.get();
    }
    if (n->kind != Expr::Kind::Number)
      return false;
    out = neg ? -n->number : n->number;
    return true;
  };
  std::set<std::string> seen;
  for (const TrainSetting &s : train.settings) {
    if (!seen.insert(s.key).second) {
      fail(s.loc, "train setting '" + s.key + "' is given twice");
      continue;
    }
    if (s.key == "optimizer") {
      const Expr &e = *s.value;
      if (e.kind != Expr::Kind::Call && e.kind != Expr::Kind::Name) {
        fail(e.loc, "optimizer must be a name or a call, as in adam(lr = "
                    "1e-3)");
        continue;
      }
      cfg.optimizer.name = e.name;
      for (const Arg &a : e.args) {
        double v;
        if (a.keyword.empty() || !number(*a.value, v)) {
          fail(a.value->loc, "optimizer arguments are named numbers, as in "
                             "lr = 1e-3");
          continue;
        }
        cfg.optimizer.args[a.keyword] = v;
      }
      continue;
    }
    double v;
    if (!number(*s.value, v)) {
      fail(s.value->loc, "train setting '" + s.key + "' must be a number");
      continue;
    }
    if (std::string why = checkTrainSetting(s.key, v); !why.empty()) {
      fail(s.value->loc, "train setting '" + s.key + "' " + why);
      continue;
    }
    cfg.settings[s.key] = v;
  }
  return cfg;
}

std::unique_ptr<ir::Function> Lowerer::lowerModel(const ModelDecl &model,
                                                  ModelInfo &modelInfo) {
  info = &modelInfo;
  info->name = model.name;
  pendingArgs.clear();
  finalStates.clear();
  usedLayerNames.clear();
  layerCounters.clear();
  outputs.clear();
  lengthsArgs.clear();
  lossValue = nullptr;
  unsigned errorsBefore = diags.errorCount();

  Scope scope;
  for (const SizeParam &sp : model.sizes) {
    if (scope.sizes.count(sp.name)) {
      fail(sp.loc, "size '" + sp.name + "' is declared twice");
      continue;
    }
    auto set = options.sizes.find(sp.name);
    int64_t value;
    std::string how;
    if (set != options.sizes.end()) {
      value = set->second;
      auto origin = options.sizeOrigins.find(sp.name);
      how = origin != options.sizeOrigins.end() ? origin->second
                                                 : "set on the command line";
    } else if (sp.defaultValue) {
      value = *sp.defaultValue;
      how = "the default";
    } else if (options.standInSizes) {
      static const int64_t kStandIns[] = {97, 89, 83, 79, 73, 71, 67, 61,
                                          59, 53, 47, 43, 41, 37, 31, 29};
      value = kStandIns[standIns++ % std::size(kStandIns)];
      how = "a stand-in (the size has no value)";
      diags.note(sp.loc, "size '" + sp.name + "' of model '" + model.name +
                             "' has no value (the data or --set " + sp.name +
                             "=<n> binds it); checked with " + sp.name + " = " +
                             std::to_string(value));
    } else {
      fail(sp.loc, "size '" + sp.name + "' of model '" + model.name +
                       "' has no value; bind it with --set " + sp.name +
                       "=<n> (or give a default, as in " + sp.name + " = 64)");
      value = 1;
    }
    if (value < 1 || value > kMaxSize)
      fail(sp.loc, "size '" + sp.name + "' must be between 1 and " +
                       std::to_string(kMaxSize) + ", got " +
                       std::to_string(value) + " (" + how + ")");
    scope.sizes[sp.name] = {value, sp.loc, how};
    info->sizes[sp.name] = value;
  }
  if (diags.errorCount() != errorsBefore)
    return nullptr;

  ir::Function scratch("scratch");
  ir::Builder builder(&scratch.body());
  b = &builder;
  for (const ModelStmt &s : model.stmts)
    lowerModelStmt(s, scope);
  for (const TrainDecl &t : program.trains)
    info->train = lowerTrain(t);

  // Sizes are checked one by one (kMaxSize), but a weight is their product:
  // refuse what no machine could hold here, with the parameter's name,
  // rather than fail an allocation in whichever command creates it.
  double totalElems = 0;
  for (const PendingArg &p : pendingArgs) {
    if (p.slot.role != "param")
      continue;
    double elems = 1;
    for (const ir::Dim &d : p.slot.type.dims())
      elems *= d.isStatic() ? static_cast<double>(d.size) : 1.0;
    totalElems += elems;
    if (elems > kMaxParamElems && diags.errorCount() == errorsBefore)
      fail(model.loc, "parameter '" + p.slot.name + "' would have " +
                          describeElems(elems) + ", more than the " +
                          describeElems(kMaxParamElems) +
                          " a parameter may have");
  }
  if (totalElems > kMaxParamElems && diags.errorCount() == errorsBefore)
    fail(model.loc, "model '" + model.name + "' would have " +
                        describeElems(totalElems) +
                        " of parameters, more than the " +
                        describeElems(kMaxParamElems) + " a model may have");

  bool failed = diags.errorCount() != errorsBefore;
  if (!failed && !lossValue && outputs.empty())
    diags.warning(model.loc,
                  "model '" + model.name + "' has no loss and no output");

  // Final function: arguments in calling-convention order.
  auto fn = std::make_unique<ir::Function>(model.name, model.loc);
  // Results may be arguments themselves (`output x`): translate them too.
  std::map<ir::Value *, ir::Value *> argFor;
  static const char *kOrder[] = {"input", "lengths", "target",
                                 "state", "dropout_mask", "param"};
  // The main sequences' `lengths` leads the lengths arguments.
  std::stable_partition(
      pendingArgs.begin(), pendingArgs.end(), [](const PendingArg &p) {
        return p.slot.name == "lengths" && p.slot.role == "lengths";
      });
  for (const char *role : kOrder)
    for (PendingArg &p : pendingArgs) {
      if (p.slot.role != role)
        continue;
      ir::AttrMap attrs{{"role", std::string(role)}};
      if (p.slot.role == "param")
        attrs["param"] = true;
      ir::Value *arg = fn->addArg(p.slot.type, p.slot.name, attrs);
      p.placeholder->replaceAllUsesWith(arg);
      argFor[p.placeholder.get()] = arg;
      info->args.push_back(p.slot);
    }
  while (!scratch.body().empty())
    fn->body().append(scratch.body().take(scratch.body().ops().front().get()));

  std::vector<ir::Value *> results;
  if (lossValue)
    results.push_back(lossValue);
  results.insert(results.end(), outputs.begin(), outputs.end());
  for (auto &[value, slot] : finalStates) {
    results.push_back(value);
    info->results.push_back(slot);
  }
  for (ir::Value *&r : results)
    if (argFor.count(r))
      r = argFor[r];
  pendingArgs.clear();
  b = nullptr;
  if (failed)
    return nullptr;
  ir::Builder ret(&fn->body());
  ret.setLoc(model.loc);
  ret.ret(results);
  return fn;
}

std::optional<LoweredProgram> Lowerer::run() {
  LoweredProgram out;
  out.module = std::make_unique<ir::Module>();
  unsigned errorsBefore = diags.errorCount();
  for (const auto &[name, value] : options.sizes) {
    bool used = false;
    for (const ModelDecl &m : program.models)
      for (const SizeParam &s : m.sizes)
        used |= s.name == name;
    auto origin = options.sizeOrigins.find(name);
    if (!used)
      diags.warning(Location{},
                    (origin == options.sizeOrigins.end()
                         ? "--set " + name
                         : "size " + name + "=" + std::to_string(value) +
                               " " + origin->second) +
                        " has no effect: no model has a size named '" + name +
                        "'");
  }
  for (const ModelDecl &m : program.models) {
    ModelInfo mi;
    auto fn = lowerModel(m, mi);
    if (fn) {
      out.module->addFunction(std::move(fn));
      out.models.push_back(std::move(mi));
    }
  }
  if (diags.errorCount() != errorsBefore)
    return std::nullopt;
  return out;
}

} // namespace rnnc::frontend::detail

namespace rnnc::frontend {

std::optional<LoweredProgram> lowerProgram(const Program &program,
                                           const LowerOptions &options,
                                           ir::Diagnostics &diags) {
  detail::Lowerer lowerer(program, options, diags);
  return lowerer.run();
}

} // namespace rnnc::frontend
