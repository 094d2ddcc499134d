//===- tools/rnnc/IrCommand.cpp - `rnnc ir`: print the AST or the IR ------===//
#include "tools/rnnc/Command.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/TargetFlags.h"

#include "codegen/CompiledFunction.h"

#include "frontend/Frontend.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassManager.h"
#include "passes/Pipeline.h"

#include <iostream>

namespace rnnc::driver {

/// --emit=llvm|asm: the chosen model's function through codegen.
static int emitMachineLevel(ModelOptions &opts, const std::string &emit) {
  codegen::CompileOptions copts;
  if (!parseTargetFlags("ir", opts, copts))
    return kExitUsage;
  copts.fuseElementwise = !opts.extra.count("no-optimize");
  // The weights are not needed to print code: not allocating them keeps
  // `ir --emit=llvm` of a large model from filling gigabytes first.
  auto model = loadModel(opts, opts.extra["model"], /*training=*/false,
                         /*optimize=*/true, /*allocateParams=*/false);
  if (!model)
    return kExitModelError;
  auto text = emit == "llvm" ? codegen::emitLLVMIR(*model->fn, copts)
                             : codegen::emitAssembly(*model->fn, copts);
  if (!text) {
    std::cerr << "rnnc ir: error: " << text.error() << "\n";
    return kExitModelError;
  }
  std::cout << *text;
  return kExitOk;
}

int runIr(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(
          args, {"emit", "target", "cpu", "features", "O", "model", "after"},
          "ir", opts, {"training", "optimize", "no-optimize"}))
    return kExitUsage;
  // --after PASS / --optimize: the IR after the optimization pipeline up to
  // PASS, or all of it (llvm and asm always see the whole pipeline, as the
  // JIT does, unless --no-optimize).
  std::string pipeline;
  if (opts.extra.count("after")) {
    auto upTo = passes::optimizationPipelineUpTo(opts.extra["after"]);
    if (!upTo) {
      std::cerr << "rnnc ir: error: --after: " << upTo.error() << "\n";
      return kExitUsage;
    }
    pipeline = *upTo;
  } else if (opts.extra.count("optimize")) {
    pipeline = passes::optimizationPipeline();
  }
  std::string emit = opts.extra.count("emit") ? opts.extra["emit"] : "ir";
  if (emit != "ast" && emit != "ir" && emit != "info" && emit != "llvm" &&
      emit != "asm") {
    std::cerr << "rnnc ir: error: --emit must be ast, ir, info, llvm or asm, "
                 "got '"
              << emit << "'\n";
    return kExitUsage;
  }
  if (emit == "llvm" || emit == "asm")
    return emitMachineLevel(opts, emit);
  // Code-generation flags would be ignored here; a user who gave one
  // expected an effect.
  // (--no-optimize too: these levels show the IR as lowered unless
  // --optimize or --after asks for the passes.)
  for (const char *flag : {"target", "cpu", "features", "O", "no-optimize"})
    if (opts.extra.count(flag)) {
      std::cerr << "rnnc ir: error: " << dashed(flag)
                << " applies to --emit=llvm and --emit=asm, not --emit=" << emit
                << "\n";
      return kExitUsage;
    }
  std::string text;
  if (!readFile(opts.file, text))
    return kExitModelError;
  ir::Diagnostics diags;
  frontend::Program program;
  if (emit == "ast") {
    bool ok =
        frontend::parseAndCheck(opts.file, std::move(text), program, diags);
    diags.print(std::cerr);
    if (!ok)
      return kExitModelError;
    frontend::dumpProgram(program, std::cout);
    return kExitOk;
  }
  frontend::LowerOptions lower = lowerOptions(opts);
  // --training: the training lowering (dropout masks as arguments).
  lower.training = opts.extra.count("training") != 0;
  auto lowered = frontend::compileSource(opts.file, std::move(text), lower,
                                         diags, &program);
  if (lowered)
    ir::verifyModule(*lowered->module, diags);
  if (lowered && !diags.hasErrors() && !pipeline.empty()) {
    passes::PassManager pm;
    Status s = pm.addPipeline(pipeline);
    if (s)
      s = pm.run(*lowered->module, diags);
    if (!s) {
      diags.print(std::cerr);
      std::cerr << "rnnc ir: internal error: " << s.error() << "\n";
      return kExitModelError;
    }
  }
  diags.print(std::cerr);
  if (!lowered || diags.hasErrors())
    return kExitModelError;
  // --model NAME: only that model's IR or info (every model's otherwise),
  // and an error, as the other commands give, when there is none.
  const frontend::ModelInfo *picked = nullptr;
  if (opts.extra.count("model")) {
    auto i = pickModel(lowered->models, opts.extra["model"], opts.file);
    if (!i)
      return kExitModelError;
    picked = &lowered->models[*i];
  }
  const ir::Function *fn =
      picked ? lowered->module->lookup(picked->name) : nullptr;
  if (emit == "info") {
    for (const frontend::ModelInfo &m : lowered->models)
      if (!picked || &m == picked)
        std::cout << m.str();
  } else if (fn) {
    ir::printFunction(*fn, std::cout);
  } else {
    ir::printModule(*lowered->module, std::cout);
  }
  return kExitOk;
}

} // namespace rnnc::driver
