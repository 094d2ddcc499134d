//===- passes/Autodiff.h - Reverse-mode autodiff ----------------*- C++ -*-===//
//
// buildGradient turns a model's forward function into a gradient function: an
// IR-to-IR transformation, so the result runs on the reference interpreter and
// through codegen like any other function. docs/autodiff.md has the design
// (the scan adjoint, lengths, what is saved and what is recomputed) and the
// table of adjoints.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_PASSES_AUTODIFF_H
#define RNNC_PASSES_AUTODIFF_H

#include "ir/Function.h"
#include "passes/PassManager.h"
#include "runtime/Result.h"

#include <memory>
#include <vector>

namespace rnnc::passes {

struct GradientOptions {
  /// Index of the result to differentiate; it must be f32[] (the loss).
  unsigned lossResult = 0;
  /// Arguments to differentiate with respect to, by index; empty means every
  /// argument marked {param = true}, in argument order.
  std::vector<unsigned> wrt;
  /// Recompute each scan step's forward activations in the backward scan
  /// instead of saving them (memory for long sequences).
  bool recompute = false;
  /// Run dce, cse, canonicalize, dce on the result (off only to inspect the
  /// raw transformation).
  bool simplify = true;
};

/// Builds a new function named `<fn name>_grad` with the same arguments as fn
/// (same names, types, attributes), whose results are fn's results in order,
/// followed by d loss / d arg for each wrt argument (same type as the arg).
/// Gradient flows only from the loss result (other results, e.g. final carried
/// states, are returned as computed, with no gradient: truncated BPTT).
/// Errors (a non-scalar loss, a wrt arg that is i32, an op without an adjoint)
/// are returned, never asserted.
Result<std::unique_ptr<ir::Function>>
buildGradient(const ir::Function &fn, const GradientOptions &options = {});

/// The argument indices buildGradient differentiates with respect to under
/// `options` (the defaulted wrt list resolved), or an error.
Result<std::vector<unsigned>> gradientArgs(const ir::Function &fn,
                                           const GradientOptions &options = {});

/// A copy of fn (arguments with their names and attributes, body, scan
/// regions) that shares nothing with it, so passes may rewrite one and
/// leave the other as it is.
std::unique_ptr<ir::Function> cloneFunction(const ir::Function &fn);

/// "grad": appends `<fn>_grad` (buildGradient with default options) after
/// each function of the module that has an f32[] first result and a param.
/// A module pass (it adds functions), so it is not among the built-ins that
/// registerAllPasses lists; rnn-opt registers it for `-p grad`.
std::unique_ptr<Pass> createGradientPass();

} // namespace rnnc::passes

#endif // RNNC_PASSES_AUTODIFF_H
