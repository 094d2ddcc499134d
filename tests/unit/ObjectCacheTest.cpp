//===- tests/unit/ObjectCacheTest.cpp - The JIT's on-disk object cache ----===//
//
// A second compile of the same function is a hit and runs like the
// interpreter; a changed function or another optimization level is a miss;
// a damaged entry (truncated, flipped bytes, or a valid checksum over
// something that is not an object) is ignored, rebuilt and replaced, never
// a crash. The cache lives in a fresh temporary directory per test.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "codegen/ObjectCache.h"

#include <filesystem>
#include <fstream>

using namespace rnnc;
using namespace rnnc::test;
namespace fs = std::filesystem;

namespace {

const char *kElman = R"(
func @elman(%x: f32[T,B,5], %h0: f32[B,7], %W: f32[7,5], %U: f32[7,7]) -> (f32[T,B,7], f32[B,7]) {
  %ys, %h = scan(%x, %h0, %W, %U) {num_seq = 1, num_carry = 1, num_capture = 2} : f32[T,B,7], f32[B,7] {
  ^body(%xt: f32[B,5], %hp: f32[B,7], %w: f32[7,5], %u: f32[7,7]):
    %a = matmul(%xt, %w) {transpose_b = true} : f32[B,7]
    %b = matmul(%hp, %u) {transpose_b = true} : f32[B,7]
    %s = add(%a, %b) : f32[B,7]
    %n = tanh(%s) : f32[B,7]
    yield(%n, %n)
  }
  return(%ys, %h)
}
)";

class ObjectCacheTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("rnnc-cache-test-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    module = parseIR(kElman);
    ASSERT_TRUE(module);
    fn = module->lookup("elman");
    std::mt19937 rng(3);
    Bindings bind{{"T", 4}, {"B", 3}};
    for (unsigned i = 0; i < fn->numArgs(); ++i)
      args.push_back(
          randomArg(fn->arg(i)->name(), fn->arg(i)->type(), bind, rng));
    auto want = ir::interpret(*fn, args);
    ASSERT_TRUE(want) << want.error();
    expected = *want;
  }
  void TearDown() override { fs::remove_all(dir); }

  /// Compiles with the cache, checks the results, returns whether it hit.
  bool compileAndCheck(const ir::Function &f, unsigned optLevel = 3) {
    codegen::CompileOptions options;
    options.cacheDir = dir.string();
    options.optLevel = optLevel;
    auto compiled = codegen::compile(f, options);
    EXPECT_TRUE(compiled) << compiled.error();
    if (!compiled)
      return false;
    note = (*compiled)->cacheNote();
    auto got = (*compiled)->run(args);
    EXPECT_TRUE(got) << got.error();
    if (got && &f == fn) {
      for (size_t r = 0; r < expected.size(); ++r)
        EXPECT_TRUE(allClose((*got)[r], expected[r], 1e-4, 1e-5)) << r;
    }
    return (*compiled)->cacheHit();
  }

  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    if (fs::exists(dir))
      for (const auto &e : fs::directory_iterator(dir))
        out.push_back(e.path());
    return out;
  }

  fs::path dir;
  std::unique_ptr<ir::Module> module;
  ir::Function *fn = nullptr;
  std::vector<Tensor> args, expected;
  std::string note;
};

TEST_F(ObjectCacheTest, SecondCompileIsAHit) {
  EXPECT_FALSE(compileAndCheck(*fn));
  EXPECT_EQ(note.rfind("miss (stored", 0), 0u) << note;
  ASSERT_EQ(entries().size(), 1u);
  EXPECT_TRUE(compileAndCheck(*fn));
  EXPECT_EQ(note.rfind("hit", 0), 0u) << note;
  EXPECT_EQ(entries().size(), 1u);
}

TEST_F(ObjectCacheTest, ChangedFunctionOrLevelIsAMiss) {
  EXPECT_FALSE(compileAndCheck(*fn));
  // Same function at -O1: another key.
  EXPECT_FALSE(compileAndCheck(*fn, 1));
  EXPECT_EQ(entries().size(), 2u);
  // tanh -> sigmoid: another function, another key.
  std::string changed = kElman;
  changed.replace(changed.find("tanh"), 4, "sigmoid");
  auto other = parseIR(changed);
  ASSERT_TRUE(other);
  EXPECT_FALSE(compileAndCheck(*other->lookup("elman")));
  EXPECT_EQ(entries().size(), 3u);
  EXPECT_TRUE(compileAndCheck(*fn));
}

TEST_F(ObjectCacheTest, DamagedEntriesAreRebuilt) {
  EXPECT_FALSE(compileAndCheck(*fn));
  ASSERT_EQ(entries().size(), 1u);
  fs::path entry = entries()[0];
  std::string key = entry.stem().string();
  auto damage = [&](auto edit) {
    std::string bytes;
    {
      std::ifstream in(entry, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    edit(bytes);
    std::ofstream(entry, std::ios::binary | std::ios::trunc) << bytes;
  };
  // Truncated.
  damage([](std::string &b) { b.resize(b.size() / 2); });
  EXPECT_FALSE(compileAndCheck(*fn));
  EXPECT_EQ(note.rfind("corrupt entry, rebuilt (stored", 0), 0u) << note;
  EXPECT_TRUE(compileAndCheck(*fn));
  // A flipped byte in the object.
  damage([](std::string &b) { b[b.size() - 100] ^= 0x5a; });
  EXPECT_FALSE(compileAndCheck(*fn));
  EXPECT_TRUE(compileAndCheck(*fn));
  // Empty, and not even the magic.
  damage([](std::string &b) { b.clear(); });
  EXPECT_FALSE(compileAndCheck(*fn));
  damage([](std::string &b) { b = "not a cache entry at all"; });
  EXPECT_FALSE(compileAndCheck(*fn));
  // A well-formed entry whose payload is not an object file.
  codegen::ObjectCache cache(dir.string());
  ASSERT_TRUE(cache.store(key, "\x7f" "ELF garbage that is not an object"));
  EXPECT_FALSE(compileAndCheck(*fn));
  EXPECT_EQ(note.rfind("corrupt", 0), 0u) << note;
  EXPECT_TRUE(compileAndCheck(*fn));
}

TEST_F(ObjectCacheTest, UnwritableDirectoryStillCompiles) {
  // A file where the directory should be: storing fails, compiling works.
  std::ofstream(dir.string()) << "x";
  EXPECT_FALSE(compileAndCheck(*fn));
  EXPECT_NE(note.find("not stored"), std::string::npos) << note;
  fs::remove(dir);
}

TEST(ObjectCacheKeyTest, PartsAreDelimited) {
  using codegen::ObjectCache;
  EXPECT_NE(ObjectCache::makeKey({"ab", "c"}), ObjectCache::makeKey({"a", "bc"}));
  EXPECT_EQ(ObjectCache::makeKey({"ab", "c"}), ObjectCache::makeKey({"ab", "c"}));
  EXPECT_EQ(ObjectCache::makeKey({}).size(), 64u);
}

TEST(ObjectCacheDirTest, EnvironmentOrder) {
  auto save = [](const char *n) {
    const char *v = std::getenv(n);
    return v ? std::optional<std::string>(v) : std::nullopt;
  };
  auto restore = [](const char *n, const std::optional<std::string> &v) {
    if (v)
      ::setenv(n, v->c_str(), 1);
    else
      ::unsetenv(n);
  };
  auto rc = save("RNNC_CACHE_DIR"), xdg = save("XDG_CACHE_HOME"),
       home = save("HOME");
  ::setenv("RNNC_CACHE_DIR", "/r", 1);
  ::setenv("XDG_CACHE_HOME", "/x", 1);
  ::setenv("HOME", "/h", 1);
  EXPECT_EQ(codegen::defaultCacheDir(), "/r");
  ::unsetenv("RNNC_CACHE_DIR");
  EXPECT_EQ(codegen::defaultCacheDir(), "/x/rnnc");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(codegen::defaultCacheDir(), "/h/.cache/rnnc");
  restore("RNNC_CACHE_DIR", rc);
  restore("XDG_CACHE_HOME", xdg);
  restore("HOME", home);
}

} // namespace
