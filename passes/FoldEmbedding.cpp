//===- passes/FoldEmbedding.cpp - Project the table, not the lookups ------===//
//
// A language model's first layer projects its embedded tokens, after
// hoist-input-projection as one product over all T*B positions:
//
//   %e = embed(%table, %ids) : f32[T,B,E]          table: f32[V,E]
//   %p = matmul(%e, %W) {transpose_b = true} : f32[T,B,N]
//
// Each row of %p is a row of table @ W^T, so the product can be taken over
// the V rows of the table instead and the lookups made in its result:
//
//   %t = matmul(%table, %W) {transpose_b = true} : f32[V,N]
//   %p = embed(%t, %ids) : f32[T,B,N]
//
// 2*V*E*N flops instead of 2*T*B*E*N, and the gradient built from the
// folded form (reverse-mode through embed, then through the small product)
// is dtable = embed_grad(ids, dp) @ W and dW = embed_grad(ids, dp)^T @ table:
// one scatter-add of dp and two V-row products, where the unfolded form
// takes two products over all T*B rows (dp @ W and dp^T @ e). For the
// char-LM (V = 65, T*B = 2048) that removes ~97% of the first layer's
// input-projection work, forward and backward.
//
// It pays only while V is small against the rows a call embeds, which the
// IR does not know (T and B are bound at run time): a one-token sampling
// step would multiply the whole table for one row. So the pass is not in
// the optimization pipeline every command runs; it is one of the training
// passes (passes/Pipeline.h), run on the forward function a gradient is
// built from, where a call covers a training window. It folds tables of at
// most kMaxTableRows rows, and a caller that knows its rows per call (rnnc
// train's B * bptt for a text stream) lowers that limit to half of them
// (createFoldEmbeddingPassUpTo): the unfolded form's two products over the
// rows then cost at least what the folded form's table products and
// scatter-add do.
//
// Rewrite: in the function's top-level block (not in a scan body, where a
// product covers one step's B rows), a matmul whose first operand is the
// result of an embed, not transposed, and whose second operand is a matrix
// (rank 2; not a batched product), with a table of static row count <=
// kMaxTableRows. The embed stays as long as something else reads it. Values
// are those of the same products summed in the same order over E, so
// results agree to rounding of the product kernels' reductions.
//
//===----------------------------------------------------------------------===//
#include "ir/Block.h"
#include "ir/Builder.h"
#include "passes/Passes.h"

#include <algorithm>

namespace rnnc::passes {

using namespace ir;

namespace {

/// The largest vocabulary folded when the rows per call are unknown. A
/// training window is rarely under 512 rows (B * T), so the table product
/// costs at most what it replaces.
constexpr int64_t kMaxTableRows = 512;

/// The embed feeding `mm` as its untransposed left operand, if `mm` is a
/// product the rewrite applies to.
Operation *foldableEmbed(const Operation &mm, const Block &block,
                         int64_t maxRows) {
  if (mm.kind() != OpKind::MatMul || mm.getBool("transpose_a"))
    return nullptr;
  Operation *e = mm.operand(0)->definingOp();
  if (!e || e->kind() != OpKind::Embed || e->parentBlock() != &block)
    return nullptr;
  const TensorType &table = e->operand(0)->type();
  const TensorType &w = mm.operand(1)->type();
  if (table.rank() != 2 || w.rank() != 2 || !table.dim(0).isStatic() ||
      table.dim(0).size > maxRows)
    return nullptr;
  return e;
}

bool foldOne(Block &block, int64_t maxRows) {
  for (auto &opPtr : block.ops()) {
    Operation *mm = opPtr.get();
    Operation *e = foldableEmbed(*mm, block, maxRows);
    if (!e)
      continue;
    Builder b;
    b.setInsertionPointBefore(mm);
    b.setLoc(mm->loc());
    Value *t = b.matmul(e->operand(0), mm->operand(1), false,
                        mm->getBool("transpose_b"));
    Value *p = t ? b.embed(t, e->operand(1)) : nullptr;
    if (!p || p->type() != mm->result(0)->type()) {
      // A type rule refused it: leave the product as it was.
      block.eraseBuilt({p, t});
      continue;
    }
    p->setName(mm->result(0)->name());
    mm->result(0)->replaceAllUsesWith(p);
    block.erase(mm);
    if (!e->result(0)->hasUses())
      block.erase(e);
    return true;
  }
  return false;
}

class FoldEmbeddingPass : public FunctionPass {
public:
  explicit FoldEmbeddingPass(int64_t maxRows) : maxRows(maxRows) {}
  std::string_view name() const override { return "fold-embedding"; }
  std::string_view description() const override {
    return "Project a small embedding table once and look up its rows "
           "instead of projecting every embedded position (a training pass)";
  }
  Status runOnFunction(Function &fn) override {
    while (foldOne(fn.body(), maxRows)) {
    }
    return Status::ok();
  }

private:
  int64_t maxRows;
};

} // namespace

std::unique_ptr<Pass> createFoldEmbeddingPass() {
  return std::make_unique<FoldEmbeddingPass>(kMaxTableRows);
}

std::unique_ptr<Pass> createFoldEmbeddingPassUpTo(int64_t maxTableRows) {
  return std::make_unique<FoldEmbeddingPass>(
      std::min(maxTableRows, kMaxTableRows));
}

} // namespace rnnc::passes
