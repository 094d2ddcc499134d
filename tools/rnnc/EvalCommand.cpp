//===- tools/rnnc/EvalCommand.cpp - `rnnc eval`: held-out metrics ---------===//
//
// The metrics of a trained model on the held-out part of its data, split
// exactly as `rnnc train` split it (same --val-fraction, and the seed the
// checkpoint records): loss per unit, perplexity and accuracy for token
// targets, and whatever else the data's task reports (TrainTask::report).
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"

#include "codegen/CompiledFunction.h"
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/TrainTask.h"

#include <iostream>

namespace rnnc::driver {

namespace {
const char *kCmd = "eval";
int fail(const std::string &message, int code = kExitModelError) {
  std::cerr << "rnnc eval: error: " << message << "\n";
  return code;
}
} // namespace

int runEval(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(args,
                         {"weights", "data", "val-fraction", "batch", "bptt",
                          "report"},
                         kCmd, opts, {"no-cache", "no-optimize"}))
    return kExitUsage;
  auto &x = opts.extra;
  if (!x.count("weights"))
    return fail("no checkpoint given (--weights CKPT)", kExitUsage);
  if (!x.count("data"))
    return fail("no data given (--data FILE)", kExitUsage);
  double valFraction = 0.1;
  int64_t batch = 0, bptt = 0;
  if ((x.count("val-fraction") &&
       !parseFloatFlag(kCmd, "val-fraction", x["val-fraction"], valFraction)) ||
      (x.count("batch") && !parseIntFlag(kCmd, "batch", x["batch"], batch, 1)) ||
      (x.count("bptt") && !parseIntFlag(kCmd, "bptt", x["bptt"], bptt, 1)))
    return kExitUsage;
  if (valFraction < 0 || valFraction >= 1)
    return fail("--val-fraction must be in [0, 1)", kExitUsage);
  std::string weights = x["weights"];
  auto ck = readCheckpoint(weights);
  if (!ck)
    return fail(ck.error());
  auto task = makeTrainTask(x["data"], opts, valFraction);
  if (!task)
    return fail(task.error());
  Status same = (*task)->checkResume(ck->metadata);
  if (!same)
    return fail(weights + ": " + same.error());
  // Only the sizes and the model name: the task checked the rest.
  if (Status s = adoptCheckpoint(opts, ck->metadata, weights); !s)
    return fail(s.error());
  Status bound = bindDataSizes(**task, opts, x["data"]);
  if (!bound)
    return fail(bound.error(), kExitUsage);
  auto model = loadModel(opts, ck->meta(kMetaModel));
  if (!model)
    return kExitModelError;
  // The checkpoint is already read; its parameters load from memory.
  if (auto report = loadTensorsInto(model->params, ck->params, weights);
      !report)
    return fail(report.error());
  const auto &settings = model->info.train.settings;
  BatchShape shape;
  shape.batch = batch ? batch
                      : settings.count("batch")
                            ? static_cast<int64_t>(settings.at("batch"))
                            : 32;
  shape.bptt = bptt ? bptt
                    : settings.count("bptt")
                          ? static_cast<int64_t>(settings.at("bptt"))
                          : 64;
  shape.valFraction = valFraction;
  int64_t seed = 1;
  if (!ck->meta(kMetaSeed).empty()) {
    auto s = parseMetaCount(weights, kMetaSeed, ck->meta(kMetaSeed));
    if (!s)
      return fail(s.error());
    seed = *s;
  }
  shape.seed = static_cast<uint64_t>(seed);
  ModelArgs layout(model->info);
  Status attached = (*task)->attach(model->info, layout, shape);
  if (!attached)
    return fail(attached.error());
  codegen::CompileOptions copts = jitOptions(opts);
  auto fn = codegen::compile(*model->fn, copts);
  if (!fn)
    return fail("compiling '" + model->info.name + "': " + fn.error());
  std::string prefix = x.count("report") ? x["report"] : "";
  auto text =
      (*task)->report(**fn, layout, layout.withParams(model->params), prefix);
  if (!text)
    return fail(text.error());
  std::cout << model->info.name << ": " << *text;
  return kExitOk;
}

} // namespace rnnc::driver
