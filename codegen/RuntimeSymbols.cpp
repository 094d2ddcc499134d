//===- codegen/RuntimeSymbols.cpp - The runtime functions code may call ---===//
#include "codegen/RuntimeSymbols.h"

#include "runtime/KernelABI.h"

#include "llvm/IR/DerivedTypes.h"

namespace rnnc::codegen {

static void *addr(auto *fn) { return reinterpret_cast<void *>(fn); }

llvm::ArrayRef<RuntimeSymbol> runtimeSymbols() {
  static const RuntimeSymbol table[] = {
      {RuntimeFn::Alloc, "rnnc_alloc", addr(&rnnc_alloc),
       "void *rnnc_alloc(rnnc_context *, int64_t bytes)"},
      {RuntimeFn::ReportError, "rnnc_report_error", addr(&rnnc_report_error),
       "void rnnc_report_error(rnnc_context *, int32_t code, int64_t a, "
       "int64_t b)"},
      {RuntimeFn::HasError, "rnnc_has_error", addr(&rnnc_has_error),
       "int32_t rnnc_has_error(rnnc_context *)"},
      {RuntimeFn::MatMul, "rnnc_matmul", addr(&rnnc_matmul),
       "void rnnc_matmul(const float *A, const float *B, float *C, int64_t "
       "batch, int64_t M, int64_t N, int64_t K, int32_t transA, int32_t "
       "transB, int64_t strideA, int64_t strideB, int64_t strideC)"},
      {RuntimeFn::ParallelFor, "rnnc_parallel_for", addr(&rnnc_parallel_for),
       "void rnnc_parallel_for(void (*fn)(void *env, int64_t begin, int64_t "
       "end), void *env, int64_t n, int64_t work)"},
      {RuntimeFn::PackB, "rnnc_pack_b", addr(&rnnc_pack_b),
       "int32_t rnnc_pack_b(const float *B, float *P, int64_t M, int64_t N, "
       "int64_t K, int32_t transB, int64_t steps)"},
      {RuntimeFn::MatMulPacked, "rnnc_matmul_packed", addr(&rnnc_matmul_packed),
       "void rnnc_matmul_packed(const float *A, const float *B, const float "
       "*P, int32_t packed, float *C, int64_t M, int64_t N, int64_t K, "
       "int32_t transB)"},
      {RuntimeFn::MatMulPackedRows, "rnnc_matmul_packed_rows",
       addr(&rnnc_matmul_packed_rows),
       "void rnnc_matmul_packed_rows(const float *A, const float *B, const "
       "float *P, int32_t packed, float *C, int64_t M, int64_t N, int64_t K, "
       "int32_t transB, void (*rows)(void *env, int64_t begin, int64_t end), "
       "void *env, int64_t work)"},
      {RuntimeFn::ScanRows, "rnnc_scan_rows", addr(&rnnc_scan_rows),
       "void rnnc_scan_rows(void (*fn)(void *env, int64_t begin, int64_t "
       "end), void *env, int64_t rows)"},
  };
  return table;
}

llvm::FunctionCallee declareRuntimeFunction(llvm::Module &module,
                                            RuntimeFn fn) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i64 = llvm::Type::getInt64Ty(ctx);
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  llvm::Type *voidTy = llvm::Type::getVoidTy(ctx);
  const RuntimeSymbol &sym = runtimeSymbols()[static_cast<size_t>(fn)];
  llvm::FunctionType *type = nullptr;
  switch (fn) {
  case RuntimeFn::Alloc:
    type = llvm::FunctionType::get(ptr, {ptr, i64}, false);
    break;
  case RuntimeFn::ReportError:
    type = llvm::FunctionType::get(voidTy, {ptr, i32, i64, i64}, false);
    break;
  case RuntimeFn::HasError:
    type = llvm::FunctionType::get(i32, {ptr}, false);
    break;
  case RuntimeFn::MatMul:
    type = llvm::FunctionType::get(
        voidTy, {ptr, ptr, ptr, i64, i64, i64, i64, i32, i32, i64, i64, i64},
        false);
    break;
  case RuntimeFn::ParallelFor:
    type = llvm::FunctionType::get(voidTy, {ptr, ptr, i64, i64}, false);
    break;
  case RuntimeFn::ScanRows:
    type = llvm::FunctionType::get(voidTy, {ptr, ptr, i64}, false);
    break;
  case RuntimeFn::PackB:
    type = llvm::FunctionType::get(i32, {ptr, ptr, i64, i64, i64, i32, i64},
                                   false);
    break;
  case RuntimeFn::MatMulPacked:
    type = llvm::FunctionType::get(
        voidTy, {ptr, ptr, ptr, i32, ptr, i64, i64, i64, i32}, false);
    break;
  case RuntimeFn::MatMulPackedRows:
    type = llvm::FunctionType::get(
        voidTy, {ptr, ptr, ptr, i32, ptr, i64, i64, i64, i32, ptr, ptr, i64},
        false);
    break;
  }
  llvm::FunctionCallee callee = module.getOrInsertFunction(sym.name, type);
  if (auto *f = llvm::dyn_cast<llvm::Function>(callee.getCallee())) {
    f->setDoesNotThrow();
    if (fn == RuntimeFn::Alloc) {
      // Each buffer is fresh memory: telling LLVM so removes most of the
      // vectorizer's run-time alias checks between buffers.
      f->addRetAttr(llvm::Attribute::NoAlias);
      f->addRetAttr(llvm::Attribute::NonNull);
    }
  }
  return callee;
}

} // namespace rnnc::codegen
