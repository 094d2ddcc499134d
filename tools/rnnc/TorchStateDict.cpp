//===- tools/rnnc/TorchStateDict.cpp - PyTorch state_dicts ----------------===//
#include "tools/rnnc/TorchStateDict.h"

#include "runtime/TorchNames.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace rnnc::driver {

namespace {

/// One layer of a PyTorch recurrent module, sized from its weight_hh.
struct TorchRecurrent {
  TorchLayer at;
  int64_t gates = 0, hidden = 0, input = 0;
  bool used = false;

  std::string str() const {
    return at.prefix + "l" + std::to_string(at.layer) +
           (at.reverse ? "_reverse" : "");
  }
};

/// A module with a `weight` (and maybe a `bias`): Embedding, Linear,
/// LayerNorm.
struct TorchDense {
  std::string prefix; // "fc" for fc.weight, "" for a bare weight
  const Tensor *weight = nullptr;
  const Tensor *bias = nullptr;
  bool used = false;

  std::string key(const char *what) const {
    return prefix.empty() ? what : prefix + "." + what;
  }
  std::string str() const { return prefix.empty() ? "(top level)" : prefix; }
};

/// `<prefix>weight_ih_l<k>[_reverse]` split up; nothing for other names.
std::optional<TorchLayer> parseRecurrentKey(const std::string &key) {
  static const std::string base = "weight_ih_l";
  size_t at = key.rfind(base);
  if (at == std::string::npos || (at > 0 && key[at - 1] != '.'))
    return std::nullopt;
  std::string rest = key.substr(at + base.size());
  TorchLayer l;
  l.prefix = key.substr(0, at);
  if (rest.ends_with("_reverse")) {
    l.reverse = true;
    rest.resize(rest.size() - 8);
  }
  if (rest.empty() || rest.size() > 6 ||
      !std::all_of(rest.begin(), rest.end(),
                   [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  l.layer = std::stoi(rest);
  return l;
}

int64_t gatesOf(const std::string &kind) {
  return kind == "lstm" ? 4 : kind == "gru" ? 3 : kind == "rnn" ? 1 : 0;
}

/// The parameter that sizes a prelude cell: [H, I].
const char *sizingParam(const std::string &kind) {
  return kind == "lstm" ? ".Wi" : kind == "gru" ? ".Wr" : ".W";
}

bool isDense(const std::string &kind) {
  return kind == "embed" || kind == "linear" || kind == "layernorm";
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    s += (k ? ", " : "") + std::to_string(shape[k]);
  return s + "]";
}

/// The --torch-map text "fc=logits,lstm.l1=h2" as (torch, layer) pairs.
Result<std::vector<std::pair<std::string, std::string>>>
parseTorchMap(const std::string &text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    std::string item = text.substr(
        pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? text.size() : comma + 1;
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      return makeError("--torch-map: '" + item +
                       "' must be TORCH=LAYER, as in fc=logits or "
                       "lstm.l1=h2");
    pairs.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return pairs;
}

} // namespace

bool hasTorchNames(const TensorMap &file, const ParameterStore &store) {
  for (const auto &[name, t] : file)
    if (store.indexOf(name) < 0 && parseRecurrentKey(name))
      return true;
  return false;
}

Result<TorchMapping> importTorchWeights(const frontend::ModelInfo &info,
                                        const ParameterStore &store,
                                        const TensorMap &file,
                                        const std::string &torchMap,
                                        const std::string &path) {
  auto fail = [&](const std::string &what) {
    return makeError(path + ": " + what);
  };

  // The file's modules. A map keeps them in name order, and l0 before l1.
  std::map<std::tuple<std::string, int, bool>, TorchRecurrent> recurrent;
  std::set<std::string> recurrentKeys;
  // A tensor under a parameter's own name is that parameter (a user cell's
  // may be called weight_ih_l0 or weight), never a PyTorch module's.
  auto isParam = [&](const std::string &name) {
    return store.indexOf(name) >= 0;
  };
  for (const auto &[name, t] : file) {
    auto l = isParam(name) ? std::nullopt : parseRecurrentKey(name);
    if (!l)
      continue;
    if (file.count(l->key("weight_hr")))
      return fail("'" + l->key("weight_hr") +
                  "': an LSTM with proj_size is not supported");
    auto hh = file.find(l->key("weight_hh"));
    if (hh == file.end())
      return fail("'" + name + "' has no '" + l->key("weight_hh") + "'");
    const Tensor &w = hh->second;
    if (t.rank() != 2 || w.rank() != 2 || w.dim(1) < 1 ||
        w.dim(0) % w.dim(1) != 0 || t.dim(0) != w.dim(0))
      return fail("'" + name + "' " + t.typeString() + " and '" +
                  l->key("weight_hh") + "' " + w.typeString() +
                  " are not the weights of a recurrent layer");
    TorchRecurrent r{*l, w.dim(0) / w.dim(1), w.dim(1), t.dim(1)};
    recurrent[{l->prefix, l->layer, l->reverse}] = r;
    for (const char *base : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"})
      recurrentKeys.insert(l->key(base));
  }
  std::map<std::string, TorchDense> dense;
  for (const auto &[name, t] : file) {
    if (recurrentKeys.count(name) || isParam(name))
      continue;
    std::string prefix;
    if (name == "weight")
      prefix = "";
    else if (name.ends_with(".weight"))
      prefix = name.substr(0, name.size() - 7);
    else
      continue;
    TorchDense d{prefix, &t};
    auto bias = file.find(d.key("bias"));
    if (bias != file.end())
      d.bias = &bias->second;
    dense[prefix] = d;
  }

  // The model's layers that these rules know.
  auto paramShape =
      [&](const std::string &name) -> std::optional<std::vector<int64_t>> {
    int i = store.indexOf(name);
    if (i < 0)
      return std::nullopt;
    return store.spec(i).shape;
  };
  auto knownLayer = [&](const frontend::LayerInfo &l) {
    if (gatesOf(l.kind))
      return paramShape(l.name + sizingParam(l.kind)).has_value();
    return isDense(l.kind) && paramShape(l.name + ".weight").has_value();
  };
  auto fits = [&](const frontend::LayerInfo &l, const TorchRecurrent &r) {
    auto s = paramShape(l.name + sizingParam(l.kind));
    return r.gates == gatesOf(l.kind) && (*s)[0] == r.hidden &&
           (*s)[1] == r.input && r.at.reverse == l.reverse;
  };
  auto fitsDense = [&](const frontend::LayerInfo &l, const TorchDense &d) {
    auto bias = paramShape(l.name + ".bias");
    return d.weight->shape() == *paramShape(l.name + ".weight") &&
           (!d.bias || (bias && d.bias->shape() == *bias));
  };

  std::map<std::string, TorchRecurrent *> recurrentFor;
  std::map<std::string, TorchDense *> denseFor;
  std::map<std::string, const frontend::LayerInfo *> layerByName;
  std::string layerList;
  for (const frontend::LayerInfo &l : info.layers)
    if (knownLayer(l)) {
      layerByName[l.name] = &l;
      layerList += (layerList.empty() ? "" : ", ") + l.name;
    }

  // --torch-map first: TORCH=LAYER pairs, comma-separated.
  auto pairs = parseTorchMap(torchMap);
  if (!pairs)
    return makeError(pairs.error());
  for (const auto &[from, to] : *pairs) {
    std::string item = from + "=" + to;
    auto layer = layerByName.find(to);
    if (layer == layerByName.end())
      return makeError("--torch-map " + item + ": the model has no layer '" +
                       to + "' taking PyTorch weights (it has: " + layerList +
                       ")");
    const frontend::LayerInfo &l = *layer->second;
    if (recurrentFor.count(to) || denseFor.count(to))
      return makeError("--torch-map " + item + ": layer '" + to +
                       "' is mapped twice");
    if (gatesOf(l.kind)) {
      TorchRecurrent *match = nullptr;
      for (auto &[k, r] : recurrent)
        if (r.str() == from)
          match = &r;
      if (!match)
        return fail("--torch-map " + item + ": no recurrent layer '" + from +
                    "' (a " + l.kind +
                    " takes one written PREFIX.l<k> or PREFIX.l<k>_reverse)");
      if (!fits(l, *match))
        return fail("--torch-map " + item + ": '" + from + "' (" +
                    std::to_string(match->gates) +
                    " gates, H = " + std::to_string(match->hidden) +
                    ", I = " + std::to_string(match->input) +
                    (match->at.reverse ? ", reverse" : "") + ") does not fit " +
                    l.kind + " layer '" + to + "'");
      if (match->used)
        return fail("--torch-map " + item + ": '" + from + "' is mapped twice");
      match->used = true;
      recurrentFor[to] = match;
    } else {
      auto d = dense.find(from);
      for (const auto &[k, r] : recurrent)
        if (r.str() == from)
          return fail("--torch-map " + item + ": '" + from +
                      "' is a recurrent layer, but '" + to + "' is a " +
                      l.kind);
      if (d == dense.end())
        return fail("--torch-map " + item + ": no tensor '" + from +
                    ".weight'");
      if (!fitsDense(l, d->second))
        return fail("--torch-map " + item + ": '" + from + ".weight' " +
                    d->second.weight->typeString() + " does not fit " + l.kind +
                    " layer '" + to + "' (weight " +
                    shapeStr(*paramShape(to + ".weight")) + ")");
      if (d->second.used)
        return fail("--torch-map " + item + ": '" + from + "' is mapped twice");
      d->second.used = true;
      denseFor[to] = &d->second;
    }
  }

  // Then the rules, in the model's order. A layer whose parameters are all
  // in the file under their own names keeps them.
  auto hasOwnNames = [&](const frontend::LayerInfo &l) {
    bool own = true;
    for (const ParamSpec &p : store.paramSpecs())
      if (p.name.rfind(l.name + ".", 0) == 0)
        own &= file.count(p.name) > 0;
    return own;
  };
  std::vector<std::string> problems; // ambiguous, then unmatched, layers
  std::set<std::string> undecided;
  const TorchRecurrent *last = nullptr;
  for (const frontend::LayerInfo &l : info.layers) {
    if (!layerByName.count(l.name) || recurrentFor.count(l.name) ||
        denseFor.count(l.name) || hasOwnNames(l))
      continue;
    if (gatesOf(l.kind)) {
      // Layers of one module stack in order (l0 feeds l1), but the names of
      // two modules say nothing about which feeds which: the next layer of
      // the module just used, else candidates of a single module, else ask.
      std::vector<TorchRecurrent *> candidates;
      for (auto &[k, r] : recurrent)
        if (!r.used && fits(l, r))
          candidates.push_back(&r);
      TorchRecurrent *pick = nullptr;
      for (TorchRecurrent *r : candidates)
        if (last && r->at.prefix == last->at.prefix &&
            r->at.layer == last->at.layer + 1 && !pick)
          pick = r;
      bool oneModule = true;
      for (TorchRecurrent *r : candidates)
        oneModule &= r->at.prefix == candidates[0]->at.prefix;
      if (!pick && !candidates.empty() && oneModule)
        pick = candidates[0];
      if (pick) {
        pick->used = true;
        recurrentFor[l.name] = pick;
        last = pick;
      } else if (!candidates.empty()) {
        std::string names;
        for (TorchRecurrent *r : candidates)
          names += (names.empty() ? "" : ", ") + r->str();
        problems.push_back(
            "layer '" + l.name + "' could be any of " + names +
            " (the same sizes, in different modules); say which with "
            "--torch-map, as in " +
            candidates[0]->str() + "=" + l.name);
        undecided.insert(l.name);
      }
      continue;
    }
    auto same = dense.find(l.name);
    if (same != dense.end() && !same->second.used &&
        fitsDense(l, same->second)) {
      same->second.used = true;
      denseFor[l.name] = &same->second;
      continue;
    }
    std::vector<TorchDense *> candidates;
    for (auto &[k, d] : dense)
      if (!d.used && !layerByName.count(d.prefix) && fitsDense(l, d))
        candidates.push_back(&d);
    if (candidates.size() == 1) {
      candidates[0]->used = true;
      denseFor[l.name] = candidates[0];
    } else if (candidates.size() > 1) {
      std::string names;
      for (TorchDense *d : candidates)
        names += (names.empty() ? "" : ", ") + d->str();
      problems.push_back("layer '" + l.name + "' could be any of " + names +
                         " (the same shape); say which with --torch-map, "
                         "as in " +
                         candidates[0]->prefix + "=" + l.name);
      undecided.insert(l.name);
    }
  }
  // A layer no rule matched must be in the file under its own names;
  // otherwise say what the file has instead (usually other sizes: --set).
  std::string modules;
  for (const auto &[k, r] : recurrent)
    modules += (modules.empty() ? "" : ", ") + r.str() + " (" +
               std::to_string(r.gates) +
               " gates, H = " + std::to_string(r.hidden) +
               ", I = " + std::to_string(r.input) + ")";
  for (const auto &[k, d] : dense)
    modules +=
        (modules.empty() ? "" : ", ") + d.str() + " " + d.weight->typeString();
  std::vector<std::string> unmatched;
  for (const frontend::LayerInfo &l : info.layers) {
    if (!layerByName.count(l.name) || recurrentFor.count(l.name) ||
        denseFor.count(l.name) || undecided.count(l.name) || hasOwnNames(l))
      continue;
    std::string what;
    if (gatesOf(l.kind)) {
      auto sz = *paramShape(l.name + sizingParam(l.kind));
      what = l.kind + " layer '" + l.name + "' (" +
             std::to_string(gatesOf(l.kind)) +
             " gates, H = " + std::to_string(sz[0]) +
             ", I = " + std::to_string(sz[1]) + (l.reverse ? ", reverse" : "") +
             ")";
    } else {
      what = l.kind + " layer '" + l.name + "' (weight " +
             shapeStr(*paramShape(l.name + ".weight")) + ")";
    }
    unmatched.push_back(what + " matches no PyTorch module");
  }
  if (!unmatched.empty())
    unmatched.push_back("the file has " + modules +
                        " (other sizes? bind the model's with --set)");
  problems.insert(problems.end(), unmatched.begin(), unmatched.end());
  if (!problems.empty()) {
    std::string msg;
    for (const std::string &a : problems)
      msg += (msg.empty() ? "" : "\n") + path + ": " + a;
    return makeError(msg);
  }

  // Convert, keeping every tensor no layer took.
  TorchMapping out;
  std::set<std::string> consumed;
  for (const frontend::LayerInfo &l : info.layers) {
    if (auto r = recurrentFor.find(l.name); r != recurrentFor.end()) {
      const TorchRecurrent &t = *r->second;
      auto converted = importTorchCell(l.kind, file, t.at, l.name, t.hidden);
      if (!converted)
        return fail(converted.error());
      for (auto &[name, tensor] : *converted)
        out.tensors[name] = std::move(tensor);
      for (const char *base : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"})
        consumed.insert(t.at.key(base));
      out.mapped.push_back(t.at.prefix + "*_l" + std::to_string(t.at.layer) +
                           (t.at.reverse ? "_reverse" : "") + " -> " + l.name);
    } else if (auto d = denseFor.find(l.name); d != denseFor.end()) {
      const TorchDense &t = *d->second;
      out.tensors[l.name + ".weight"] = *t.weight;
      consumed.insert(t.key("weight"));
      if (auto bias = paramShape(l.name + ".bias")) {
        if (t.bias)
          out.tensors[l.name + ".bias"] = *t.bias;
        else
          out.tensors[l.name + ".bias"] = Tensor(DType::F32, *bias);
      }
      if (t.bias)
        consumed.insert(t.key("bias"));
      out.mapped.push_back(t.str() + " -> " + l.name);
    }
  }
  for (const auto &[name, t] : file)
    if (!consumed.count(name) && !out.tensors.count(name))
      out.tensors[name] = t;
  return out;
}

Result<TorchMapping> exportTorchWeights(const frontend::ModelInfo &info,
                                        const ParameterStore &store,
                                        const std::string &torchMap) {
  TensorMap params = store.toMap();
  std::map<std::string, const frontend::LayerInfo *> layers;
  for (const frontend::LayerInfo &l : info.layers)
    if ((gatesOf(l.kind) && params.count(l.name + sizingParam(l.kind))) ||
        (isDense(l.kind) && params.count(l.name + ".weight")))
      layers[l.name] = &l;

  // Where each layer goes: --torch-map, else a module of its own name.
  std::map<std::string, std::string> target; // layer -> torch name
  auto pairs = parseTorchMap(torchMap);
  if (!pairs)
    return makeError(pairs.error());
  for (const auto &[from, to] : *pairs) {
    std::string item = from + "=" + to;
    if (!layers.count(to))
      return makeError("--torch-map " + item + ": the model has no layer '" +
                       to + "' with PyTorch weights");
    if (target.count(to))
      return makeError("--torch-map " + item + ": layer '" + to +
                       "' is mapped twice");
    target[to] = from;
  }

  TorchMapping out;
  std::set<std::string> exported;
  for (const frontend::LayerInfo &l : info.layers) {
    if (!layers.count(l.name))
      continue;
    auto t = target.find(l.name);
    if (gatesOf(l.kind)) {
      TorchLayer at{l.name + ".", 0, l.reverse};
      if (t != target.end()) {
        // PREFIX.l<k>[_reverse], parsed as an import key would be.
        auto parsed = parseRecurrentKey(
            t->second.substr(0, t->second.rfind('.') + 1) + "weight_ih_" +
            t->second.substr(t->second.rfind('.') + 1));
        if (!parsed || parsed->reverse != l.reverse)
          return makeError("--torch-map " + t->second + "=" + l.name + ": a " +
                           l.kind + " layer goes to PREFIX.l<k>" +
                           (l.reverse ? "_reverse (it runs reversed)" : "") +
                           ", as in lstm.l0" + (l.reverse ? "_reverse" : ""));
        at = *parsed;
      }
      int64_t hidden = params.at(l.name + sizingParam(l.kind)).dim(0);
      auto converted = exportTorchCell(l.kind, params, l.name, at, hidden);
      if (!converted)
        return makeError(converted.error());
      for (auto &[name, tensor] : *converted) {
        if (out.tensors.count(name))
          return makeError("two layers would be PyTorch's '" + name +
                           "'; rename one with --torch-map");
        out.tensors[name] = std::move(tensor);
      }
      for (const auto &[name, tensor] : params)
        if (name.rfind(l.name + ".", 0) == 0)
          exported.insert(name);
      out.mapped.push_back(l.name + " -> " + at.prefix + "*_l" +
                           std::to_string(at.layer) +
                           (at.reverse ? "_reverse" : ""));
      continue;
    }
    std::string prefix = t != target.end() ? t->second : l.name;
    for (const char *part : {".weight", ".bias"}) {
      auto p = params.find(l.name + part);
      if (p == params.end())
        continue;
      if (out.tensors.count(prefix + part))
        return makeError("two layers would be PyTorch's '" + prefix + part +
                         "'; rename one with --torch-map");
      out.tensors[prefix + part] = p->second;
      exported.insert(p->first);
    }
    out.mapped.push_back(l.name + " -> " + prefix);
  }
  // A user cell's parameters: PyTorch has no module for them.
  for (const auto &[name, tensor] : params)
    if (!exported.count(name)) {
      if (out.tensors.count(name))
        return makeError("parameter '" + name +
                         "' clashes with a PyTorch name of another layer");
      out.tensors[name] = tensor;
    }
  return out;
}

} // namespace rnnc::driver
