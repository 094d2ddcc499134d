//===- tests/unit/PartitionedCompileTest.cpp - Compiling in partitions ----===//
//
// codegen/PartitionedCompile.h: a module of several functions is optimized
// and compiled in partitions on several threads and linked back together by
// the JIT. Checked here: a function with many outlined loops compiles into
// as many objects as asked for (at most one per function), or one when
// asked for one or when keepLLVMIR is set, and every way runs like the
// reference interpreter; a single-function module stays whole; a bundle of
// objects for the cache reads back as the same objects, and a damaged
// bundle is refused, never read past its end; a bundled cache entry is a
// hit the next time, and one whose bundle is damaged is rebuilt.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "codegen/ObjectCache.h"
#include "codegen/PartitionedCompile.h"

#include <filesystem>

using namespace rnnc;
using namespace rnnc::test;
namespace fs = std::filesystem;

namespace {

/// Outlined loops: embed, embed_grad, softmax, cross_entropy's, a column
/// sum; plus the entry function.
const char *kManyLoops = R"(
func @loops(%table: f32[40,300], %ids: i32[T,B], %dy: f32[T,B,300], %logits: f32[T,B,40]) -> (f32[T,B,300], f32[40,300], f32[T,B,40], f32[], f32[300]) {
  %e = embed(%table, %ids) : f32[T,B,300]
  %g = embed_grad(%ids, %dy) {rows = 40} : f32[40,300]
  %sm = softmax(%logits) {axis = -1} : f32[T,B,40]
  %ce = cross_entropy(%logits, %ids) : f32[]
  %cols = reduce_sum(%dy) {axes = [0, 1]} : f32[300]
  return(%e, %g, %sm, %ce, %cols)
})";

const Bindings kSizes{{"T", 6}, {"B", 7}, {"V", 40}};

std::vector<Tensor> argsFor(const ir::Function &fn) {
  std::mt19937 rng(9);
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    args.push_back(
        randomArg(fn.arg(i)->name(), fn.arg(i)->type(), kSizes, rng));
  return args;
}

/// Compiles with `options`, runs, compares with the interpreter; returns
/// the number of objects (0 on failure).
unsigned compileAndRun(const ir::Function &fn,
                       const codegen::CompileOptions &options,
                       bool *hit = nullptr) {
  auto compiled = codegen::compile(fn, options);
  EXPECT_TRUE(compiled) << compiled.error();
  if (!compiled)
    return 0;
  std::vector<Tensor> args = argsFor(fn);
  auto want = ir::interpret(fn, args);
  EXPECT_TRUE(want) << want.error();
  auto got = (*compiled)->run(args);
  EXPECT_TRUE(got) << got.error();
  if (want && got) {
    for (size_t r = 0; r < want->size(); ++r)
      EXPECT_TRUE(allClose((*got)[r], (*want)[r], 1e-5, 1e-4))
          << "result " << r;
  }
  if (hit)
    *hit = (*compiled)->cacheHit();
  return (*compiled)->objectParts();
}

TEST(PartitionedCompile, ManyFunctionsCompileInAsManyPartsAsAsked) {
  auto module = parseIR(kManyLoops);
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->lookup("loops");
  for (unsigned threads : {1u, 2u, 3u}) {
    SCOPED_TRACE(std::to_string(threads) + " compile threads");
    codegen::CompileOptions options;
    options.compileThreads = threads;
    EXPECT_EQ(compileAndRun(fn, options), threads);
  }
  // More threads than functions: one partition per function at most.
  codegen::CompileOptions many;
  many.compileThreads = 64;
  unsigned parts = compileAndRun(fn, many);
  EXPECT_GE(parts, 4u);
  EXPECT_LT(parts, 64u);
  // keepLLVMIR prints one optimized module: compiled whole.
  codegen::CompileOptions keep;
  keep.compileThreads = 2;
  keep.keepLLVMIR = true;
  EXPECT_EQ(compileAndRun(fn, keep), 1u);
}

TEST(PartitionedCompile, OneFunctionStaysWhole) {
  auto module = parseIR(R"(
func @one(%x: f32[4,8], %y: f32[4,8]) -> (f32[4,8]) {
  %s = add(%x, %y) : f32[4,8]
  %t = tanh(%s) : f32[4,8]
  return(%t)
})");
  ASSERT_TRUE(module);
  codegen::CompileOptions options;
  options.compileThreads = 4;
  EXPECT_EQ(compileAndRun(*module->lookup("one"), options), 1u);
}

TEST(PartitionedCompile, BundlesReadBackAndDamageIsRefused) {
  std::vector<std::string> objects = {"\x7f"
                                      "ELF one",
                                      std::string(1000, 'x'), "third"};
  std::string blob = codegen::bundleObjects(objects);
  std::vector<std::string> back;
  ASSERT_TRUE(codegen::splitObjects(blob, back));
  EXPECT_EQ(back, objects);
  // One object is stored as itself.
  EXPECT_EQ(codegen::bundleObjects({"\x7f"
                                    "ELF only"}),
            "\x7f"
            "ELF only");
  ASSERT_TRUE(codegen::splitObjects("\x7f"
                                    "ELF only",
                                    back));
  EXPECT_EQ(back, std::vector<std::string>{"\x7f"
                                           "ELF only"});
  EXPECT_FALSE(codegen::splitObjects("", back));
  // Every truncation, a trailing byte, and absurd counts and sizes.
  for (size_t n = 8; n < blob.size(); ++n)
    EXPECT_FALSE(codegen::splitObjects(blob.substr(0, n), back)) << n;
  EXPECT_FALSE(codegen::splitObjects(blob + "!", back));
  std::string badCount = blob;
  badCount[8] = '\x7f';
  EXPECT_FALSE(codegen::splitObjects(badCount, back));
  std::string badSize = blob;
  badSize[16 + 7] = '\x7f';
  EXPECT_FALSE(codegen::splitObjects(badSize, back));
}

TEST(PartitionedCompile, BundledCacheEntriesHitAndDamagedOnesAreRebuilt) {
  fs::path dir = fs::temp_directory_path() /
                 ("rnnc-partition-cache-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto module = parseIR(kManyLoops);
  ASSERT_TRUE(module);
  const ir::Function &fn = *module->lookup("loops");
  codegen::CompileOptions options;
  options.cacheDir = dir.string();
  options.compileThreads = 2;
  bool hit = true;
  EXPECT_EQ(compileAndRun(fn, options, &hit), 2u);
  EXPECT_FALSE(hit);
  EXPECT_EQ(compileAndRun(fn, options, &hit), 0u);
  EXPECT_TRUE(hit);
  // A valid entry (its checksum matches) holding a damaged bundle.
  std::vector<fs::path> entries;
  for (const auto &e : fs::directory_iterator(dir))
    entries.push_back(e.path());
  ASSERT_EQ(entries.size(), 1u);
  codegen::ObjectCache cache(dir.string());
  ASSERT_TRUE(cache.store(entries[0].stem().string(),
                          std::string("RNNCOBJS\x02\0\0\0\0\0\0\0", 16)));
  EXPECT_EQ(compileAndRun(fn, options, &hit), 2u);
  EXPECT_FALSE(hit);
  EXPECT_EQ(compileAndRun(fn, options, &hit), 0u);
  EXPECT_TRUE(hit);
  fs::remove_all(dir);
}

} // namespace
