//===- tools/rnnc/BenchCommand.cpp - `rnnc bench`: time compiled models ---===//
//
// Measures JIT-compiled models and prints one JSON line per configuration
// and thread count on stdout (progress on stderr), for scripts such as
// bench/compare to read. A configuration is a model file, its sizes, B, T
// and a mode: "infer" times one call of the model's function over the whole
// sequence, "train" one call of its gradient function (buildModelGradient,
// as rnnc train builds it), and the char-LM entry of --standard one full
// training step (gradient, global-norm clipping, the optimizer's update).
// Built-in cells are benchmarked through a generated one-layer .rnn model
// (BenchModels.h) loaded by the same loadModel as every command, so what is
// timed is what a user's model compiles to, optimization pipeline included.
//
// Timing: wall time, median over --reps calls after one or two warm-up
// calls (the first call faults in the arena and wakes the thread pool).
// Medians rather than means because the machine may be shared.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/BenchModels.h"
#include "tools/rnnc/Command.h"
#include "tools/rnnc/DropoutMasks.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/ModelArgs.h"

#include "codegen/CompiledFunction.h"
#include "frontend/Lowering.h"
#include "passes/Autodiff.h"
#include "runtime/Optimizer.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

namespace rnnc::driver {

namespace {

const char *kCmd = "bench";
/// Weights and inputs are seeded so every run times the same numbers.
constexpr uint64_t kSeed = 1;

bool usageError(const std::string &message) {
  std::cerr << "rnnc bench: error: " << message
            << " (see 'rnnc bench --help')\n";
  return false;
}

int fail(const std::string &message) {
  std::cerr << "rnnc bench: error: " << message << "\n";
  return kExitModelError;
}

struct BenchFlags {
  std::string cell = "lstm", mode = "infer", model, examples;
  int64_t input = 256, hidden = 256, batch = 1, steps = 100, reps = 5;
  /// Empty: the pool's default count (--standard: 1 and 2).
  std::vector<unsigned> threads;
  std::map<std::string, int64_t> sizes;
  bool standard = false, noCache = false, quiet = false, noOptimize = false;
  /// Which flags were given, for the checks of combinations.
  std::set<std::string> given;
};

/// "1,2" -> {1, 2}; false on anything but counts 1..64.
bool parseThreadList(const std::string &text, std::vector<unsigned> &out) {
  std::stringstream ss(text);
  std::string part;
  out.clear();
  while (std::getline(ss, part, ',')) {
    unsigned n = 0;
    if (!ThreadPool::parseThreadCount(part.c_str(), n))
      return false;
    out.push_back(n);
  }
  return !out.empty() && text.back() != ',';
}

bool parseFlags(const std::vector<std::string> &args, BenchFlags &f) {
  // The shared parser (--set NAME=N, --flag value, --flag=value, switches);
  // a model file comes with --model, not as an argument.
  ModelOptions opts;
  if (!parseModelOptions(args,
                         {"cell", "input", "hidden", "batch", "steps", "mode",
                          "threads", "reps", "model", "examples"},
                         kCmd, opts,
                         {"standard", "no-cache", "quiet", "no-optimize"},
                         /*fileRequired=*/false))
    return false;
  if (!opts.file.empty())
    return usageError("unexpected argument '" + opts.file +
                      "' (a model file is given with --model)");
  f.sizes = opts.sizes;
  if (!f.sizes.empty())
    f.given.insert("set");
  for (const auto &[name, value] : opts.extra) {
    f.given.insert(name);
    auto integer = [&](int64_t &out) {
      return parseIntFlag(kCmd, name, value, out, 1);
    };
    if (name == "cell") {
      if (value != "lstm" && value != "gru" && value != "rnn")
        return usageError("--cell must be lstm, gru or rnn, got '" + value +
                          "'");
      f.cell = value;
    } else if (name == "mode") {
      if (value != "infer" && value != "train")
        return usageError("--mode must be infer or train, got '" + value + "'");
      f.mode = value;
    } else if (name == "threads") {
      if (!parseThreadList(value, f.threads))
        return usageError("--threads takes counts from 1 to 64 separated "
                          "by commas (e.g. 1,2), got '" +
                          value + "'");
    } else if (name == "model") {
      f.model = value;
    } else if (name == "examples") {
      f.examples = value;
    } else if (name == "input" || name == "hidden" || name == "batch" ||
               name == "steps" || name == "reps") {
      if (!integer(name == "input"    ? f.input
                   : name == "hidden" ? f.hidden
                   : name == "batch"  ? f.batch
                   : name == "steps"  ? f.steps
                                      : f.reps))
        return false;
      // Sizes go into a generated model file; say which flag is too large
      // rather than point at that temporary file.
      if ((name == "input" || name == "hidden") &&
          (name == "input" ? f.input : f.hidden) > frontend::kMaxSize)
        return usageError("--" + name + " must be at most " +
                          std::to_string(frontend::kMaxSize) + ", got " +
                          value);
    }
  }
  f.standard = f.given.count("standard");
  f.noCache = f.given.count("no-cache");
  f.quiet = f.given.count("quiet");
  f.noOptimize = f.given.count("no-optimize");
  auto conflict = [&](std::initializer_list<const char *> names,
                      const std::string &why) {
    for (const char *n : names)
      if (f.given.count(n))
        return !usageError("--" + std::string(n) + " " + why);
    return false;
  };
  if (f.standard &&
      conflict(
          {"cell", "model", "input", "hidden", "batch", "steps", "mode", "set"},
          "does not go with --standard, which runs fixed configurations"))
    return false;
  if (!f.model.empty() &&
      conflict({"cell", "input", "hidden"},
               "describes a built-in cell; with --model give sizes with "
               "--set NAME=N"))
    return false;
  if (f.model.empty() && f.given.count("set"))
    return usageError("--set binds sizes of a --model file");
  return true;
}

/// A JSON number with about four significant digits and no exponent.
std::string jsonNumber(double v) {
  if (!std::isfinite(v) || v <= 0)
    return "0";
  int digits = 3 - static_cast<int>(std::floor(std::log10(v)));
  digits = std::clamp(digits, 1, 6);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Seconds per call of `call`: the median of `reps` timed calls after the
/// warm-up (two calls, or one when the first took over a second).
Result<double> medianSeconds(const std::function<Status()> &call,
                             int64_t reps) {
  std::vector<double> times;
  // i < 0 are the warm-up calls; a long first call skips the second.
  for (int64_t i = -2; i < reps; ++i) {
    auto t0 = Clock::now();
    Status s = call();
    double sec = secondsSince(t0);
    if (!s)
      return Error{s.error()};
    if (i == -2 && sec > 1.0)
      ++i;
    if (i >= 0)
      times.push_back(sec);
  }
  std::sort(times.begin(), times.end());
  size_t n = times.size();
  return n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
}

/// The JSON "I" when the configuration does not give it: the model's size
/// I, else its first input's feature count (vocabulary for token ids).
int64_t reportedInput(const LoadedModel &m,
                      const std::vector<DeclaredData> &declared) {
  if (m.info.sizes.count("I"))
    return m.info.sizes.at("I");
  for (unsigned i = 0; i < m.info.args.size(); ++i) {
    const frontend::SlotInfo &slot = m.info.args[i];
    if (slot.role != "input")
      continue;
    if (slot.type.dtype() == DType::I32)
      return tokenVocab(m, declared, i);
    const ir::TensorType &t = slot.type;
    return t.rank() > 0 && t.dim(t.rank() - 1).isStatic()
               ? t.dim(t.rank() - 1).size
               : 0;
  }
  return 0;
}

int runConfig(const BenchConfig &cfg, const BenchFlags &flags,
              const std::vector<unsigned> &threadCounts) {
  ModelOptions opts;
  opts.file = cfg.file;
  opts.sizes = cfg.sizes;
  // loadModel, buildModelGradient and jitOptions read these as they do
  // for the other commands.
  if (flags.noCache)
    opts.extra["no-cache"] = "1";
  if (flags.noOptimize)
    opts.extra["no-optimize"] = "1";
  // Training uses the training lowering (dropout multiplies by masks), as
  // rnnc train does; without dropout it is the inference one.
  auto model = loadModel(opts, "", cfg.train);
  if (!model)
    return kExitModelError;
  const frontend::ModelInfo &info = model->info;
  ModelArgs layout(info);
  if (cfg.train && layout.lossResult() < 0)
    return fail(cfg.file + ": model '" + info.name +
                "' has no loss to train (--mode train needs one)");
  std::vector<DeclaredData> declared =
      declaredData(opts, info.name).value_or(std::vector<DeclaredData>());
  if (!fillParameters(*model, "", kSeed))
    return kExitModelError;
  auto argsOr = benchArguments(*model, declared, cfg.batch, cfg.steps, kSeed);
  if (!argsOr)
    return fail(cfg.file + ": " + argsOr.error());
  std::vector<Tensor> args = argsOr.take();

  auto t0 = Clock::now();
  const ir::Function *timed = model->fn;
  std::unique_ptr<ir::Function> grad;
  if (cfg.train) {
    passes::GradientOptions gopts;
    gopts.lossResult = static_cast<unsigned>(layout.lossResult());
    // The gradient rnnc train compiles: the training passes sized for this
    // call's B * T rows, autodiff, then the same pipeline.
    auto g = buildModelGradient(opts, *model->fn, gopts, cfg.batch * cfg.steps);
    if (!g)
      return fail("differentiating '" + info.name + "': " + g.error());
    grad = g.take();
    timed = grad.get();
  }
  auto compiled = codegen::compile(*timed, jitOptions(opts));
  double compileMs = secondsSince(t0) * 1000;
  if (!compiled)
    return fail("compiling '" + timed->name() + "': " + compiled.error());
  auto flops = matmulFlops(*timed, boundSymbols(*timed, args));
  if (!flops)
    return fail("counting the FLOPs of '" + timed->name() +
                "': " + flops.error());

  // The char-LM step as rnnc train runs it: parameters bound, gradient,
  // clip, update, carried state. The train block gives the optimizer.
  std::unique_ptr<Optimizer> optimizer;
  double clip = 0;
  if (cfg.fullStep) {
    std::string name = "adam";
    std::map<std::string, double> optArgs;
    if (info.train.present && !info.train.optimizer.name.empty()) {
      name = info.train.optimizer.name;
      optArgs = info.train.optimizer.args;
    }
    if (info.train.settings.count("lr"))
      optArgs["lr"] = info.train.settings.at("lr");
    if (info.train.settings.count("clip_norm"))
      clip = info.train.settings.at("clip_norm");
    auto opt = makeOptimizer(name, optArgs);
    if (!opt)
      return fail(cfg.file + ": " + opt.error());
    optimizer = opt.take();
  }
  size_t numResults = info.results.size();
  int64_t stepIndex = 0;
  const codegen::CompiledFunction &fn = **compiled;
  // Results are reused from call to call (runInto), as a program that
  // runs the model in a loop would, and as the baselines in bench/ reuse
  // their output buffers: the timing is the compiled code's, without
  // allocating and zero-filling the outputs (6.5 MB for lstm 256 B = 64).
  std::vector<Tensor> out;
  std::function<Status()> call = [&]() -> Status {
    return fn.runInto(args, out);
  };
  if (cfg.fullStep)
    call = [&]() -> Status {
      for (size_t i = 0; i < model->params.size(); ++i)
        args[layout.params()[i]] = model->params.tensor(i);
      Status masks = fillDropoutMasks(info, args, kSeed, stepIndex++);
      if (!masks)
        return masks;
      if (Status run = fn.runInto(args, out); !run)
        return run;
      std::vector<Tensor *> grads, params;
      for (size_t i = 0; i < model->params.size(); ++i) {
        grads.push_back(&out[numResults + i]);
        params.push_back(&model->params.tensor(i));
      }
      clipGlobalNorm(grads, clip);
      std::vector<const Tensor *> cgrads(grads.begin(), grads.end());
      Status st = optimizer->step(params, cgrads, optimizer->baseLr());
      if (!st)
        return st;
      for (size_t s = 0; s < layout.states().size(); ++s)
        std::swap(args[layout.states()[s]], out[layout.finalStates()[s]]);
      return Status::ok();
    };

  std::string label = cfg.label.empty() ? info.name : cfg.label;
  int64_t I = cfg.reportI >= 0 ? cfg.reportI : reportedInput(*model, declared);
  int64_t H = cfg.reportH >= 0        ? cfg.reportH
              : info.sizes.count("H") ? info.sizes.at("H")
                                      : 0;
  const char *mode = cfg.train ? "train" : "infer";
  for (unsigned requested : threadCounts) {
    unsigned threads = ThreadPool::global().resize(requested);
    auto sec = medianSeconds(call, flags.reps);
    if (!sec)
      return fail(label + ": " + sec.error());
    double perStepUs = *sec / static_cast<double>(cfg.steps) * 1e6;
    double gflops = *flops / std::max(*sec, 1e-12) / 1e9;
    double tokensPerSec =
        static_cast<double>(cfg.batch * cfg.steps) / std::max(*sec, 1e-12);
    std::ostringstream js;
    js << "{\"cell\":\"" << label << "\",\"I\":" << I << ",\"H\":" << H
       << ",\"B\":" << cfg.batch << ",\"T\":" << cfg.steps << ",\"mode\":\""
       << mode << "\",\"threads\":" << threads
       << ",\"us_per_step\":" << jsonNumber(perStepUs)
       << ",\"gflops\":" << jsonNumber(gflops)
       << ",\"compile_ms\":" << jsonNumber(compileMs);
    if (cfg.fullStep)
      js << ",\"tokens_per_s\":" << jsonNumber(tokensPerSec);
    js << "}\n";
    // Flushed line by line so a long --standard run can be watched (and
    // an interrupted one keeps what it measured).
    std::cout << js.str() << std::flush;
    if (!flags.quiet) {
      std::ostringstream os;
      os << "rnnc bench: " << label << " I=" << I << " H=" << H
         << " B=" << cfg.batch << " T=" << cfg.steps << " " << mode
         << (cfg.fullStep ? " (full step)" : "") << ", " << threads
         << (threads == 1 ? " thread: " : " threads: ") << jsonNumber(perStepUs)
         << " us/step, " << jsonNumber(gflops) << " GFLOP/s";
      if (cfg.fullStep)
        os << ", " << jsonNumber(tokensPerSec) << " tokens/s";
      // "hit /long/path.o", "miss (stored /long/path.o)" -> "hit", "miss":
      // the outcome is what matters here.
      std::string cache = fn.cacheNote().empty() ? "off" : fn.cacheNote();
      cache = cache.substr(0, std::min(cache.find(" ("), cache.find(" /")));
      os << "; compiled in " << jsonNumber(compileMs) << " ms (cache " << cache
         << ")\n";
      std::cerr << os.str();
    }
  }
  return kExitOk;
}

} // namespace

int runBench(const std::vector<std::string> &args) {
  BenchFlags flags;
  if (!parseFlags(args, flags))
    return kExitUsage;
  std::vector<unsigned> threads = flags.threads;
  if (threads.empty())
    threads = flags.standard
                  ? std::vector<unsigned>{1, 2}
                  : std::vector<unsigned>{ThreadPool::defaultThreadCount()};
  BenchSources files;
  std::vector<BenchConfig> configs;
  if (flags.standard) {
    auto examples = findExamplesDir(flags.examples);
    if (!examples) {
      usageError(examples.error());
      return kExitUsage;
    }
    auto all = standardBenchConfigs(files, *examples);
    if (!all)
      return fail(all.error());
    configs = all.take();
  } else if (!flags.model.empty()) {
    BenchConfig c;
    c.file = flags.model;
    c.sizes = flags.sizes;
    c.batch = flags.batch;
    c.steps = flags.steps;
    c.train = flags.mode == "train";
    configs.push_back(c);
  } else {
    auto c = benchCellConfig(files, flags.cell, flags.input, flags.hidden,
                             flags.batch, flags.steps, flags.mode == "train");
    if (!c)
      return fail(c.error());
    configs.push_back(c.take());
  }
  for (const BenchConfig &c : configs)
    if (int rc = runConfig(c, flags, threads); rc != kExitOk)
      return rc;
  return kExitOk;
}

} // namespace rnnc::driver
