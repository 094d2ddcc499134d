//===- runtime/ParameterStore.h - A model's named parameters ----*- C++ -*-===//
//
// The weights of one model: a tensor per parameter, in the order of the
// model's parameter arguments (so binding them to a call is a walk, not a
// lookup), each findable by name (`h1.Wi`, `logits.bias`). The store knows
// each parameter's expected dtype and shape and refuses tensors that do not
// match, so a checkpoint for another model or another size fails at load
// time with a message naming the tensor, not later as a shape error deep in
// generated code.
//
// Loading is all or nothing: every problem in the file is reported together
// (one line each) and the store is left unchanged. Tensors in the file that
// the model does not have are an error by default (a checkpoint of another
// model, or a renamed layer, is far more likely than an intentional extra);
// LoadOptions::allowUnexpected turns them into warnings in the LoadReport.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_PARAMETERSTORE_H
#define RNNC_RUNTIME_PARAMETERSTORE_H

#include "runtime/Initializers.h"
#include "runtime/Result.h"
#include "runtime/Safetensors.h"
#include "runtime/Tensor.h"

#include <map>
#include <string>
#include <vector>

namespace rnnc {

/// What the model declares about one parameter. The driver builds these
/// from frontend::ModelInfo's "param" arguments (name, type, init).
struct ParamSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  InitSpec init;
};

struct LoadOptions {
  /// Accept tensors the model does not have, listing them as warnings.
  bool allowUnexpected = false;
};

struct LoadReport {
  /// Warnings: one line per ignored tensor (only with allowUnexpected).
  std::vector<std::string> warnings;
};

class ParameterStore {
public:
  ParameterStore() = default;
  /// One zero-filled tensor per spec. Fails on an empty or duplicate name.
  static Result<ParameterStore> create(std::vector<ParamSpec> specs);

  size_t size() const { return specs.size(); }
  const std::vector<ParamSpec> &paramSpecs() const { return specs; }
  const ParamSpec &spec(size_t i) const { return specs[i]; }
  Tensor &tensor(size_t i) { return values[i]; }
  const Tensor &tensor(size_t i) const { return values[i]; }
  /// Index of the parameter named `name`, or -1.
  int indexOf(const std::string &name) const;
  /// The tensor named `name`, or null.
  Tensor *find(const std::string &name);
  const Tensor *find(const std::string &name) const;

  /// Replaces one parameter's value; fails on an unknown name or a tensor of
  /// the wrong dtype or shape.
  Status set(const std::string &name, Tensor value);

  /// Samples every parameter from its InitSpec with `seed` (see
  /// Initializers.h). All or nothing, like loading.
  Status initialize(uint64_t seed);

  /// The parameters as a name-sorted map, e.g. for writing.
  TensorMap toMap() const;

private:
  std::vector<ParamSpec> specs;
  std::vector<Tensor> values;
  std::map<std::string, size_t> byName;
};

/// "[256, 64]".
std::string shapeString(const std::vector<int64_t> &shape);

/// Checks that `tensors` holds exactly the store's parameters (see the file
/// comment) and copies them in. `source` names the origin in messages
/// ("weights.safetensors: tensor 'h1.Wi' has shape [256, 32], expected
/// [256, 64]").
Result<LoadReport> loadTensorsInto(ParameterStore &store,
                                   const TensorMap &tensors,
                                   const std::string &source,
                                   const LoadOptions &options = {});

/// Reads the .safetensors file at `path` into the store.
Result<LoadReport> loadInto(ParameterStore &store, const std::string &path,
                            const LoadOptions &options = {});

/// Writes every parameter to `path` as .safetensors, atomically.
Status save(const ParameterStore &store, const std::string &path,
            const std::map<std::string, std::string> &metadata = {});

} // namespace rnnc

#endif // RNNC_RUNTIME_PARAMETERSTORE_H
