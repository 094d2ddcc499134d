//===- passes/Passes.h - Factories of the passes in passes/ -----*- C++ -*-===//
//
// The public face of every pass: a factory returning a fresh instance. Each
// pass lives in its own .cpp file whose top comment states its algorithm;
// registerAllPasses (PassManager.cpp) registers each factory under the pass's
// textual name. docs/passes.md describes the passes with examples.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_PASSES_PASSES_H
#define RNNC_PASSES_PASSES_H

#include "passes/PassManager.h"

#include <memory>

namespace rnnc::passes {

/// "canonicalize": constant folding and algebraic simplification.
std::unique_ptr<Pass> createCanonicalizePass();
/// "cse": merges identical side-effect-free ops within each block.
std::unique_ptr<Pass> createCSEPass();
/// "dce": removes unused ops, and unused outputs, carries, captures and
/// sequences of scans.
std::unique_ptr<Pass> createDCEPass();
/// "fold-embedding": matmul(embed(table, ids), W) -> embed(table @ W, ids)
/// for small tables; a training pass (Pipeline.h), not in the pipeline.
std::unique_ptr<Pass> createFoldEmbeddingPass();
/// fold-embedding for tables of at most min(maxTableRows, 512) rows.
std::unique_ptr<Pass> createFoldEmbeddingPassUpTo(int64_t maxTableRows);
std::unique_ptr<Pass> createGateFusionPass();
std::unique_ptr<Pass> createHoistInputProjectionPass();
std::unique_ptr<Pass> createSinkAccumulatorsPass();
std::unique_ptr<Pass> createSinkSlicesPass();

} // namespace rnnc::passes

#endif // RNNC_PASSES_PASSES_H
