//===- codegen/FunctionLowering.h - One function's lowering --*- C++ -*-===//
//
// Internal to codegen. FunctionLowering turns one ir::Function into LLVM IR:
// FunctionLowering.cpp holds the driver (signature, buffers, op dispatch,
// return) and the helpers every op uses (loops, copies, run-time errors); each
// family of ops lowers in its own file (LowerElementwise.cpp, LowerShape.cpp,
// LowerReductions.cpp, LowerTokens.cpp, LowerScan.cpp).
//
// Every IR value lives in a contiguous row-major buffer. Buffers are allocated
// from the runtime arena in a dedicated `alloc` block that runs once on entry,
// even for values inside scan bodies, so a loop over time never allocates.
// The block is filled lazily as ops are lowered and closed at the end with one
// check for allocation failure. A returned value computed by a top-level op
// is written straight into the caller's result buffer.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_FUNCTIONLOWERING_H
#define RNNC_CODEGEN_FUNCTIONLOWERING_H

#include "codegen/FusionPlan.h"
#include "codegen/Lowering.h"
#include "codegen/RuntimeSymbols.h"
#include "runtime/KernelABI.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/IRBuilder.h"

#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace rnnc::codegen {

/// A tensor in generated code: its data and its dims as i64 values.
struct Buffer {
  llvm::Value *data = nullptr;
  std::vector<llvm::Value *> dims;
  DType dtype = DType::F32;
};

/// Whether `op` is a batched matmul A^T B whose only use is a reduce_sum
/// over all its batch dims: lowered as one GEMM by that reduce_sum, with no
/// buffer of its own.
bool isContractedSum(const ir::Operation &op);

/// The `axis` attribute of `op` over a value of `rank`, made non-negative.
int64_t normalizedAxis(const ir::Operation &op, size_t rank);

/// The batch dim's symbol when every step of `scan` computes each batch
/// row from that row alone, so the scan may run on disjoint rows in
/// parallel (ScanRows.cpp has the rules); nullopt otherwise.
std::optional<std::string> rowSplitSymbol(const ir::Operation &scan);

/// Whether a value of type `t` has one row per batch row (`sym` at dim 0).
inline bool hasRowsOf(const ir::TensorType &t, const std::string &sym) {
  return t.rank() >= 1 && !t.dim(0).isStatic() && t.dim(0).sym == sym;
}

class FunctionLowering {
public:
  FunctionLowering(const ir::Function &fn, llvm::Module &module,
                   const TargetSpec &target, bool fuse = true);
  llvm::Expected<LoweredSignature> run();

  // --- Helpers shared by the op lowerings ------------------------------
  llvm::LLVMContext &ctx;
  llvm::Module &module;
  llvm::IRBuilder<> b;

  llvm::Type *elemType(DType dtype);
  llvm::Type *f32Ty() { return b.getFloatTy(); }
  llvm::Type *i64Ty() { return b.getInt64Ty(); }
  llvm::Value *i64(int64_t v) { return b.getInt64(v); }
  llvm::Value *f32(double v) { return llvm::ConstantFP::get(f32Ty(), v); }

  /// The buffer of an already lowered value.
  const Buffer &bufferOf(const ir::Value *v) const;
  /// Gives `v` a buffer: the caller's result buffer when `v` is returned,
  /// else fresh arena memory.
  const Buffer &define(const ir::Value *v);
  /// Makes the next define(v) use `data` instead of new memory: a scan
  /// places a body value it yields as an output straight into row t of the
  /// stacked result.
  void placeInto(const ir::Value *v, llvm::Value *data) { placed[v] = data; }
  bool isPlaced(const ir::Value *v) const { return placed.count(v) != 0; }
  /// Binds `v` to existing memory (views, scan body arguments).
  const Buffer &bind(const ir::Value *v, llvm::Value *data);
  /// Arena memory for `elems` elements of `dtype`, allocated on entry;
  /// `elems` must be computable at entry (constants and symbol loads).
  llvm::Value *allocate(llvm::Value *elems, DType dtype,
                        const llvm::Twine &name = "");

  /// The run-time dims of a type (constants, or symbol values).
  std::vector<llvm::Value *> dimsOf(const ir::TensorType &type);
  /// The product of dims [begin, end) (1 for an empty range).
  llvm::Value *product(llvm::ArrayRef<llvm::Value *> dims, size_t begin = 0,
                       size_t end = ~size_t(0));
  llvm::Value *product(llvm::IRBuilderBase &builder,
                       llvm::ArrayRef<llvm::Value *> dims, size_t begin = 0,
                       size_t end = ~size_t(0));

  /// The address of element `index` of a buffer of `dtype`.
  llvm::Value *elemPtr(DType dtype, llvm::Value *base, llvm::Value *index);
  llvm::Value *load(DType dtype, llvm::Value *base, llvm::Value *index);
  void store(DType dtype, llvm::Value *val, llvm::Value *base,
             llvm::Value *index);

  /// for (i = 0; i < n; ++i) body(i); leaves the builder after the loop.
  /// interleave > 1 asks the loop vectorizer to interleave that many
  /// vector iterations (independent dependency chains).
  void emitLoop(llvm::Value *n, const llvm::Twine &name,
                llvm::function_ref<void(llvm::Value *)> body,
                unsigned interleave = 0);
  /// for (i = begin; i < end; ++i) body(i).
  void emitRange(llvm::Value *begin, llvm::Value *end, const llvm::Twine &name,
                 llvm::function_ref<void(llvm::Value *)> body);
  /// The estimated work (about vector instructions) below which a loop of
  /// static size is never outlined for rnnc_parallel_for: it stays inline.
  static constexpr int64_t kOutlineWork = 4096;
  /// body(begin, end) over [0, n): emitted into an outlined function that
  /// rnnc_parallel_for (runtime/KernelABI.h) runs in contiguous parts on
  /// the thread pool when `work` (in about vector instructions) repays
  /// waking a thread, else once; inline when `work` is a small constant.
  /// body may use this function's values freely (passOuterValues passes
  /// them), but its parts run at the same time: each must write only its
  /// own elements, so no shared accumulator slot and no reportError.
  void emitParallelLoop(
      llvm::Value *n, llvm::Value *work, const llvm::Twine &name,
      llvm::function_ref<void(llvm::Value *begin, llvm::Value *end)> body);
  /// if (cond) then(); leaves the builder after the if.
  void emitIf(llvm::Value *cond, llvm::function_ref<void()> then);
  /// A stack slot in the entry block (promoted to SSA by mem2reg); used for
  /// accumulators so loops need no hand-built phis.
  llvm::AllocaInst *entryAlloca(llvm::Type *type, const llvm::Twine &name);
  /// Copies `elems` elements.
  void copy(DType dtype, llvm::Value *dst, llvm::Value *src,
            llvm::Value *elems);
  /// Fills `elems` elements with `value`.
  void fill(DType dtype, llvm::Value *dst, llvm::Value *value,
            llvm::Value *elems);
  /// Records a run-time error (runtime/KernelABI.h codes).
  void reportError(int32_t code, llvm::Value *a, llvm::Value *bound);
  llvm::FunctionCallee runtime(RuntimeFn fn) {
    return declareRuntimeFunction(module, fn);
  }

  /// An error naming the op.
  llvm::Error fail(const ir::Operation &op, const llvm::Twine &message);

  /// Lowers the ops of `block` up to (not including) its terminator.
  llvm::Error lowerBlock(const ir::Block &block);

private:
  /// How fused loops read a value in place: a base pointer and a stride per
  /// dim; contiguous[d]: stride d is stride d+1 times dim d+1.
  struct View {
    llvm::Value *base = nullptr;
    std::vector<llvm::Value *> strides;
    std::vector<bool> contiguous;
  };
  /// The view of a slice the plan reads in place, else of v's buffer.
  View viewOf(const ir::Value *v);
  /// A slice or split read in place (FusionPlan::views): no code, a view.
  llvm::Error lowerView(const ir::Operation &op);
  /// One loop nest for a group of elementwise ops (LowerElementwise.cpp).
  llvm::Error lowerGroup(const FusionGroup &group);
  /// The alias scope of the buffer `ptr` points into; null if unknown.
  llvm::MDNode *aliasScopeOf(llvm::Value *ptr);
  /// Makes the buffers a pointer-mode scan carry may be in one alias scope
  /// (LowerScan.cpp): `members` are the places the carry lives (its own
  /// buffer first, then ping-pong buffers or its output), and `slot` the
  /// alloca that holds where it is now, whose loads then get that scope
  /// too. Does nothing unless every member is a known distinct object and
  /// none is in another family, so scopes only ever merge soundly.
  void shareAliasScope(llvm::ArrayRef<llvm::Value *> members,
                       llvm::Value *slot);
  /// A pointer chosen among a family's members (a select by step parity).
  void addToAliasFamily(llvm::Value *ptr, llvm::Value *memberOfFamily);
  /// Whether `root` (an underlying object) is known to be distinct from
  /// every other buffer.
  bool knownObject(const llvm::Value *root) const;

  llvm::Error lowerOp(const ir::Operation &op);
  llvm::Error lowerConstant(const ir::Operation &op);
  llvm::Error lowerElementwise(const ir::Operation &op);
  llvm::Error lowerCast(const ir::Operation &op);
  llvm::Error lowerMatMul(const ir::Operation &op);
  /// reduce_sum over the batch of a batched A^T B (isContractedSum).
  llvm::Error lowerContractedSum(const ir::Operation &sum);
  llvm::Error lowerConcat(const ir::Operation &op);
  bool concatMayAlias(const ir::Operation &op);
  llvm::Error lowerSplitOrSlice(const ir::Operation &op);
  llvm::Error lowerReshape(const ir::Operation &op);
  llvm::Error lowerTranspose(const ir::Operation &op);
  llvm::Error lowerReduce(const ir::Operation &op);
  llvm::Error lowerSoftmax(const ir::Operation &op);
  /// The max m of x(j) over j < len and the sum of e^(x(j) - m), each
  /// e^(x(j) - m) also handed to `each` (unless empty): the core that
  /// softmax and cross_entropy share.
  std::pair<llvm::Value *, llvm::Value *>
  emitMaxAndExpSum(llvm::Value *len,
                   llvm::function_ref<llvm::Value *(llvm::Value *)> x,
                   llvm::function_ref<void(llvm::Value *, llvm::Value *)> each);
  llvm::Error lowerEmbed(const ir::Operation &op);
  llvm::Error lowerEmbedGrad(const ir::Operation &op);
  llvm::Error lowerOneHot(const ir::Operation &op);
  llvm::Error lowerLengthMask(const ir::Operation &op);
  llvm::Error lowerCrossEntropy(const ir::Operation &op);
  llvm::Error lowerMse(const ir::Operation &op);
  llvm::Error lowerScan(const ir::Operation &op);
  /// Packs, before a scan's loop, the weights of its per-step products
  /// against a captured matrix (runtime/PackedMatMul.cpp); lowerMatMul then
  /// multiplies against the packed copy.
  void packScanWeights(const ir::Block &body, const ir::ScanLayout &layout,
                       llvm::Value *steps);
  /// Where the builder was before enterOutlined.
  struct OutlinedScope {
    llvm::Function *fn, *outerFn;
    llvm::BasicBlock *outerEntry;
    llvm::IRBuilderBase::InsertPoint ip;
  };
  /// Starts an internal function void(ptr env, i64 begin, i64 end) named
  /// after the current one plus `suffix`, for the loops that are outlined
  /// (row-split scan parts, parallel loops): code is emitted into it until
  /// leaveOutlined, which returns from it and puts the builder back.
  OutlinedScope enterOutlined(const llvm::Twine &suffix);
  void leaveOutlined(const OutlinedScope &scope);
  /// Makes `inner`, emitted with the outer function's values used freely,
  /// a valid function of its own: every value of the outer function it uses
  /// is stored into an env array at the builder's position (in the outer
  /// function) and loaded from its first argument on entry. Returns env.
  llvm::Value *passOuterValues(llvm::Function *inner);
  /// Checks every length of an i32[B] buffer lies in [0, steps].
  void checkLengths(llvm::Value *lengths, llvm::Value *batch,
                    llvm::Value *steps);

  llvm::Error collectSymbols();
  void placeResults();

  const ir::Function &fn;
  TargetSpec target;
  /// The function code is emitted into now, and the lowered function.
  llvm::Function *llvmFn = nullptr, *mainFn = nullptr;
  /// While a row-split scan's body is lowered (LowerScan.cpp) into its
  /// part function for the rows from `first`: body values with the batch
  /// dim `sym` (always their dim 0, ScanRows.cpp) get buffers of the whole
  /// batch (`batch` rows), of which the part uses its rows; the symbol
  /// itself reads the part's row count.
  struct RowPart {
    std::string sym;
    llvm::Value *batch, *first;
  };
  std::optional<RowPart> rowPart;
  /// Ops lowered ahead of their block (a row-split scan's ops without the
  /// batch dim, such as a slice of a captured bias), which lowerBlock then
  /// skips.
  std::unordered_set<const ir::Operation *> preLowered;
  llvm::BasicBlock *entryBB = nullptr, *allocBB = nullptr;
  llvm::IRBuilder<> allocB;
  llvm::Value *ctxArg = nullptr;
  std::vector<std::string> symbolOrder;
  std::map<std::string, llvm::Value *> symbolValues;
  /// Node-based on purpose: op lowerings hold `const Buffer &`s across
  /// define() calls, which must not move existing entries (a DenseMap
  /// rehash did, and crashed on a split inside a scan body).
  std::unordered_map<const ir::Value *, Buffer> buffers;
  /// A matmul whose op(B) a scan packed: the panels and rnnc_pack_b's
  /// verdict (i32, 0 when packing did not pay and P is unused).
  struct PackedWeight {
    llvm::Value *panels, *packed;
  };
  std::unordered_map<const ir::Operation *, PackedWeight> packedWeights;
  /// The packed product lowerMatMul emitted last, while nothing but views
  /// has been lowered after it: a fused loop that follows it and reads its
  /// result row by row runs inside the call (rnnc_matmul_packed_rows).
  struct PendingProduct {
    llvm::CallInst *call;
    const ir::Value *result;
  };
  std::optional<PendingProduct> lastPacked;
  /// Whether the loop of `group` over `outType` ([M, ...], outer loop over
  /// its dim 0 only) reads `c` only through row-aligned views: iteration m
  /// then needs row m of c and nothing else of it.
  bool readsRowsOf(const FusionGroup &group, const ir::TensorType &outType,
                   const ir::Value *c) const;
  /// Returned values computed by top-level ops: their result slot.
  llvm::DenseMap<const ir::Value *, unsigned> resultSlot;
  /// Values to be defined in given memory (placeInto).
  llvm::DenseMap<const ir::Value *, llvm::Value *> placed;
  std::vector<llvm::Value *> resultPtrs;
  /// Slices and splits read in place by fused loops.
  std::unordered_map<const ir::Value *, View> views;
  /// One alias scope per distinct buffer, in one domain.
  llvm::MDNode *aliasDomain = nullptr;
  llvm::DenseMap<const llvm::Value *, llvm::MDNode *> aliasScopes;
  /// Roots (and carry slots) standing for their family's first member.
  llvm::DenseMap<const llvm::Value *, const llvm::Value *> aliasFamily;
  bool fuse;
};

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_FUNCTIONLOWERING_H
