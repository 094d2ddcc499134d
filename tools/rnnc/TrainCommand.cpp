//===- tools/rnnc/TrainCommand.cpp - `rnnc train`: the training loop ------===//
//
// One loop for every kind of data: a TrainTask (TrainTask.h) fills each
// batch and evaluates on held-out data; here are the gradient, clipping,
// optimizer, schedule, dropout masks, validation, checkpoints and resume.
// For a text the task streams truncated-BPTT windows and the state carried
// out of one window is the initial state of the next (without gradient: the
// gradient function treats initial states as constants). The gradient
// function is built from the model's IR by the autodiff pass
// (passes/Autodiff.h) and JIT-compiled; so is the forward function used for
// validation. With dropout the gradient comes from the training lowering
// (dropout multiplies by mask arguments filled here) and validation uses
// the inference lowering (dropout is the identity).
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
#include "runtime/ThreadPool.h"
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/DropoutMasks.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/ModelArgs.h"
#include "tools/rnnc/TrainLog.h"
#include "tools/rnnc/TrainTask.h"

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
  if (!(plan.clip >= 0))
    return fail("--clip must be >= 0 (0: no clipping)");
  if (!(plan.logEvery >= 0))
    return fail("--log-every must be >= 0");
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

struct RunState {
  int64_t step = 0;
  std::vector<Tensor> states;
};

bool saveAll(const TrainPlan &plan, const LoadedModel &m,
             const ModelArgs &layout, const Optimizer &opt,
             const RunState &rs, const TrainTask &task, const TrainLog &log) {
  std::vector<std::string> names;
  for (const ParamSpec &s : m.params.paramSpecs())
    names.push_back(s.name);
  TensorMap states;
  for (size_t s = 0; s < rs.states.size(); ++s)
    states[m.info.args[layout.states()[s]].name] = rs.states[s];
  std::map<std::string, std::string> meta = task.metadata();
  meta[kMetaModel] = m.info.name;
  meta[kMetaSizes] = formatSizes(m.info.sizes);
  meta[kMetaStep] = std::to_string(rs.step);
  meta[kMetaDataPos] = std::to_string(task.position());
  meta[kMetaSeed] = std::to_string(plan.seed);
  meta[kMetaOptimizer] = opt.name();
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
                          "log-every", "threads", "torch-map"},
                         kCmd, opts,
                         {"quiet", "no-cache", "recompute", "no-optimize"}))
    return kExitUsage;
  // The runtime's worker pool, sized before anything runs. Results do not
  // depend on it (rnnc_matmul splits bit-identically), so a resumed run may
  // use another count.
  if (opts.extra.count("threads")) {
    unsigned threads = 0;
    if (!ThreadPool::parseThreadCount(opts.extra["threads"].c_str(), threads)) {
      fail("--threads takes a count from 1 to 64");
      return kExitUsage;
    }
    ThreadPool::global().resize(threads);
  }
  if (!opts.extra.count("data")) {
    fail("no training data given (--data FILE)");
    return kExitUsage;
  }
  double valFraction = 0.1;
  if (opts.extra.count("val-fraction") &&
      !parseFloatFlag(kCmd, "val-fraction", opts.extra["val-fraction"],
                      valFraction))
    return kExitUsage;
  if (valFraction < 0 || valFraction >= 1) {
    fail("--val-fraction must be in [0, 1)");
    return kExitUsage;
  }
  auto task = makeTrainTask(opts.extra["data"], opts, valFraction);
  if (!task) {
    fail(task.error());
    return kExitModelError;
  }

  // On resume the checkpoint says which sizes the run had.
  std::optional<Checkpoint> resumed;
  if (opts.extra.count("resume")) {
    auto ck = readCheckpoint(opts.extra["resume"]);
    if (!ck) {
      fail(ck.error());
      return kExitModelError;
    }
    Status same = (*task)->checkResume(ck->metadata);
    if (!same) {
      fail(opts.extra["resume"] + ": " + same.error());
      return kExitModelError;
    }
    // Only the sizes and the model name: checkResume did the rest.
    if (Status s = adoptCheckpoint(opts, ck->metadata, opts.extra["resume"]);
        !s) {
      fail(s.error());
      return kExitModelError;
    }
    resumed = std::move(*ck);
  }
  Status bound = bindDataSizes(**task, opts, opts.extra["data"]);
  if (!bound) {
    fail(bound.error());
    return kExitUsage;
  }

  // A resumed run continues the checkpoint's model (a file may hold
  // several), not whichever is last.
  auto model = loadModel(opts, resumed ? resumed->meta(kMetaModel) : "");
  if (!model)
    return kExitModelError;
  // With dropout, gradients come from the training lowering (mask
  // arguments); validation and the checkpoint use the inference one.
  std::optional<LoadedModel> trainVariant;
  if (!model->info.dropouts.empty()) {
    trainVariant = loadModel(opts, model->info.name, /*training=*/true);
    if (!trainVariant)
      return kExitModelError;
  }
  const LoadedModel &trainModel = trainVariant ? *trainVariant : *model;
  ModelArgs layout(model->info);
  ModelArgs trainLayout(trainModel.info);
  TrainPlan plan;
  if (!resolvePlan(opts, model->info.train, plan))
    return kExitUsage;
  // The seed decides the validation split of some tasks and the dropout
  // masks: a resumed run keeps the checkpoint's unless told otherwise.
  if (resumed && !resumed->meta(kMetaSeed).empty()) {
    auto seed =
        parseMetaCount(plan.resume, kMetaSeed, resumed->meta(kMetaSeed));
    if (!seed) {
      fail(seed.error());
      return kExitModelError;
    }
    if (!opts.extra.count("seed"))
      plan.seed = *seed;
    else if (plan.seed != *seed)
      std::cerr << "rnnc train: warning: --seed " << plan.seed
                << " differs from the seed " << *seed << " of " << plan.resume
                << ": the resumed run is not the one the checkpoint began\n";
  }
  BatchShape shape;
  shape.batch = plan.batch;
  shape.bptt = plan.bptt;
  shape.valFraction = valFraction;
  shape.seed = static_cast<uint64_t>(plan.seed);
  // The task binds data slots by the training layout's indices.
  Status attached = (*task)->attach(trainModel.info, trainLayout, shape);
  if (!attached) {
    fail(attached.error());
    return kExitModelError;
  }
  // Evaluation runs on the inference layout; a second task view is not
  // needed because evaluate() takes the layout it fills.

  if (resumed && opts.extra.count("torch-map")) {
    fail("--torch-map applies to --weights, not --resume (a checkpoint "
         "holds rnnc's names)");
    return kExitUsage;
  }
  if (!fillParameters(
          *model, resumed ? "" : plan.weights, static_cast<uint64_t>(plan.seed),
          opts.extra.count("torch-map") ? opts.extra["torch-map"] : ""))
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
  // A floor above the rate would make the decay a rise: surely a typo.
  if ((schedule->kind == LRSchedule::Kind::Cosine ||
       schedule->kind == LRSchedule::Kind::Linear) &&
      schedule->minLr > (*optimizer)->baseLr()) {
    std::ostringstream msg;
    msg << "--schedule: min=" << schedule->minLr
        << " is above the learning rate " << (*optimizer)->baseLr()
        << "; the floor must be at most the rate it decays from";
    fail(msg.str());
    return kExitUsage;
  }
  int64_t totalSteps = plan.steps;
  if (totalSteps == 0 && plan.epochs > 0)
    totalSteps = plan.epochs * (*task)->batchesPerEpoch();

  // The gradient function and the forward one, both JIT-compiled.
  auto t0 = std::chrono::steady_clock::now();
  // --recompute: the backward scans re-run each step's forward from the
  // saved carries instead of keeping every activation (less memory for
  // long sequences, about a third more time).
  passes::GradientOptions gradOpts;
  gradOpts.recompute = opts.extra.count("recompute") > 0;
  auto grad = buildModelGradient(opts, *trainModel.fn, gradOpts,
                                 (*task)->positionsPerBatch());
  if (!grad) {
    fail("differentiating '" + model->info.name + "': " + grad.error());
    return kExitModelError;
  }
  codegen::CompileOptions copts = jitOptions(opts);
  auto gradFn = codegen::compile(**grad, copts);
  if (!gradFn) {
    fail("compiling the gradient of '" + model->info.name +
         "': " + gradFn.error());
    return kExitModelError;
  }
  auto fwdFn = codegen::compile(*model->fn, copts);
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
    auto step = parseMetaCount(plan.resume, kMetaStep, resumed->meta(kMetaStep));
    auto pos =
        parseMetaCount(plan.resume, kMetaDataPos, resumed->meta(kMetaDataPos));
    if (!step || !pos) {
      fail(!step ? step.error() : pos.error());
      return kExitModelError;
    }
    rs.step = *step;
    (*task)->seek(*pos);
    for (size_t s = 0; s < rs.states.size(); ++s) {
      const std::string &name = model->info.args[layout.states()[s]].name;
      auto it = resumed->states.find(name);
      if (it == resumed->states.end())
        continue; // a task that resets the state every batch saves none
      if (it->second.shape() != rs.states[s].shape()) {
        fail(plan.resume + ": carried state '" + name +
             "' has another shape (was the batch size changed?)");
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
        if (r.step <= rs.step)
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
       << " parameter tensors, " << model->info.dropouts.size()
       << " dropout layers; " << (*task)->describe() << "\nrnnc train: "
       << plan.optimizer << " lr " << (*optimizer)->baseLr() << ", schedule "
       << schedule->str() << ", clip " << plan.clip << ", batch "
       << plan.batch << " x bptt " << plan.bptt << ", "
       << (*task)->batchesPerEpoch() << " batches per epoch; compiled in "
       << static_cast<int>(compileSec * 1000) << " ms"
       << (resumed ? "; resuming at step " + std::to_string(rs.step)
                   : std::string());
    log.message(os.str());
  }

  std::signal(SIGINT, onInterrupt);
  std::signal(SIGTERM, onInterrupt);
  // A log piped into a reader that exits early (`| head`) must not kill
  // the run before it saves; failed writes to a closed pipe are harmless.
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<Tensor> callArgs = trainLayout.withParams(model->params);
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
  int64_t unitsDone = 0;
  double lastVal = std::nan("");

  auto validate = [&]() -> bool {
    auto r = (*task)->evaluate(**fwdFn, layout,
                               layout.withParams(model->params),
                               plan.valWindows);
    if (!r)
      return fail("validation at step " + std::to_string(rs.step) + ": " +
                  r.error());
    if (r->units == 0)
      return true;
    StepRecord rec;
    rec.step = rs.step;
    rec.epoch = (*task)->epoch();
    rec.trainLoss = std::nan("");
    rec.valLoss = r->loss;
    rec.elapsedSec = elapsed();
    log.validation(rec, (*task)->lossLabel(), (*task)->lossInNats());
    lastVal = r->loss;
    return true;
  };

  bool ok = true, saved = false;
  // The gradient's results, reused from step to step (runInto): the
  // gradients and logits are written in place, not allocated and
  // zero-filled again for every batch.
  std::vector<Tensor> out;
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
    TaskBatch b = (*task)->next(callArgs);
    if (b.resetState)
      rs.states = layout.initialStates(b.rows);
    for (size_t s = 0; s < rs.states.size(); ++s)
      callArgs[trainLayout.states()[s]] = rs.states[s];
    for (size_t i = 0; i < model->params.size(); ++i)
      callArgs[trainLayout.params()[i]] = model->params.tensor(i);
    Status masks = fillDropoutMasks(trainModel.info, callArgs,
                                    static_cast<uint64_t>(plan.seed), rs.step);
    if (!masks) {
      ok = fail(masks.error());
      break;
    }
    if (Status run = (*gradFn)->runInto(callArgs, out); !run) {
      ok = fail("step " + std::to_string(rs.step + 1) + ": " + run.error());
      break;
    }
    double loss = out[trainLayout.lossResult()].f32Data()[0];
    std::vector<Tensor *> grads;
    for (size_t i = 0; i < model->params.size(); ++i)
      grads.push_back(&out[numResults + i]);
    double norm = clipGlobalNorm(grads, plan.clip);
    if (!std::isfinite(loss) || !std::isfinite(norm)) {
      bool lossBad = !std::isfinite(loss);
      ok = fail(std::string(lossBad ? "the loss" : "the gradient norm") +
                " is " + std::to_string(lossBad ? loss : norm) + " at step " +
                std::to_string(rs.step + 1) + " (epoch " +
                std::to_string((*task)->epoch()) + ", batch " +
                std::to_string((*task)->position()) +
                "); stopping without saving these parameters (" +
                (saved ? "the last checkpoint is " + plan.output
                       : std::string("no checkpoint was written")) +
                "); try a lower --lr or --clip");
      break;
    }
    // With only a time budget, schedules run over the steps the budget is
    // expected to hold, estimated from the pace so far (so a cosine decays
    // to its floor as the time runs out).
    int64_t horizon = totalSteps;
    if (horizon == 0 && plan.timeLimit > 0 && rs.step > firstStep) {
      double frac = (elapsed() - runStart) / plan.timeLimit;
      horizon = firstStep + static_cast<int64_t>(
                                static_cast<double>(rs.step - firstStep) /
                                std::max(frac, 1e-9));
    }
    double lr = schedule->at((*optimizer)->baseLr(), rs.step, horizon);
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
      std::swap(rs.states[s], out[trainLayout.finalStates()[s]]);
    ++rs.step;
    unitsDone += b.units;
    double stepSec = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - stepStart)
                         .count();
    StepRecord rec;
    rec.step = rs.step;
    rec.epoch = (*task)->epoch();
    rec.trainLoss = loss;
    rec.lr = lr;
    rec.gradNorm = norm;
    rec.tokensPerSec = b.units / std::max(stepSec, 1e-9);
    rec.elapsedSec = elapsed();
    log.step(rec);
    if (plan.valEvery > 0 && rs.step % plan.valEvery == 0) {
      if (!validate() ||
          !saveAll(plan, *model, layout, **optimizer, rs, **task, log)) {
        ok = false;
        break;
      }
      saved = true;
    }
  }
  log.finish();
  if (!ok)
    return kExitModelError;
  if (plan.valEvery > 0 &&
      (log.records().empty() || !std::isfinite(log.records().back().valLoss)))
    if (!validate())
      return kExitModelError;
  if (!saveAll(plan, *model, layout, **optimizer, rs, **task, log))
    return kExitModelError;
  double sec = elapsed() - runStart;
  std::ostringstream os;
  int64_t ran = rs.step - firstStep;
  std::string unit = (*task)->unit();
  os << "rnnc train: " << ran << " steps"
     << (firstStep > 0 ? " (" + std::to_string(firstStep + 1) + " to " +
                             std::to_string(rs.step) + ")"
                       : std::string())
     << ", " << unitsDone << " " << unit << "s in " << formatDuration(sec)
     << " (" << static_cast<int64_t>(unitsDone / std::max(sec, 1e-9)) << " "
     << unit << "s/s)";
  if (std::isfinite(lastVal))
    os << "; validation loss " << lastVal << " " << (*task)->lossLabel();
  os << "\nrnnc train: wrote " << plan.output << ", " << plan.metrics << ", "
     << plan.plot;
  log.message(os.str());
  return interrupted ? kExitModelError : kExitOk;
}

} // namespace

int runTrain(const std::vector<std::string> &args) { return train(args); }

} // namespace rnnc::driver
