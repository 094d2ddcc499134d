//===- tools/rnnc/TorchStateDict.h - PyTorch state_dicts --------*- C++ -*-===//
//
// A safetensors file written from a PyTorch state_dict
// (`safetensors.torch.save_file(model.state_dict(), path)`) names its tensors
// after the torch modules: `embed.weight`, `lstm.weight_ih_l0`,
// `lstm.bias_hh_l1`, `fc.weight`, ... rnnc names them after the model's
// layers (`e.weight`, `h1.Wi`, `logits.weight`) and keeps one matrix per
// gate. importTorchWeights maps one onto the other so `--weights` takes such
// a file as it is:
//
//   - a layer whose parameters the file holds under rnnc names keeps them;
//   - each recurrent layer of the model (the prelude's lstm, gru or rnn, in
//     the order the model applies them) takes an unused PyTorch layer of the
//     same cell, sizes and direction (`_reverse` for reverse=true): the next
//     layer of the module the previous one came from, else the lowest l<k>
//     of a single module; fitting layers of several modules are ambiguous
//     (names do not say which feeds which). runtime/TorchNames.h converts
//     the tensors;
//   - each embed, linear or layernorm takes the PyTorch module of its own
//     name, else the one module whose weight has its shape (nn.Embedding
//     and nn.Linear store weights as rnnc does: [V, E], [out, in]); a linear
//     without a torch bias gets zeros;
//   - `--torch-map fc=logits,lstm.l1=h2` names pairs the rules cannot tell
//     apart or would get wrong;
//   - every other tensor keeps its name, so a user cell's parameters load by
//     rnnc name, and anything left over is the loader's "unexpected tensor".
//
// exportTorchWeights goes the other way (`rnnc export`): each prelude cell
// layer becomes layer 0 of a module named after it (`h1.weight_ih_l0`, with
// `_reverse` for reverse=true), each embed/linear/layernorm keeps its name,
// and --torch-map renames them to the modules of the user's PyTorch model
// (`lstm.l1=h2`: h2 becomes `lstm.weight_ih_l1`).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_TORCHSTATEDICT_H
#define RNNC_TOOLS_RNNC_TORCHSTATEDICT_H

#include "frontend/ModelInfo.h"
#include "runtime/ParameterStore.h"
#include "runtime/Result.h"
#include "runtime/Safetensors.h"

#include <string>
#include <utility>
#include <vector>

namespace rnnc::driver {

/// Whether `file` names tensors as a PyTorch recurrent module does
/// (`<prefix>weight_ih_l<k>[_reverse]`) where they are not parameters in
/// `store` (a user cell may name one weight_ih_l0).
bool hasTorchNames(const TensorMap &file, const ParameterStore &store);

struct TorchMapping {
  /// Under the model's names, plus every tensor no rule consumed.
  TensorMap tensors;
  /// What went where, for a note: "lstm.*_l0 -> h1", "fc -> logits".
  std::vector<std::string> mapped;
};

/// Maps the PyTorch tensors of `file` (read from `path`) onto the layers of
/// `info`, whose parameters `store` holds. `torchMap` is the --torch-map
/// text ("" for none). Errors name `path` and say what could not be matched.
Result<TorchMapping> importTorchWeights(const frontend::ModelInfo &info,
                                        const ParameterStore &store,
                                        const TensorMap &file,
                                        const std::string &torchMap,
                                        const std::string &path);

/// The parameters in `store` (of the model `info`) as a PyTorch state_dict,
/// renamed by `torchMap` (the --torch-map text, "" for none).
Result<TorchMapping> exportTorchWeights(const frontend::ModelInfo &info,
                                        const ParameterStore &store,
                                        const std::string &torchMap);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_TORCHSTATEDICT_H
