//===- tools/rnnc/TrainCommand.cpp - `rnnc train`: train a language model ===//
//
// Trains a model on a text corpus with truncated backpropagation through
// time, char-rnn style: the corpus is cut into B lanes, each step trains on
// the next T characters of every lane, and the state carried out of one
// window is the initial state of the next (without gradient: the gradient
// function treats initial states as constants). The gradient function is
// built from the model's IR by the autodiff pass (passes/Autodiff.h) and
// JIT-compiled; so is the forward function used for validation.
//
// Settings come from the model's train block and may be overridden by
// flags. Every validation writes the checkpoint (atomically), the metrics
// CSV and the SVG loss plot, so an interrupted run loses little; Ctrl-C
// stops after the current step and saves. `--resume` restores parameters,
// optimizer state, carried state, step and data position, and continues
// exactly as if never interrupted. A non-finite loss or gradient stops the
// run with the step named, without saving the broken parameters.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"

#include "codegen/CompiledFunction.h"
#include "passes/Autodiff.h"
#include "runtime/LRSchedule.h"
#include "runtime/Optimizer.h"
#include "runtime/Safetensors.h"
#include "runtime/TbpttStream.h"
#include "runtime/TextCorpus.h"
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/LmEval.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/ModelArgs.h"
#include "tools/rnnc/TrainLog.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <iostream>
#include <sstream>
#include <unistd.h>

namespace rnnc::driver {

namespace {

std::atomic<bool> interrupted{false};
extern "C" void onInterrupt(int) { interrupted = true; }

/// Everything the run does, resolved from the train block and the flags.
struct TrainPlan {
  std::string data, output, resume, weights, metrics, plot;
  std::string optimizer = "adam";
  std::map<std::string, double> optimizerArgs;
  std::string schedule = "constant";
  int64_t batch = 32, bptt = 64, steps = 0, epochs = 0;
  double timeLimit = 0, clip = 0, valFraction = 0.1, logEvery = 10;
  int64_t valEvery = 200, valWindows = 0, seed = 1;
  bool quiet = false;
};

const char *kCmd = "train";

bool fail(const std::string &message) {
  std::cerr << "rnnc train: error: " << message << "\n";
  return false;
}

/// Reads the train block's settings, then the flags over them.
bool resolvePlan(const ModelOptions &opts, const frontend::TrainConfig &cfg,
                 TrainPlan &plan) {
  if (cfg.present && !cfg.optimizer.name.empty()) {
    plan.optimizer = cfg.optimizer.name;
    plan.optimizerArgs = cfg.optimizer.args;
  }
  auto setting = [&](const char *key, auto &field) {
    auto it = cfg.settings.find(key);
    if (it != cfg.settings.end())
      field = static_cast<std::decay_t<decltype(field)>>(it->second);
  };
  setting("batch", plan.batch);
  setting("bptt", plan.bptt);
  setting("clip_norm", plan.clip);
  setting("epochs", plan.epochs);
  setting("steps", plan.steps);
  if (cfg.settings.count("lr"))
    plan.optimizerArgs["lr"] = cfg.settings.at("lr");
  if (cfg.settings.count("weight_decay"))
    plan.optimizerArgs["weight_decay"] = cfg.settings.at("weight_decay");

  const auto &x = opts.extra;
  auto str = [&](const char *flag, std::string &out) {
    if (x.count(flag))
      out = x.at(flag);
  };
  auto integer = [&](const char *flag, int64_t &out, int64_t min) {
    return !x.count(flag) || parseIntFlag(kCmd, flag, x.at(flag), out, min);
  };
  auto real = [&](const char *flag, double &out) {
    return !x.count(flag) || parseFloatFlag(kCmd, flag, x.at(flag), out);
  };
  str("data", plan.data);
  str("o", plan.output);
  str("output", plan.output);
  str("resume", plan.resume);
  str("weights", plan.weights);
  str("metrics", plan.metrics);
  str("plot", plan.plot);
  str("schedule", plan.schedule);
  if (x.count("optimizer") && x.at("optimizer") != plan.optimizer) {
    plan.optimizer = x.at("optimizer");
    // The block's arguments belonged to another optimizer; keep only lr.
    std::map<std::string, double> keep;
    if (plan.optimizerArgs.count("lr"))
      keep["lr"] = plan.optimizerArgs["lr"];
    plan.optimizerArgs = keep;
  }
  double lr = 0, wd = 0;
  if (!real("lr", lr) || !real("weight-decay", wd))
    return false;
  if (x.count("lr"))
    plan.optimizerArgs["lr"] = lr;
  if (x.count("weight-decay"))
    plan.optimizerArgs["weight_decay"] = wd;
  if (!integer("batch", plan.batch, 1) || !integer("bptt", plan.bptt, 1) ||
      !integer("steps", plan.steps, 1) || !integer("epochs", plan.epochs, 1) ||
      !integer("val-every", plan.valEvery, 0) ||
      !integer("val-windows", plan.valWindows, 0) ||
      !integer("seed", plan.seed, 0) || !real("time-limit", plan.timeLimit) ||
      !real("clip", plan.clip) || !real("val-fraction", plan.valFraction) ||
      !real("log-every", plan.logEvery))
    return false;
  plan.quiet = x.count("quiet") > 0;
  if (plan.data.empty())
    return fail("no training data given (--data FILE)");
  if (plan.valFraction < 0 || plan.valFraction >= 1)
    return fail("--val-fraction must be in [0, 1)");
  if (plan.timeLimit < 0)
    return fail("--time-limit must be positive");
  if (plan.steps == 0 && plan.epochs == 0 && plan.timeLimit == 0)
    return fail("say how long to train: --steps N, --epochs N or "
                "--time-limit SECONDS (or steps/epochs in the train block)");
  if (plan.output.empty())
    plan.output = std::filesystem::path(opts.file).stem().string() +
                  ".safetensors";
  std::string base = plan.output;
  if (base.size() > 12 && base.ends_with(".safetensors"))
    base.resize(base.size() - 12);
  if (plan.metrics.empty())
    plan.metrics = base + ".metrics.csv";
  if (plan.plot.empty())
    plan.plot = base + ".loss.svg";
  return true;
}

/// Binds the vocabulary size from the data, or checks a --set one.
bool bindVocab(ModelOptions &opts, const CharVocab &vocab) {
  std::string name = tokenVocabSizeName(opts);
  if (name.empty())
    return true; // the model fixes its vocabulary; checked below
  auto it = opts.sizes.find(name);
  if (it == opts.sizes.end()) {
    opts.sizes[name] = vocab.size();
  } else if (it->second < vocab.size()) {
    return fail("--set " + name + "=" + std::to_string(it->second) +
                " is smaller than the data's vocabulary of " +
                std::to_string(vocab.size()) + " characters");
  }
  return true;
}

/// The embedding or token type the model expects must hold every id.
bool checkLanguageModel(const LoadedModel &m, const ModelArgs &layout) {
  auto isTokens = [&](unsigned a) {
    const ir::TensorType &t = m.info.args[a].type;
    return t.dtype() == DType::I32 && t.rank() == 2;
  };
  if (layout.inputs().size() != 1 || layout.targets().size() != 1 ||
      !isTokens(layout.inputs()[0]) || !isTokens(layout.targets()[0]) ||
      layout.lossResult() < 0 || layout.outputs().empty())
    return fail("'" + m.info.name +
                "' is not a language model: rnnc train on text needs one "
                "input seq[token[V]], one target seq[token[V]], a loss and "
                "a logits output");
  return true;
}

struct RunState {
  int64_t step = 0;
  std::vector<Tensor> states;
};

bool saveAll(const TrainPlan &plan, const LoadedModel &m,
             const ModelArgs &layout, const Optimizer &opt,
             const RunState &rs, const TbpttStream &stream,
             const CharVocab &vocab, const ModelOptions &opts,
             const TrainLog &log) {
  std::vector<std::string> names;
  for (const ParamSpec &s : m.params.paramSpecs())
    names.push_back(s.name);
  TensorMap states;
  for (size_t s = 0; s < rs.states.size(); ++s)
    states[m.info.args[layout.states()[s]].name] = rs.states[s];
  std::map<std::string, std::string> meta = {
      {kMetaModel, m.info.name},
      {kMetaSizes, formatSizes(m.info.sizes)},
      {kMetaVocab, vocab.serialize()},
      {kMetaStep, std::to_string(rs.step)},
      {kMetaDataPos, std::to_string(stream.position())},
      {kMetaSeed, std::to_string(plan.seed)},
      {kMetaOptimizer, opt.name()},
  };
  (void)opts;
  Status s = writeCheckpoint(plan.output, m.params, opt.state(names), states,
                             meta);
  if (!s)
    return fail(s.error());
  Status c = writeFileAtomically(plan.metrics, metricsCsv(log.records()));
  if (!c)
    return fail(c.error());
  Status p = writeFileAtomically(
      plan.plot, lossPlotSvg(log.records(), m.info.name + " on " +
                                                plan.data));
  if (!p)
    return fail(p.error());
  return true;
}

int train(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(args,
                         {"data", "o", "output", "resume", "weights",
                          "metrics", "plot", "optimizer", "lr",
                          "weight-decay", "schedule", "batch", "bptt",
                          "steps", "epochs", "time-limit", "clip",
                          "val-every", "val-windows", "val-fraction", "seed",
                          "log-every"},
                         kCmd, opts, {"quiet"}))
    return kExitUsage;
  if (!opts.extra.count("data")) {
    fail("no training data given (--data FILE)");
    return kExitUsage;
  }
  double valFraction = 0.1;
  if (opts.extra.count("val-fraction") &&
      !parseFloatFlag(kCmd, "val-fraction", opts.extra["val-fraction"],
                      valFraction))
    return kExitUsage;
  auto corpus = TextCorpus::load(opts.extra["data"], valFraction);
  if (!corpus) {
    fail(corpus.error());
    return kExitModelError;
  }

  // On resume the checkpoint says which sizes and vocabulary the run had.
  std::optional<Checkpoint> resumed;
  if (opts.extra.count("resume")) {
    auto ck = readCheckpoint(opts.extra["resume"]);
    if (!ck) {
      fail(ck.error());
      return kExitModelError;
    }
    auto vocab = CharVocab::parse(ck->meta(kMetaVocab));
    if (!vocab || !(*vocab == corpus->vocab)) {
      fail(opts.extra["resume"] + " was trained on another vocabulary than " +
           opts.extra["data"] + "'s");
      return kExitModelError;
    }
    auto sizes = parseSizes(ck->meta(kMetaSizes));
    if (!sizes) {
      fail(opts.extra["resume"] + ": " + sizes.error());
      return kExitModelError;
    }
    for (const auto &[k, v] : *sizes)
      opts.sizes.emplace(k, v);
    resumed = std::move(*ck);
  }
  if (!bindVocab(opts, corpus->vocab))
    return kExitUsage;

  auto model = loadModel(opts);
  if (!model)
    return kExitModelError;
  ModelArgs layout(model->info);
  if (!checkLanguageModel(*model, layout))
    return kExitModelError;
  TrainPlan plan;
  if (!resolvePlan(opts, model->info.train, plan))
    return kExitUsage;

  if (!fillParameters(*model, resumed ? "" : plan.weights,
                      static_cast<uint64_t>(plan.seed)))
    return kExitModelError;
  if (resumed) {
    auto report = loadTensorsInto(model->params, resumed->params, plan.resume);
    if (!report) {
      fail(report.error());
      return kExitModelError;
    }
  }

  auto optimizer = makeOptimizer(plan.optimizer, plan.optimizerArgs);
  if (!optimizer) {
    fail(optimizer.error());
    return kExitUsage;
  }
  auto schedule = LRSchedule::parse(plan.schedule);
  if (!schedule) {
    fail("--schedule: " + schedule.error());
    return kExitUsage;
  }

  auto stream = TbpttStream::create(&corpus->train, plan.batch, plan.bptt);
  if (!stream) {
    fail(plan.data + ": " + stream.error());
    return kExitModelError;
  }
  int64_t totalSteps = plan.steps;
  if (totalSteps == 0 && plan.epochs > 0)
    totalSteps = plan.epochs * stream->windowsPerEpoch();

  // The gradient function and the forward one, both JIT-compiled.
  auto t0 = std::chrono::steady_clock::now();
  auto grad = passes::buildGradient(*model->fn);
  if (!grad) {
    fail("differentiating '" + model->info.name + "': " + grad.error());
    return kExitModelError;
  }
  auto gradFn = codegen::compile(**grad);
  if (!gradFn) {
    fail("compiling the gradient of '" + model->info.name +
         "': " + gradFn.error());
    return kExitModelError;
  }
  auto fwdFn = codegen::compile(*model->fn);
  if (!fwdFn) {
    fail("compiling '" + model->info.name + "': " + fwdFn.error());
    return kExitModelError;
  }
  double compileSec = std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - t0)
                          .count();

  RunState rs;
  rs.states = layout.initialStates(plan.batch);
  std::vector<std::string> paramNames;
  for (const ParamSpec &s : model->params.paramSpecs())
    paramNames.push_back(s.name);
  bool interactive = isatty(STDERR_FILENO) && !plan.quiet;
  // --quiet keeps the records (for the CSV) but prints no step lines.
  TrainLog log(std::cerr, interactive, totalSteps, plan.timeLimit,
               plan.quiet ? std::numeric_limits<double>::infinity()
                          : plan.logEvery);
  if (resumed) {
    std::vector<const Tensor *> ps;
    for (size_t i = 0; i < model->params.size(); ++i)
      ps.push_back(&model->params.tensor(i));
    Status s = (*optimizer)->loadState(resumed->optimizer, paramNames, ps);
    if (!s) {
      fail(plan.resume + ": " + s.error());
      return kExitModelError;
    }
    int64_t step = 0, pos = 0;
    if (!parseIntFlag(kCmd, "resume (step)", resumed->meta(kMetaStep), step) ||
        !parseIntFlag(kCmd, "resume (data position)",
                      resumed->meta(kMetaDataPos), pos))
      return kExitModelError;
    rs.step = step;
    stream->seek(pos);
    for (size_t s = 0; s < rs.states.size(); ++s) {
      const std::string &name = model->info.args[layout.states()[s]].name;
      auto it = resumed->states.find(name);
      if (it == resumed->states.end() ||
          it->second.shape() != rs.states[s].shape()) {
        fail(plan.resume + ": carried state '" + name +
             "' is missing or has another shape (was the batch size "
             "changed?)");
        return kExitModelError;
      }
      rs.states[s] = it->second;
    }
    std::ifstream in(plan.metrics);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::vector<StepRecord> earlier;
      for (const StepRecord &r : parseMetricsCsv(ss.str()))
        if (r.step <= step)
          earlier.push_back(r);
      log.prepend(std::move(earlier));
    }
    if (totalSteps > 0 && rs.step >= totalSteps) {
      fail(plan.resume + " is already at step " + std::to_string(rs.step) +
           " of " + std::to_string(totalSteps) + "; ask for more --steps");
      return kExitUsage;
    }
  }

  if (!plan.quiet) {
    std::ostringstream os;
    os << "rnnc train: " << model->info.name << " ("
       << formatSizes(model->info.sizes) << "), " << model->params.size()
       << " parameter tensors; data " << plan.data << ": "
       << corpus->train.size() << " train / " << corpus->val.size()
       << " validation characters, vocabulary " << corpus->vocab.size()
       << "\nrnnc train: " << plan.optimizer << " lr "
       << (*optimizer)->baseLr() << ", schedule " << schedule->str()
       << ", clip " << plan.clip << ", batch " << plan.batch << " x bptt "
       << plan.bptt << ", " << stream->windowsPerEpoch()
       << " windows per epoch; compiled in " << static_cast<int>(compileSec * 1000)
       << " ms" << (resumed ? "; resuming at step " + std::to_string(rs.step)
                            : std::string());
    log.message(os.str());
  }

  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  std::vector<Tensor> callArgs = layout.withParams(model->params);
  size_t numResults = model->info.results.size();
  auto start = std::chrono::steady_clock::now();
  double elapsedBefore = 0;
  if (!log.records().empty())
    elapsedBefore = log.records().back().elapsedSec;
  auto elapsed = [&] {
    return elapsedBefore + std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - start)
                               .count();
  };
  double runStart = elapsed();
  const int64_t firstStep = rs.step;
  int64_t tokensDone = 0;
  double lastVal = std::nan("");

  auto validate = [&]() -> bool {
    if (corpus->val.size() < 2)
      return true;
    std::vector<Tensor> a = layout.withParams(model->params);
    auto r = evaluateLm(**fwdFn, layout, std::move(a), corpus->val,
                        plan.batch, plan.bptt, plan.valWindows);
    if (!r)
      return fail("validation at step " + std::to_string(rs.step) + ": " +
                  r.error());
    StepRecord rec;
    rec.step = rs.step;
    rec.epoch = stream->epoch();
    rec.trainLoss = std::nan("");
    rec.valLoss = r->loss;
    rec.elapsedSec = elapsed();
    log.validation(rec);
    lastVal = r->loss;
    return true;
  };

  bool ok = true;
  while (true) {
    if (totalSteps > 0 && rs.step >= totalSteps)
      break;
    if (plan.timeLimit > 0 && elapsed() - runStart >= plan.timeLimit)
      break;
    if (interrupted) {
      log.message("rnnc train: interrupted; saving the checkpoint");
      break;
    }
    auto stepStart = std::chrono::steady_clock::now();
    TbpttStream::Batch b = stream->next();
    if (b.epochStart)
      rs.states = layout.initialStates(plan.batch);
    callArgs[layout.inputs()[0]] = std::move(b.x);
    callArgs[layout.targets()[0]] = std::move(b.y);
    for (unsigned l : layout.lengths())
      callArgs[l] = b.lengths;
    for (size_t s = 0; s < rs.states.size(); ++s)
      callArgs[layout.states()[s]] = rs.states[s];
    for (size_t i = 0; i < model->params.size(); ++i)
      callArgs[layout.params()[i]] = model->params.tensor(i);
    auto out = (*gradFn)->run(callArgs);
    if (!out) {
      ok = fail("step " + std::to_string(rs.step + 1) + ": " + out.error());
      break;
    }
    double loss = (*out)[layout.lossResult()].f32Data()[0];
    std::vector<Tensor *> grads;
    for (size_t i = 0; i < model->params.size(); ++i)
      grads.push_back(&(*out)[numResults + i]);
    double norm = clipGlobalNorm(grads, plan.clip);
    if (!std::isfinite(loss) || !std::isfinite(norm)) {
      ok = fail(std::string(std::isfinite(loss) ? "the gradient norm" : "the loss") +
                " is " + std::to_string(std::isfinite(loss) ? norm : loss) +
                " at step " + std::to_string(rs.step + 1) + " (epoch " +
                std::to_string(stream->epoch()) + ", window " +
                std::to_string(stream->position()) +
                "); stopping without saving these parameters (the last "
                "checkpoint is " + plan.output +
                "); try a lower --lr or --clip");
      break;
    }
    double lr = schedule->at((*optimizer)->baseLr(), rs.step, totalSteps);
    std::vector<Tensor *> params;
    std::vector<const Tensor *> cgrads(grads.begin(), grads.end());
    for (size_t i = 0; i < model->params.size(); ++i)
      params.push_back(&model->params.tensor(i));
    Status st = (*optimizer)->step(params, cgrads, lr);
    if (!st) {
      ok = fail("optimizer: " + st.error());
      break;
    }
    for (size_t s = 0; s < rs.states.size(); ++s)
      rs.states[s] = std::move((*out)[layout.finalStates()[s]]);
    ++rs.step;
    int64_t tokens = plan.batch * plan.bptt;
    tokensDone += tokens;
    double stepSec = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - stepStart)
                         .count();
    StepRecord rec;
    rec.step = rs.step;
    rec.epoch = stream->epoch();
    rec.trainLoss = loss;
    rec.lr = lr;
    rec.gradNorm = norm;
    rec.tokensPerSec = tokens / std::max(stepSec, 1e-9);
    rec.elapsedSec = elapsed();
    log.step(rec);
    if (plan.valEvery > 0 && rs.step % plan.valEvery == 0) {
      if (!validate() ||
          !saveAll(plan, *model, layout, **optimizer, rs, *stream,
                   corpus->vocab, opts, log)) {
        ok = false;
        break;
      }
    }
  }
  log.finish();
  if (!ok)
    return kExitModelError;
  if (plan.valEvery > 0 &&
      (log.records().empty() || !std::isfinite(log.records().back().valLoss)))
    if (!validate())
      return kExitModelError;
  if (!saveAll(plan, *model, layout, **optimizer, rs, *stream, corpus->vocab,
               opts, log))
    return kExitModelError;
  double sec = elapsed() - runStart;
  std::ostringstream os;
  int64_t ran = rs.step - firstStep;
  os << "rnnc train: " << ran << " steps"
     << (firstStep > 0 ? " (" + std::to_string(firstStep + 1) + " to " +
                             std::to_string(rs.step) + ")"
                       : std::string())
     << ", " << tokensDone
     << " tokens in " << formatDuration(sec) << " ("
     << static_cast<int64_t>(tokensDone / std::max(sec, 1e-9)) << " tokens/s)";
  if (std::isfinite(lastVal))
    os << "; validation loss " << lastVal << " nats/char";
  os << "\nrnnc train: wrote " << plan.output << ", " << plan.metrics << ", "
     << plan.plot;
  log.message(os.str());
  return interrupted ? kExitModelError : kExitOk;
}

} // namespace

int runTrain(const std::vector<std::string> &args) { return train(args); }

} // namespace rnnc::driver
