//===- runtime/ParameterStore.cpp - A model's named parameters ------------===//
//
// Validation collects every problem before touching the store, so a failed
// load (or initialization) leaves the previous weights intact: a training
// run that fails to resume keeps the state it had.
//
//===----------------------------------------------------------------------===//
#include "runtime/ParameterStore.h"

namespace rnnc {

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    out += (k ? ", " : "") + std::to_string(shape[k]);
  return out + "]";
}

Result<ParameterStore> ParameterStore::create(std::vector<ParamSpec> specs) {
  ParameterStore store;
  for (ParamSpec &s : specs) {
    if (s.name.empty())
      return makeError("parameter with an empty name");
    for (int64_t d : s.shape)
      if (d < 0)
        return makeError("parameter '" + s.name + "' has negative shape " +
                         shapeString(s.shape));
    if (!store.byName.emplace(s.name, store.specs.size()).second)
      return makeError("duplicate parameter '" + s.name + "'");
    store.values.emplace_back(s.dtype, s.shape);
    store.specs.push_back(std::move(s));
  }
  return store;
}

int ParameterStore::indexOf(const std::string &name) const {
  auto it = byName.find(name);
  return it == byName.end() ? -1 : static_cast<int>(it->second);
}

Tensor *ParameterStore::find(const std::string &name) {
  int i = indexOf(name);
  return i < 0 ? nullptr : &values[i];
}

const Tensor *ParameterStore::find(const std::string &name) const {
  int i = indexOf(name);
  return i < 0 ? nullptr : &values[i];
}

/// Why `t` cannot be the value of `spec`, or "" if it can.
static std::string mismatch(const ParamSpec &spec, const Tensor &t) {
  if (t.dtype() != spec.dtype)
    return "tensor '" + spec.name + "' has dtype " + dtypeName(t.dtype()) +
           ", expected " + dtypeName(spec.dtype);
  if (t.shape() != spec.shape)
    return "tensor '" + spec.name + "' has shape " + shapeString(t.shape()) +
           ", expected " + shapeString(spec.shape);
  return "";
}

Status ParameterStore::set(const std::string &name, Tensor value) {
  int i = indexOf(name);
  if (i < 0)
    return makeError("no parameter named '" + name + "'");
  if (std::string why = mismatch(specs[i], value); !why.empty())
    return makeError(why);
  values[i] = std::move(value);
  return Status::ok();
}

Status ParameterStore::initialize(uint64_t seed) {
  std::vector<Tensor> fresh;
  for (const ParamSpec &s : specs) {
    Tensor t(s.dtype, s.shape);
    if (Status st = initializeTensor(t, s.init, seed, s.name); !st)
      return st;
    fresh.push_back(std::move(t));
  }
  values = std::move(fresh);
  return Status::ok();
}

TensorMap ParameterStore::toMap() const {
  TensorMap out;
  for (size_t i = 0; i < specs.size(); ++i)
    out.emplace(specs[i].name, values[i]);
  return out;
}

Result<LoadReport> loadTensorsInto(ParameterStore &store,
                                   const TensorMap &tensors,
                                   const std::string &source,
                                   const LoadOptions &options) {
  std::vector<std::string> problems;
  LoadReport report;
  // Missing and mismatched parameters in the model's order, then extras in
  // name order: the listing reads like the model's declaration.
  for (const ParamSpec &s : store.paramSpecs()) {
    auto it = tensors.find(s.name);
    if (it == tensors.end())
      problems.push_back("missing tensor '" + s.name + "' (" +
                         dtypeName(s.dtype) + shapeString(s.shape) + ")");
    else if (std::string why = mismatch(s, it->second); !why.empty())
      problems.push_back(why);
  }
  for (const auto &[name, t] : tensors) {
    if (store.indexOf(name) >= 0)
      continue;
    std::string line = "unexpected tensor '" + name + "' (" + t.typeString() +
                       ") is not a parameter of the model";
    if (options.allowUnexpected)
      report.warnings.push_back(source + ": " + line + "; ignored");
    else
      problems.push_back(line);
  }
  if (!problems.empty()) {
    std::string msg;
    for (const std::string &p : problems)
      msg += (msg.empty() ? "" : "\n") + source + ": " + p;
    return makeError(msg);
  }
  for (size_t i = 0; i < store.size(); ++i)
    store.tensor(i) = tensors.at(store.spec(i).name);
  return report;
}

Result<LoadReport> loadInto(ParameterStore &store, const std::string &path,
                            const LoadOptions &options) {
  auto file = readSafetensors(path);
  if (!file)
    return makeError(file.error());
  return loadTensorsInto(store, file->tensors, path, options);
}

Status save(const ParameterStore &store, const std::string &path,
            const std::map<std::string, std::string> &metadata) {
  return writeSafetensors(path, store.toMap(), metadata);
}

} // namespace rnnc
