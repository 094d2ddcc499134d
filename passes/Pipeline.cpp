//===- passes/Pipeline.cpp - The optimization pipeline rnnc compiles with -===//
//
// Order: canonicalize and cse first so equal weights and folded constants
// are one value; gate-fusion then sees every product of a shared operand;
// hoist-input-projection moves the fused input products (and the weight
// concatenations gate-fusion left in scan bodies) out of the loops; a last
// canonicalize and cse clean up what the moves left behind; sink-slices
// then splits the whole-width sums gate-fusion made back into per-gate
// windows, which codegen fuses with the gate math (it must come after
// gate-fusion, which merges such windows); dce removes what is left.
//
//===----------------------------------------------------------------------===//
#include "passes/Pipeline.h"

#include "passes/Autodiff.h"
#include "passes/PassManager.h"
#include "passes/Passes.h"

namespace rnnc::passes {

const std::vector<std::string> &optimizationPasses() {
  static const std::vector<std::string> names = {"canonicalize",
                                                 "cse",
                                                 "gate-fusion",
                                                 "hoist-input-projection",
                                                 "sink-accumulators",
                                                 "canonicalize",
                                                 "cse",
                                                 "sink-slices",
                                                 "dce"};
  return names;
}

static std::string join(const std::vector<std::string> &names, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += (i ? "," : "") + names[i];
  return out;
}

std::string optimizationPipeline() {
  return join(optimizationPasses(), optimizationPasses().size());
}

Result<std::string> optimizationPipelineUpTo(const std::string &last) {
  const auto &names = optimizationPasses();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == last)
      return join(names, i + 1);
  return makeError("'" + last + "' is not a pass of the optimization " +
                   "pipeline (" + optimizationPipeline() + ")");
}

Status optimizeModule(ir::Module &module, ir::Diagnostics &diags) {
  PassManager pm;
  if (Status s = pm.addPipeline(optimizationPipeline()); !s)
    return s;
  return pm.run(module, diags);
}

Status optimizeFunction(std::unique_ptr<ir::Function> &fn,
                        ir::Diagnostics &diags) {
  ir::Module module;
  module.addFunction(std::move(fn));
  Status s = optimizeModule(module, diags);
  fn = std::move(module.functions().front());
  return s;
}

Result<std::unique_ptr<ir::Function>>
trainingForward(const ir::Function &fn, ir::Diagnostics &diags,
                int64_t rowsPerCall) {
  ir::Module module;
  module.addFunction(cloneFunction(fn));
  PassManager pm;
  // The training passes, told what the caller knows of its calls.
  pm.addPass(rowsPerCall > 0 ? createFoldEmbeddingPassUpTo(rowsPerCall / 2)
                             : createFoldEmbeddingPass());
  if (Status s = pm.run(module, diags); !s)
    return Error{s.error()};
  return std::move(module.functions().front());
}

} // namespace rnnc::passes
