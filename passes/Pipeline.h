//===- passes/Pipeline.h - The optimization pipeline rnnc compiles with -*- C++
//-*-===//
//
// One place names the passes every command runs on a model before code
// generation (and on its gradient function), so `rnnc run`, `train`,
// `compile`, `bench` and `rnnc ir --after PASS` all see the same IR.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_PASSES_PIPELINE_H
#define RNNC_PASSES_PIPELINE_H

#include "ir/Diagnostics.h"
#include "ir/Function.h"
#include "runtime/Result.h"

#include <string>
#include <vector>

namespace rnnc::passes {

/// The pass names of the optimization pipeline, in order.
const std::vector<std::string> &optimizationPasses();

/// The pipeline as a comma-separated string (for PassManager::addPipeline).
std::string optimizationPipeline();

/// The pipeline up to and including the first pass named `last`; an error
/// naming the pipeline's passes if it has none of that name.
Result<std::string> optimizationPipelineUpTo(const std::string &last);

/// Runs the optimization pipeline on every function of `module` (verifying
/// after each pass). The error names the failing pass; the verifier's
/// messages go to `diags`.
Status optimizeModule(ir::Module &module, ir::Diagnostics &diags);

/// The same on one function, moved into a temporary module and back (for a
/// function built outside a module, like a gradient).
Status optimizeFunction(std::unique_ptr<ir::Function> &fn,
                        ir::Diagnostics &diags);

/// The forward function rnnc builds its training gradient from: a copy of
/// fn (already optimized) with the training passes run on it, rewrites that
/// pay off over the many rows of a training window but not over the one
/// row of a sampling step, so they are not in the optimization pipeline
/// (now one, fold-embedding). fn itself is left unchanged (commands still
/// run it as it is). `rowsPerCall` is the number of positions (B * T) each
/// call will embed when the caller knows it, 0 when not; where known,
/// fold-embedding folds only tables of at most half that many rows. Errors
/// name the failing pass; the verifier's messages go to `diags`.
Result<std::unique_ptr<ir::Function>> trainingForward(const ir::Function &fn,
                                                      ir::Diagnostics &diags,
                                                      int64_t rowsPerCall = 0);

} // namespace rnnc::passes

#endif // RNNC_PASSES_PIPELINE_H
