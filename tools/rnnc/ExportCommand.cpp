//===- tools/rnnc/ExportCommand.cpp - rnnc export: weights for PyTorch ----===//
//
// Writes a checkpoint's parameters as a PyTorch state_dict in safetensors
// (TorchStateDict.h says how layers are named), so a model trained here can
// be loaded into the torch modules it mirrors with
// `model.load_state_dict(safetensors.torch.load_file(path))`.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/Command.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/TorchStateDict.h"

#include <iostream>

namespace rnnc::driver {

int runExport(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(args, {"weights", "o", "model", "torch-map"}, "export",
                         opts))
    return kExitUsage;
  auto flag = [&](const char *n) {
    auto it = opts.extra.find(n);
    return it == opts.extra.end() ? std::string() : it->second;
  };
  auto fail = [](const std::string &message, int code) {
    std::cerr << "rnnc export: error: " << message << "\n";
    return code;
  };
  if (flag("weights").empty())
    return fail("no weights given (--weights CKPT)", kExitUsage);
  if (flag("o").empty())
    return fail("no output file given (-o OUT.safetensors)", kExitUsage);
  // The checkpoint knows the sizes it was trained with and its model.
  auto info = readCheckpointInfo(flag("weights"));
  if (!info)
    return fail(info.error(), kExitModelError);
  std::string modelName = flag("model");
  if (modelName.empty()) {
    info->adopt(opts, flag("weights"));
    modelName = info->model;
  } else {
    adoptCheckpointSizes(opts, info->sizes, flag("weights"));
  }
  auto model = loadModel(opts, modelName, /*training=*/false,
                         /*optimize=*/false);
  if (!model)
    return kExitModelError;
  if (!fillParameters(*model, flag("weights"), 0))
    return kExitModelError;
  auto torch =
      exportTorchWeights(model->info, model->params, flag("torch-map"));
  if (!torch)
    return fail(torch.error(), kExitUsage);
  // safetensors.torch.save_file marks its files so.
  Status s = writeSafetensors(flag("o"), torch->tensors, {{"format", "pt"}});
  if (!s)
    return fail(s.error(), kExitModelError);
  std::string mapped;
  for (const std::string &m : torch->mapped)
    mapped += (mapped.empty() ? "" : ", ") + m;
  std::cerr << "rnnc export: wrote " << flag("o") << " (" << mapped << ")\n";
  return kExitOk;
}

} // namespace rnnc::driver
