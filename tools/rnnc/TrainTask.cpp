//===- tools/rnnc/TrainTask.cpp - Choosing what rnnc train trains on ------===//
//
// The kind of task follows from what the model declares (read from its
// syntax tree, before lowering, since the data binds some sizes):
//   input seq[token[V]] + target seq[token[V]]   a language model on a text
//                                                 file (TextLmTask.cpp)
// Other shapes are reported with what is supported.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/TrainTask.h"

#include "tools/rnnc/LoadedModel.h"

namespace rnnc::driver {

TrainTask::~TrainTask() = default;

static std::string describeDecl(const DeclaredData &d) {
  std::string s = (d.isInput ? "input " : "target ") + d.name + ": ";
  std::string elem = d.isToken ? "token" : "f32";
  return s + (d.isSeq ? "seq[" + elem + "[...]]" : elem + "[...]");
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
      is(inputs[0], true, true) && is(targets[0], true, true))
    return makeTextLmTask(dataPath, valFraction);
  std::string shape;
  for (const DeclaredData &d : *decls)
    shape += "\n  " + describeDecl(d);
  return makeError(
      "rnnc train does not know how to feed this model from data yet; it "
      "declares:" +
      shape +
      "\nsupported: a language model (input seq[token[V]], target "
      "seq[token[V]]) on a text file");
}

} // namespace rnnc::driver
