//===- tools/rnnc/EvalCommand.cpp - `rnnc eval`: loss and accuracy --------===//
//
// The loss per token, perplexity and next-token accuracy of a trained
// language model on a text file, over the same split rnnc train used (the
// tail --val-fraction by default), in windows with the state carried.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"

#include "codegen/CompiledFunction.h"
#include "tools/rnnc/LmEval.h"
#include "tools/rnnc/TrainedModel.h"

#include <cmath>
#include <cstdio>
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
                         {"weights", "data", "split", "val-fraction", "batch",
                          "bptt", "max-windows"},
                         kCmd, opts))
    return kExitUsage;
  auto &x = opts.extra;
  if (!x.count("weights"))
    return fail("no checkpoint given (--weights CKPT)", kExitUsage);
  if (!x.count("data"))
    return fail("no data given (--data FILE)", kExitUsage);
  std::string split = x.count("split") ? x["split"] : "val";
  if (split != "val" && split != "train" && split != "all")
    return fail("--split must be val, train or all, got '" + split + "'",
                kExitUsage);
  double valFraction = 0.1;
  int64_t batch = 0, bptt = 0, maxWindows = 0;
  if ((x.count("val-fraction") &&
       !parseFloatFlag(kCmd, "val-fraction", x["val-fraction"], valFraction)) ||
      (x.count("batch") && !parseIntFlag(kCmd, "batch", x["batch"], batch, 1)) ||
      (x.count("bptt") && !parseIntFlag(kCmd, "bptt", x["bptt"], bptt, 1)) ||
      (x.count("max-windows") &&
       !parseIntFlag(kCmd, "max-windows", x["max-windows"], maxWindows, 0)))
    return kExitUsage;
  if (valFraction < 0 || valFraction >= 1)
    return fail("--val-fraction must be in [0, 1)", kExitUsage);
  auto trained = loadTrained(opts, x["weights"]);
  if (!trained)
    return kExitModelError;
  if (!trained->vocab)
    return fail(x["weights"] + " has no character vocabulary in its "
                               "metadata (was it written by rnnc train?)");
  auto corpus = TextCorpus::load(x["data"], split == "all" ? 0 : valFraction);
  if (!corpus)
    return fail(corpus.error());
  // Ids must mean what they meant in training: encode with the
  // checkpoint's vocabulary, not the file's own.
  std::string text;
  if (!readFile(x["data"], text))
    return kExitModelError;
  auto ids = trained->vocab->encode(text);
  if (!ids)
    return fail(x["data"] + ": " + ids.error());
  size_t trainLen = split == "all" ? ids->size()
                                   : corpus->train.size();
  std::vector<int32_t> part =
      split == "val" ? std::vector<int32_t>(ids->begin() + trainLen, ids->end())
      : split == "train"
          ? std::vector<int32_t>(ids->begin(), ids->begin() + trainLen)
          : *ids;
  LoadedModel &m = trained->model;
  const auto &settings = m.info.train.settings;
  if (batch == 0)
    batch = settings.count("batch") ? static_cast<int64_t>(settings.at("batch"))
                                    : 32;
  if (bptt == 0)
    bptt = settings.count("bptt") ? static_cast<int64_t>(settings.at("bptt"))
                                  : 64;
  if (part.size() < 2)
    return fail(x["data"] + ": the " + split + " split is too short");
  auto fn = codegen::compile(*m.fn);
  if (!fn)
    return fail("compiling '" + m.info.name + "': " + fn.error());
  ModelArgs layout(m.info);
  auto r = evaluateLm(**fn, layout, layout.withParams(m.params), part, batch,
                      bptt, maxWindows);
  if (!r)
    return fail(r.error());
  std::printf("%s on %s (%s split, %lld tokens): loss %.4f nats/token, %.4f "
              "bits/token, perplexity %.3f, accuracy %.2f%%\n",
              m.info.name.c_str(), x["data"].c_str(), split.c_str(),
              static_cast<long long>(r->tokens), r->loss,
              r->loss / std::log(2.0), std::exp(r->loss), 100 * r->accuracy);
  return kExitOk;
}

} // namespace rnnc::driver
