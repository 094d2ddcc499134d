//===- tools/rnnc/IrCommand.cpp - `rnnc ir`: print the AST or the IR ------===//
#include "tools/rnnc/Command.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/TargetFlags.h"

#include "codegen/CompiledFunction.h"

#include "frontend/Frontend.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <iostream>

namespace rnnc::driver {

/// --emit=llvm|asm: the chosen model's function through codegen.
static int emitMachineLevel(ModelOptions &opts, const std::string &emit) {
  codegen::CompileOptions copts;
  if (!parseTargetFlags("ir", opts, copts))
    return kExitUsage;
  auto model = loadModel(opts, opts.extra["model"]);
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
  if (!parseModelOptions(args, {"emit", "target", "cpu", "features", "O",
                                 "model"},
                         "ir", opts, {"training"}))
    return kExitUsage;
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
  frontend::LowerOptions lower;
  lower.sizes = opts.sizes;
  // --training: the training lowering (dropout masks as arguments).
  lower.training = opts.extra.count("training") != 0;
  auto lowered = frontend::compileSource(opts.file, std::move(text), lower,
                                         diags, &program);
  if (lowered)
    ir::verifyModule(*lowered->module, diags);
  diags.print(std::cerr);
  if (!lowered || diags.hasErrors())
    return kExitModelError;
  if (emit == "info")
    for (const frontend::ModelInfo &m : lowered->models)
      std::cout << m.str();
  else
    ir::printModule(*lowered->module, std::cout);
  return kExitOk;
}

} // namespace rnnc::driver
