//===- tools/rnnc/RunCommand.cpp - `rnnc run` and `rnnc init` -------------===//
//
// `rnnc run`: whole-sequence inference. The model's arguments are bound by
// role (frontend/ModelInfo.h): inputs from .npy files (in order, or by name
// with --input NAME=FILE), lengths from --lengths (default: every row full),
// targets from files or zeros (the loss is computed but not written), states
// from their declared initial values, parameters from --weights. Every file
// is checked against the argument it binds before anything runs, so a wrong
// shape or dtype is an error naming the file, not a failure deep in the
// generated code. The declared output (or --output NAME) goes to -o as .npy.
//
// `rnnc init`: fresh weights from the model's initializers, as safetensors.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/Command.h"
#include "tools/rnnc/LoadedModel.h"

#include "codegen/CompiledFunction.h"
#include "ir/Interpreter.h"
#include "runtime/Npy.h"
#include "runtime/ThreadPool.h"

#include <chrono>
#include <iostream>

namespace rnnc::driver {

namespace {

/// A file given for one argument.
struct BoundFile {
  std::string path;
  Tensor tensor;
};

/// Splits `--input` occurrences out of `args` (parseModelOptions keeps one
/// value per flag, and --input repeats).
std::vector<std::string> takeRepeated(std::vector<std::string> &args,
                                      const std::string &flag) {
  std::vector<std::string> values, rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a == "--" + flag) {
      // An empty value: reported below, after the usage checks.
      if (i + 1 < args.size())
        values.push_back(args[++i]);
      else
        values.push_back("");
    } else if (a.rfind("--" + flag + "=", 0) == 0) {
      values.push_back(a.substr(flag.size() + 3));
    } else {
      rest.push_back(a);
    }
  }
  args = std::move(rest);
  return values;
}

std::string shapeOf(const Tensor &t) { return t.typeString(); }

/// Checks `t` (from `path`) against argument `slot`, binding its symbols.
bool bindShape(const frontend::SlotInfo &slot, const Tensor &t,
               const std::string &path, std::map<std::string, int64_t> &syms,
               std::map<std::string, std::string> &boundBy) {
  const ir::TensorType &type = slot.type;
  auto fail = [&](const std::string &why) {
    std::cerr << "rnnc run: error: " << path << ": " << slot.role << " '"
              << slot.name << "' must be " << type.str() << ", got "
              << shapeOf(t) << why << "\n";
    return false;
  };
  if (t.dtype() != type.dtype())
    return fail(t.dtype() == DType::F32 ? " (token ids must be integers)"
                                        : " (expected floating point)");
  if (static_cast<size_t>(t.rank()) != type.rank())
    return fail(" (rank " + std::to_string(t.rank()) + ", expected " +
                std::to_string(type.rank()) + ")");
  for (size_t k = 0; k < type.rank(); ++k) {
    const ir::Dim &d = type.dim(k);
    if (d.isStatic()) {
      if (t.dim(k) != d.size)
        return fail(" (dim " + std::to_string(k) + " is " +
                    std::to_string(t.dim(k)) + ")");
      continue;
    }
    auto [it, fresh] = syms.emplace(d.sym, t.dim(k));
    if (fresh) {
      boundBy[d.sym] = path;
    } else if (it->second != t.dim(k)) {
      return fail(" (" + d.sym + " = " + std::to_string(it->second) +
                  " from " + boundBy[d.sym] + ", here " +
                  std::to_string(t.dim(k)) + ")");
    }
  }
  return true;
}

/// The symbol a lengths argument counts: `x_lengths` counts the leading dim
/// of input `x`; `lengths` counts T.
std::string lengthsSymbol(const frontend::ModelInfo &info,
                          const frontend::SlotInfo &slot) {
  const std::string suffix = "_lengths";
  if (slot.name.size() > suffix.size() &&
      slot.name.compare(slot.name.size() - suffix.size(), suffix.size(),
                        suffix) == 0) {
    int i = info.argIndex(slot.name.substr(0, slot.name.size() -
                                                  suffix.size()));
    if (i >= 0 && info.args[i].type.rank() > 0 &&
        !info.args[i].type.dim(0).isStatic())
      return info.args[i].type.dim(0).sym;
  }
  return "T";
}

/// Checks the token ids of argument `a` (from `path`) against its
/// token[V], as the compiled code and the interpreter do: an input's ids
/// must all lie in [0, V), padding too (embed looks up every position, as
/// torch.nn.Embedding does), a target's only up to its row's length
/// (cross_entropy never reads padding, which may hold anything: -100, say).
/// Checked here, where the file can be named: the compiled embed can only
/// say that some id was out of range.
bool checkTokenIds(const frontend::ModelInfo &info, unsigned a,
                   const std::vector<Tensor> &args, const std::string &path) {
  const frontend::SlotInfo &slot = info.args[a];
  const Tensor &t = args[a];
  // A sequence [T, B] is read up to the lengths of its time dim.
  const Tensor *lengths = nullptr;
  if (slot.role == "target" && t.rank() == 2 && !slot.type.dim(0).isStatic())
    for (unsigned l = 0; l < info.args.size(); ++l)
      if (info.args[l].role == "lengths" &&
          lengthsSymbol(info, info.args[l]) == slot.type.dim(0).sym)
        lengths = &args[l];
  const int32_t *ids = t.i32Data();
  for (int64_t k = 0; k < t.numElements(); ++k) {
    if (ids[k] >= 0 && ids[k] < slot.vocab)
      continue;
    int64_t rows = t.rank() == 2 ? t.dim(1) : 1;
    if (lengths && lengths->numElements() == rows &&
        k / rows >= lengths->i32Data()[k % rows])
      continue; // padding
    std::string at;
    for (int64_t r = t.rank() - 1, rest = k; r >= 0; --r) {
      at = std::to_string(rest % t.dim(r)) + (at.empty() ? "" : ", ") + at;
      rest /= t.dim(r);
    }
    std::cerr << "rnnc run: error: " << path << ": " << slot.role << " '"
              << slot.name << "' holds token id " << ids[k] << " at [" << at
              << "], outside token[" << slot.vocab << "] (ids 0 to "
              << slot.vocab - 1 << ")\n";
    return false;
  }
  return true;
}

} // namespace

int runRun(const std::vector<std::string> &argsIn) {
  std::vector<std::string> args = argsIn;
  std::vector<std::string> inputs = takeRepeated(args, "input");
  ModelOptions opts;
  if (!parseModelOptions(args,
                         {"weights", "lengths", "o", "output", "seed", "model",
                          "threads", "torch-map"},
                         "run", opts,
                         {"interpret", "no-cache", "verbose", "no-optimize"}))
    return kExitUsage;
  // The runtime's worker pool, sized before anything runs.
  if (opts.extra.count("threads")) {
    unsigned threads = 0;
    if (!ThreadPool::parseThreadCount(opts.extra["threads"].c_str(), threads)) {
      std::cerr << "rnnc run: error: --threads takes a count from 1 to 64\n";
      return kExitUsage;
    }
    ThreadPool::global().resize(threads);
  }
  auto flag = [&](const char *n) {
    auto it = opts.extra.find(n);
    return it == opts.extra.end() ? std::string() : it->second;
  };
  if (flag("o").empty()) {
    std::cerr << "rnnc run: error: no output file given (-o out.npy)\n";
    return kExitUsage;
  }
  int64_t seed = 0;
  if (!flag("seed").empty() && !parseIntFlag("run", "seed", flag("seed"), seed))
    return kExitUsage;
  // A checkpoint from rnnc train records the sizes it was trained with.
  if (!flag("weights").empty()) {
    auto info = readCheckpointInfo(flag("weights"));
    if (!info) {
      std::cerr << "rnnc run: error: " << info.error() << "\n";
      return kExitModelError;
    }
    adoptCheckpointSizes(opts, info->sizes, flag("weights"));
  }
  auto model = loadModel(opts, flag("model"));
  if (!model)
    return kExitModelError;
  const frontend::ModelInfo &info = model->info;

  // Files for arguments: unnamed --input files bind the inputs in order.
  std::map<unsigned, BoundFile> files;
  unsigned nextInput = 0;
  auto bindFile = [&](int index, const std::string &path) {
    if (files.count(index)) {
      std::cerr << "rnnc run: error: '" << info.args[index].name
                << "' is given twice (" << files[index].path << " and "
                << path << ")\n";
      return false;
    }
    auto t = readNpy(path);
    if (!t) {
      std::cerr << "rnnc run: error: " << t.error() << "\n";
      return false;
    }
    files[index] = {path, t.take()};
    return true;
  };
  for (const std::string &in : inputs) {
    if (in.empty()) {
      std::cerr << "rnnc run: error: '--input' needs FILE.npy or "
                   "NAME=FILE.npy (see 'rnnc run --help')\n";
      return kExitUsage;
    }
    size_t eq = in.find('=');
    if (eq != std::string::npos) {
      std::string name = in.substr(0, eq);
      int i = info.argIndex(name);
      if (i < 0 || info.args[i].role == "param") {
        std::cerr << "rnnc run: error: --input " << in << ": model '"
                  << info.name << "' has no input, target, state or lengths "
                  << "argument named '" << name << "'\n";
        return kExitUsage;
      }
      if (!bindFile(i, in.substr(eq + 1)))
        return kExitModelError;
      continue;
    }
    while (nextInput < info.args.size() &&
           (info.args[nextInput].role != "input" || files.count(nextInput)))
      ++nextInput;
    if (nextInput == info.args.size()) {
      std::cerr << "rnnc run: error: --input " << in << ": model '"
                << info.name << "' has no further input\n";
      return kExitUsage;
    }
    if (!bindFile(nextInput, in))
      return kExitModelError;
  }
  if (!flag("lengths").empty()) {
    int i = info.argIndex("lengths");
    if (i < 0) {
      std::cerr << "rnnc run: error: model '" << info.name
                << "' takes no lengths\n";
      return kExitUsage;
    }
    if (!bindFile(i, flag("lengths")))
      return kExitModelError;
  }
  for (unsigned i = 0; i < info.args.size(); ++i)
    if (info.args[i].role == "input" && !files.count(i)) {
      std::cerr << "rnnc run: error: no file for input '" << info.args[i].name
                << "' " << info.args[i].type.str() << " (--input FILE.npy or "
                << "--input " << info.args[i].name << "=FILE.npy)\n";
      return kExitUsage;
    }

  // Shapes: every file against its argument, binding T, B, ...
  std::map<std::string, int64_t> syms;
  std::map<std::string, std::string> boundBy;
  for (auto &[i, f] : files)
    if (!bindShape(info.args[i], f.tensor, f.path, syms, boundBy))
      return kExitModelError;

  if (!fillParameters(*model, flag("weights"), static_cast<uint64_t>(seed),
                      flag("torch-map")))
    return kExitModelError;
  if (flag("weights").empty())
    std::cerr << "rnnc run: note: no --weights given; using fresh weights "
                 "from the model's initializers (seed "
              << seed << ")\n";

  std::vector<Tensor> callArgs(info.args.size());
  std::map<unsigned, std::string> paths;
  size_t param = 0;
  for (unsigned i = 0; i < info.args.size(); ++i) {
    const frontend::SlotInfo &slot = info.args[i];
    if (slot.role == "param") {
      callArgs[i] = model->params.tensor(param++);
      continue;
    }
    if (files.count(i)) {
      callArgs[i] = std::move(files[i].tensor);
      paths[i] = files[i].path;
      continue;
    }
    std::vector<int64_t> shape;
    for (const ir::Dim &d : slot.type.dims()) {
      if (d.isStatic()) {
        shape.push_back(d.size);
        continue;
      }
      auto it = syms.find(d.sym);
      if (it == syms.end()) {
        std::cerr << "rnnc run: error: no file binds size '" << d.sym
                  << "' of " << slot.role << " '" << slot.name
                  << "'; give it with --input " << slot.name << "=FILE.npy\n";
        return kExitUsage;
      }
      shape.push_back(it->second);
    }
    Tensor t(slot.type.dtype(), shape);
    if (slot.role == "lengths") {
      auto it = syms.find(lengthsSymbol(info, slot));
      int32_t full = it == syms.end() ? 0 : static_cast<int32_t>(it->second);
      for (int32_t &v : t.i32Vec())
        v = full;
    } else if (slot.role == "state" && t.dtype() == DType::F32) {
      for (float &v : t.f32Vec())
        v = static_cast<float>(slot.init.value);
    }
    callArgs[i] = std::move(t);
  }
  for (const auto &[i, path] : paths)
    if (info.args[i].vocab > 0 && !checkTokenIds(info, i, callArgs, path))
      return kExitModelError;

  // Which result to write.
  int outIndex = -1;
  std::string outName = flag("output");
  for (unsigned r = 0; r < info.results.size(); ++r) {
    if (outName.empty() ? info.results[r].role == "output"
                        : info.results[r].name == outName) {
      outIndex = static_cast<int>(r);
      break;
    }
  }
  if (outIndex < 0) {
    std::cerr << "rnnc run: error: model '" << info.name << "' has "
              << (outName.empty() ? "no declared output"
                                  : "no result named '" + outName + "'")
              << "; results:";
    for (const frontend::SlotInfo &r : info.results)
      std::cerr << " " << r.name;
    std::cerr << "\n";
    return kExitUsage;
  }

  bool verbose = opts.extra.count("verbose");
  Result<std::vector<Tensor>> results = std::vector<Tensor>();
  if (opts.extra.count("interpret")) {
    results = ir::interpret(*model->fn, callArgs);
  } else {
    codegen::CompileOptions copts = jitOptions(opts);
    auto start = std::chrono::steady_clock::now();
    auto compiled = codegen::compile(*model->fn, copts);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    if (!compiled) {
      std::cerr << "rnnc run: error: " << opts.file << ": " << compiled.error()
                << "\n";
      return kExitModelError;
    }
    if (verbose)
      std::cerr << "rnnc run: compiled in " << ms << " ms; cache: "
                << ((*compiled)->cacheNote().empty() ? "off"
                                                     : (*compiled)->cacheNote())
                << "\n";
    start = std::chrono::steady_clock::now();
    results = (*compiled)->run(callArgs);
    if (verbose)
      std::cerr << "rnnc run: ran in "
                << std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - start)
                       .count()
                << " ms\n";
  }
  if (!results) {
    std::cerr << "rnnc run: error: " << results.error() << "\n";
    return kExitModelError;
  }
  if (Status s = writeNpy(flag("o"), (*results)[outIndex]); !s) {
    std::cerr << "rnnc run: error: " << s.error() << "\n";
    return kExitModelError;
  }
  return kExitOk;
}

int runInit(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(args, {"seed", "o", "model"}, "init", opts))
    return kExitUsage;
  auto it = opts.extra.find("o");
  if (it == opts.extra.end() || it->second.empty()) {
    std::cerr << "rnnc init: error: no output file given (-o W.safetensors)\n";
    return kExitUsage;
  }
  int64_t seed = 0;
  if (opts.extra.count("seed") &&
      !parseIntFlag("init", "seed", opts.extra["seed"], seed))
    return kExitUsage;
  auto model = loadModel(opts, opts.extra["model"]);
  if (!model)
    return kExitModelError;
  if (!fillParameters(*model, "", static_cast<uint64_t>(seed)))
    return kExitModelError;
  Status s = save(model->params, it->second,
                  {{"model", model->info.name},
                   {"seed", std::to_string(seed)}});
  if (!s) {
    std::cerr << "rnnc init: error: " << s.error() << "\n";
    return kExitModelError;
  }
  return kExitOk;
}

} // namespace rnnc::driver
