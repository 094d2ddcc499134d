//===- tools/rnnc/TrainTask.cpp - Choosing what rnnc train trains on ------===//
//
// The kind of task follows from what the model declares (read from its
// syntax tree, before lowering, since the data binds some sizes):
//   input seq[token[V]] + target seq[token[V]]   a language model on a text
//                                                 file (TextLmTask.cpp)
//   one seq input + target token[C]               classification
//                                                 (ClassifyTask.cpp)
//   input seq[f32[F]] + target seq[f32[F]]        forecasting from a CSV
//                                                 (ForecastTask.cpp)
//   two seq inputs (source with its own length S, decoder input) + target
//   seq[token[...]]                               seq2seq on sentence pairs
//                                                 (Seq2SeqTask.cpp)
// Other shapes are reported with what is supported.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/TrainTask.h"

#include "tools/rnnc/LoadedModel.h"

#include <cmath>
#include <cstdio>

namespace rnnc::driver {

TrainTask::~TrainTask() = default;

Result<std::string> TrainTask::report(const codegen::CompiledFunction &forward,
                                      const ModelArgs &layout,
                                      std::vector<Tensor> args,
                                      const std::string &artifactPrefix) {
  auto r = evaluate(forward, layout, std::move(args), 0);
  if (!r)
    return makeError(r.error());
  if (r->units == 0)
    return makeError("there is no held-out data to evaluate on");
  // The description can be long (paths); format the numbers on their own.
  char nums[160];
  std::snprintf(nums, sizeof nums,
                "loss %.4f %s (%.4f bits), perplexity %.3f", r->loss,
                lossLabel().c_str(), r->loss / std::log(2.0),
                std::exp(r->loss));
  std::string text = std::to_string(r->units) + " held-out " + unit() +
                     "s (" + describe() + "): " + nums;
  if (std::isfinite(r->accuracy)) {
    std::snprintf(nums, sizeof nums, ", accuracy %.2f%%", 100 * r->accuracy);
    text += nums;
  }
  return text + "\n";
}

static std::string describeDecl(const DeclaredData &d) {
  std::string s = (d.isInput ? "input " : "target ") + d.name + ": ";
  std::string elem = d.isToken ? "token" : "f32";
  return s + (d.isSeq ? "seq[" + elem + "[...]]" : elem + "[...]");
}

Status bindDataSizes(TrainTask &task, ModelOptions &opts,
                     const std::string &dataPath) {
  std::map<std::string, int64_t> before = opts.sizes;
  Status s = task.bindSizes(opts.file, opts.sizes);
  for (const auto &[name, value] : opts.sizes)
    if (!before.count(name))
      opts.sizeOrigins[name] = "bound from the data in " + dataPath;
  return s;
}

Result<std::unique_ptr<TrainTask>> makeTrainTask(const std::string &dataPath,
                                                 const ModelOptions &opts,
                                                 double valFraction) {
  auto decls = declaredData(opts);
  if (!decls)
    return makeError(opts.file + " does not parse (run rnnc check)");
  std::vector<const DeclaredData *> inputs, targets;
  for (const DeclaredData &d : *decls)
    (d.isInput ? inputs : targets).push_back(&d);
  auto is = [](const DeclaredData *d, bool seq, bool token) {
    return d->isSeq == seq && d->isToken == token;
  };
  if (inputs.size() == 1 && targets.size() == 1 &&
      is(inputs[0], true, true) && is(targets[0], true, true) &&
      inputs[0]->timeName == targets[0]->timeName)
    return makeTextLmTask(dataPath, *decls, valFraction);
  if (inputs.size() == 1 && targets.size() == 1 && inputs[0]->isSeq &&
      is(targets[0], false, true))
    return makeClassifyTask(dataPath, *decls, valFraction);
  if (inputs.size() == 1 && targets.size() == 1 &&
      is(inputs[0], true, false) && is(targets[0], true, false))
    return makeForecastTask(dataPath, *decls, valFraction);
  if (inputs.size() == 2 && targets.size() == 1 && inputs[0]->isSeq &&
      inputs[1]->isSeq && is(targets[0], true, true))
    return makeSeq2SeqTask(dataPath, *decls, valFraction);
  std::string shape;
  for (const DeclaredData &d : *decls)
    shape += "\n  " + describeDecl(d);
  return makeError(
      "rnnc train does not know how to feed this model from data yet; it "
      "declares:" +
      shape +
      "\nsupported: a language model (input seq[token[V]], target "
      "seq[token[V]]) on a text file; a classifier (input seq[...], target "
      "token[C]); a forecaster (input seq[f32[F]], target seq[f32[F]]) on a "
      "CSV; seq2seq (inputs seq[token[Vs], S] and seq[token[Vt]], target "
      "seq[token[Vt]]) on sentence pairs");
}

} // namespace rnnc::driver
