//===- tools/rnnc/LoadedModel.cpp - A model file made ready to run --------===//
#include "tools/rnnc/LoadedModel.h"

#include "codegen/ObjectCache.h"
#include "frontend/Frontend.h"
#include "ir/Verifier.h"
#include "passes/Pipeline.h"
#include "runtime/Safetensors.h"
#include "tools/rnnc/TorchStateDict.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

namespace rnnc::driver {

static InitSpec toRuntimeInit(const frontend::InitSpec &s) {
  InitSpec r;
  r.kind = static_cast<InitSpec::Kind>(static_cast<int>(s.kind));
  r.value = s.value;
  r.low = s.low;
  r.high = s.high;
  r.mean = s.mean;
  r.stddev = s.stddev;
  return r;
}

frontend::LowerOptions lowerOptions(const ModelOptions &opts) {
  frontend::LowerOptions lower;
  lower.sizes = opts.sizes;
  lower.sizeOrigins = opts.sizeOrigins;
  return lower;
}

std::optional<size_t> pickModel(const std::vector<frontend::ModelInfo> &models,
                                const std::string &modelName,
                                const std::string &file,
                                const std::string &namedBy) {
  if (modelName.empty())
    return models.empty() ? std::nullopt
                          : std::optional<size_t>(models.size() - 1);
  for (size_t i = 0; i < models.size(); ++i)
    if (models[i].name == modelName)
      return i;
  std::cerr << "rnnc: error: ";
  if (!namedBy.empty())
    std::cerr << namedBy << " holds the weights of model '" << modelName
              << "', but ";
  std::cerr << file << " has no model named '" << modelName << "'\n";
  return std::nullopt;
}

std::optional<LoadedModel> loadModel(const ModelOptions &opts,
                                     const std::string &modelName,
                                     bool training, bool optimize,
                                     bool allocateParams) {
  std::string text;
  if (!readFile(opts.file, text))
    return std::nullopt;
  ir::Diagnostics diags;
  frontend::LowerOptions lower = lowerOptions(opts);
  lower.training = training;
  auto lowered =
      frontend::compileSource(opts.file, std::move(text), lower, diags);
  if (lowered)
    ir::verifyModule(*lowered->module, diags);
  if (lowered && !diags.hasErrors() && optimize &&
      !opts.extra.count("no-optimize"))
    if (Status s = passes::optimizeModule(*lowered->module, diags); !s) {
      diags.print(std::cerr);
      std::cerr << "rnnc: internal error: optimizing " << opts.file << ": "
                << s.error() << " (--no-optimize skips the passes)\n";
      return std::nullopt;
    }
  diags.print(std::cerr);
  if (!lowered || diags.hasErrors())
    return std::nullopt;
  if (lowered->models.empty()) {
    std::cerr << "rnnc: error: " << opts.file << " declares no model\n";
    return std::nullopt;
  }
  auto pick =
      pickModel(lowered->models, modelName, opts.file, opts.modelNamedBy);
  if (!pick)
    return std::nullopt;
  LoadedModel m;
  m.info = lowered->models[*pick];
  m.module = std::move(lowered->module);
  m.fn = m.module->lookup(m.info.name);
  if (!m.fn) {
    std::cerr << "rnnc: internal error: model '" << m.info.name
              << "' has no function\n";
    return std::nullopt;
  }
  std::vector<ParamSpec> specs;
  for (unsigned i = 0; i < m.info.args.size(); ++i) {
    const frontend::SlotInfo &slot = m.info.args[i];
    if (slot.role != "param")
      continue;
    ParamSpec spec;
    spec.name = slot.name;
    spec.dtype = slot.type.dtype();
    for (const ir::Dim &d : slot.type.dims()) {
      if (!d.isStatic()) {
        std::cerr << "rnnc: error: parameter '" << slot.name
                  << "' has a symbolic shape " << slot.type.str() << "\n";
        return std::nullopt;
      }
      spec.shape.push_back(d.size);
    }
    spec.init = toRuntimeInit(slot.init);
    specs.push_back(std::move(spec));
    m.paramArgs.push_back(i);
  }
  if (!allocateParams)
    return m;
  auto store = ParameterStore::create(std::move(specs));
  if (!store) {
    std::cerr << "rnnc: error: " << opts.file << ": " << store.error() << "\n";
    return std::nullopt;
  }
  m.params = std::move(*store);
  return m;
}

std::optional<std::vector<DeclaredData>>
declaredData(const ModelOptions &opts, const std::string &modelName) {
  std::ifstream in(opts.file, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  ir::Diagnostics diags;
  frontend::Program program;
  if (!frontend::parseAndCheck(opts.file, ss.str(), program, diags) ||
      program.models.empty())
    return std::nullopt;
  const frontend::ModelDecl *model = &program.models.back();
  for (const frontend::ModelDecl &m : program.models)
    if (m.name == modelName)
      model = &m;
  std::vector<DeclaredData> out;
  for (const frontend::ModelStmt &s : model->stmts) {
    if (s.kind != frontend::ModelStmt::Kind::Input &&
        s.kind != frontend::ModelStmt::Kind::Target)
      continue;
    DeclaredData d;
    d.name = s.name;
    d.isInput = s.kind == frontend::ModelStmt::Kind::Input;
    d.isSeq = s.type.isSeq;
    d.isToken = s.type.isToken;
    d.timeName = s.type.timeName;
    for (const frontend::DimExprPtr &dim : s.type.shape.dims) {
      std::string name;
      if (dim->kind == frontend::DimExpr::Kind::Name)
        for (const frontend::SizeParam &p : model->sizes)
          if (p.name == dim->name)
            name = dim->name;
      d.dimNames.push_back(name);
    }
    out.push_back(std::move(d));
  }
  return out;
}

bool fillParameters(LoadedModel &model, const std::string &weightsPath,
                    uint64_t seed, const std::string &torchMap) {
  if (weightsPath.empty() && !torchMap.empty()) {
    std::cerr << "rnnc: error: --torch-map needs --weights (a PyTorch "
                 "state_dict to map)\n";
    return false;
  }
  if (weightsPath.empty()) {
    Status s = model.params.initialize(seed);
    if (!s) {
      std::cerr << "rnnc: error: initializing parameters: " << s.error()
                << "\n";
      return false;
    }
    return true;
  }
  auto file = readSafetensors(weightsPath);
  if (!file) {
    std::cerr << "rnnc: error: " << file.error() << "\n";
    return false;
  }
  // A checkpoint written by rnnc train also holds optimizer and carried
  // state under "optimizer/" and "state/"; those are not parameters. Every
  // other tensor must match the model exactly.
  TensorMap params;
  for (auto &[name, t] : file->tensors)
    if (!isCheckpointExtra(name))
      params.emplace(name, std::move(t));
  // A PyTorch state_dict: its modules' tensors under the model's names.
  if (!torchMap.empty() || hasTorchNames(params, model.params)) {
    auto torch = importTorchWeights(model.info, model.params, params, torchMap,
                                    weightsPath);
    if (!torch) {
      std::cerr << "rnnc: error: " << torch.error() << "\n";
      return false;
    }
    params = std::move(torch->tensors);
    std::string mapped;
    for (const std::string &m : torch->mapped)
      mapped += (mapped.empty() ? "" : ", ") + m;
    std::cerr << "rnnc: note: " << weightsPath << ": PyTorch names: "
              << (mapped.empty() ? "none matched" : mapped) << "\n";
  }
  auto report = loadTensorsInto(model.params, params, weightsPath);
  if (!report) {
    std::cerr << "rnnc: error: " << report.error() << "\n";
    return false;
  }
  return true;
}

bool isCheckpointExtra(const std::string &tensorName) {
  return tensorName.rfind("optimizer/", 0) == 0 ||
         tensorName.rfind("state/", 0) == 0;
}

codegen::CompileOptions jitOptions(const ModelOptions &opts) {
  codegen::CompileOptions copts;
  if (!opts.extra.count("no-cache"))
    copts.cacheDir = codegen::defaultCacheDir();
  // --no-optimize means the code as lowered: no IR passes and no fusion.
  copts.fuseElementwise = !opts.extra.count("no-optimize");
  return copts;
}

std::string dashed(const std::string &flag) {
  return (flag.size() == 1 ? "-" : "--") + flag;
}

bool parseIntFlag(const char *command, const std::string &flag,
                  const std::string &value, int64_t &out, int64_t min) {
  const char *end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, out);
  if (value.empty() || ec != std::errc() || p != end || out < min) {
    std::cerr << "rnnc " << command << ": error: " << dashed(flag)
              << " must be an integer >= " << min << ", got '" << value
              << "'\n";
    return false;
  }
  return true;
}

bool parseFloatFlag(const char *command, const std::string &flag,
                    const std::string &value, double &out) {
  char *end = nullptr;
  out = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() ||
      !std::isfinite(out)) {
    std::cerr << "rnnc " << command << ": error: " << dashed(flag)
              << " must be a number, got '" << value << "'\n";
    return false;
  }
  return true;
}

Result<std::unique_ptr<ir::Function>>
buildModelGradient(const ModelOptions &opts, const ir::Function &fn,
                   const passes::GradientOptions &gradOpts,
                   int64_t rowsPerCall) {
  if (opts.extra.count("no-optimize"))
    return passes::buildGradient(fn, gradOpts);
  ir::Diagnostics diags;
  auto failed = [&](const std::string &error) -> Error {
    std::ostringstream os;
    diags.print(os);
    return makeError(error + (os.str().empty() ? "" : "\n" + os.str()) +
                     " (--no-optimize skips the passes)");
  };
  auto fwd = passes::trainingForward(fn, diags, rowsPerCall);
  if (!fwd)
    return failed(fwd.error());
  auto grad = passes::buildGradient(**fwd, gradOpts);
  if (!grad)
    return grad;
  if (Status s = passes::optimizeFunction(*grad, diags); !s)
    return failed(s.error());
  return grad;
}

} // namespace rnnc::driver
