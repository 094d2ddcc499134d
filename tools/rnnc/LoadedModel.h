//===- tools/rnnc/LoadedModel.h - A model file made ready to run -*- C++ -*-===//
//
// Every command that runs a model (run, init, compile, train, sample, eval)
// starts the same way: read the .rnn file, lower it with the --set sizes,
// verify the IR, pick the model, and build its ParameterStore from the
// calling convention (frontend/ModelInfo.h). This file does that once.
// Diagnostics of the model file are printed here (file:line:col with caret),
// since only tools print; the caller just returns kExitModelError.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_LOADEDMODEL_H
#define RNNC_TOOLS_RNNC_LOADEDMODEL_H

#include "codegen/CompiledFunction.h"
#include "frontend/Lowering.h"
#include "frontend/ModelInfo.h"
#include "ir/Function.h"
#include "passes/Autodiff.h"
#include "runtime/ParameterStore.h"
#include "tools/rnnc/Command.h"

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace rnnc::driver {

struct LoadedModel {
  std::unique_ptr<ir::Module> module;
  /// The chosen model's function (owned by module) and its convention.
  ir::Function *fn = nullptr;
  frontend::ModelInfo info;
  /// One tensor per "param" argument, in argument order; zero until
  /// initialized or loaded.
  ParameterStore params;
  /// Indices into fn's arguments of the parameters, in store order.
  std::vector<unsigned> paramArgs;
};

/// The frontend's options for `opts`: its size bindings and where each came
/// from.
frontend::LowerOptions lowerOptions(const ModelOptions &opts);

/// The index in `models` of the one named `modelName` (empty: the last, the
/// one using the others); nothing, with an error naming `file`, when there
/// is no such model (or none at all). `namedBy`: the checkpoint that named
/// the model, if one did (the error then says so).
std::optional<size_t> pickModel(const std::vector<frontend::ModelInfo> &models,
                                const std::string &modelName,
                                const std::string &file,
                                const std::string &namedBy = "");

/// Reads, lowers and verifies `opts.file` with `opts.sizes`. With several
/// models in the file, `modelName` picks one (empty: the last, which is the
/// one using the others). `training` lowers the training variant (dropout
/// multiplies by mask arguments, role "dropout_mask"). Prints diagnostics
/// to stderr; nothing on failure.
/// Unless `optimize` is false or the command was given --no-optimize, the
/// module then goes through the optimization pipeline (passes/Pipeline.h);
/// parameters and the calling convention are unchanged by it.
/// With `allocateParams` false, `params` stays empty (paramArgs is filled):
/// for code generation alone, which never reads weights.
std::optional<LoadedModel> loadModel(const ModelOptions &opts,
                                     const std::string &modelName = "",
                                     bool training = false,
                                     bool optimize = true,
                                     bool allocateParams = true);

/// The gradient function of `fn` (passes::buildGradient), built from
/// passes::trainingForward(fn, rowsPerCall) and optimized like the forward
/// one, unless the command was given --no-optimize (then from fn as it is,
/// unoptimized). `rowsPerCall`: the positions (B * T) each call covers when
/// the command knows them, else 0. The error is ready to print after
/// "differentiating 'model': ".
Result<std::unique_ptr<ir::Function>>
buildModelGradient(const ModelOptions &opts, const ir::Function &fn,
                   const passes::GradientOptions &gradOpts,
                   int64_t rowsPerCall = 0);

/// A model's declared input or target, read from the syntax tree before
/// lowering (so a command can bind sizes from the data first).
struct DeclaredData {
  std::string name;
  bool isInput = true; // else a target
  bool isSeq = false;
  bool isToken = false;
  /// Each dim of the declared shape: the size parameter's name when it is
  /// written as a bare name of one (`V` in token[V]), else "".
  std::vector<std::string> dimNames;
  /// The sequence's own length name (`S` in seq[token[V], S]), else "".
  std::string timeName;
};

/// The declared inputs and targets of the model (the last, or `modelName`),
/// in source order; nothing if the file does not parse (loadModel reports
/// that).
std::optional<std::vector<DeclaredData>>
declaredData(const ModelOptions &opts, const std::string &modelName = "");

/// Fills the parameters: from the safetensors file at `weightsPath` when it
/// is non-empty (every mismatch reported, naming the file), else from the
/// model's initializers with `seed`. A file with PyTorch names (or any file,
/// given a `torchMap`, the --torch-map text) goes through
/// importTorchWeights (TorchStateDict.h) first. Prints the error and returns
/// false.
bool fillParameters(LoadedModel &model, const std::string &weightsPath,
                    uint64_t seed, const std::string &torchMap = "");

/// Whether a tensor of a checkpoint is optimizer or carried state rather
/// than a parameter ("optimizer/..." and "state/...").
bool isCheckpointExtra(const std::string &tensorName);

/// JIT options for a command: the on-disk object cache unless the command
/// was given --no-cache.
codegen::CompileOptions jitOptions(const ModelOptions &opts);

/// Parses a decimal integer flag value, printing an error naming the flag.
bool parseIntFlag(const char *command, const std::string &flag,
                  const std::string &value, int64_t &out, int64_t min = 0);
/// How the user spelled a flag: -n, -O, but --batch.
std::string dashed(const std::string &flag);
/// Parses a floating-point flag value, printing an error naming the flag.
bool parseFloatFlag(const char *command, const std::string &flag,
                    const std::string &value, double &out);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_LOADEDMODEL_H
