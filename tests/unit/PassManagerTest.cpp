//===- tests/unit/PassManagerTest.cpp - Registry, pipelines, instrumentation
//===//
#include "PassTestUtils.h"

#include <algorithm>
#include <sstream>

using namespace rnnc;
using namespace rnnc::passes;
using namespace rnnc::passtest;

namespace {

/// Appends its name to a shared log when run; fails when told to.
class LoggingPass : public Pass {
public:
  LoggingPass(std::string name, std::vector<std::string> *log,
              bool fail = false)
      : passName(std::move(name)), log(log), fail(fail) {}
  std::string_view name() const override { return passName; }
  std::string_view description() const override { return "test pass"; }
  Status run(Module &) override {
    log->push_back(passName);
    if (fail)
      return makeError("boom");
    return Status::ok();
  }

private:
  std::string passName;
  std::vector<std::string> *log;
  bool fail;
};

/// A deliberately broken pass: makes a function return a value of another
/// type than before by inserting an op whose declared type is wrong.
class CorruptingPass : public FunctionPass {
public:
  std::string_view name() const override { return "test-corrupt"; }
  std::string_view description() const override { return "breaks the IR"; }
  Status runOnFunction(Function &fn) override {
    Operation *ret = fn.returnOp();
    Builder b;
    b.setInsertionPointBefore(ret);
    Value *x = ret->operand(0);
    // tanh's result must have its operand's type; declare another one.
    Operation *bad =
        b.createUnchecked(OpKind::Tanh, {x}, {x->type().withDims({N(7)})});
    ret->setOperand(0, bad->result(0));
    return Status::ok();
  }
};

class FailingFunctionPass : public FunctionPass {
public:
  std::string_view name() const override { return "test-fn-fail"; }
  std::string_view description() const override { return "fails"; }
  Status runOnFunction(Function &) override { return makeError("no luck"); }
};

/// f(x: f32[B,4]) = tanh(x)
void buildTanh(TestModule &tm) {
  Value *x = tm.fn->addArg(f32({B(), N(4)}), "x");
  Builder b = tm.builder();
  b.ret({b.tanh(x)});
  ASSERT_FALSE(b.failed()) << b.firstError();
}

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

TEST(PassRegistry, ListsBuiltinPassesSortedWithDescriptions) {
  registerAllPasses();
  registerAllPasses(); // idempotent
  auto passes = registeredPasses();
  std::vector<std::string> names;
  for (const auto &[name, desc] : passes) {
    names.push_back(name);
    EXPECT_FALSE(desc.empty()) << name;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char *builtin : {"canonicalize", "cse", "dce"})
    EXPECT_EQ(std::count(names.begin(), names.end(), builtin), 1) << builtin;
}

TEST(PassRegistry, CreatesPassesByName) {
  for (const char *name : {"canonicalize", "cse", "dce"}) {
    std::unique_ptr<Pass> pass = createPass(name);
    ASSERT_NE(pass, nullptr) << name;
    EXPECT_EQ(pass->name(), name);
  }
  EXPECT_EQ(createPass("no-such-pass"), nullptr);
}

TEST(PassPipeline, ParsesNamesInOrderIgnoringSpaces) {
  PassManager pm;
  ASSERT_TRUE(pm.addPipeline("canonicalize,cse,dce"));
  EXPECT_EQ(pm.size(), 3u);
  ASSERT_TRUE(pm.addPipeline(" cse , dce "));
  EXPECT_EQ(pm.size(), 5u);
  ASSERT_TRUE(pm.addPipeline(""));
  EXPECT_EQ(pm.size(), 5u);
}

TEST(PassPipeline, UnknownNameIsNamedWithTheKnownOnes) {
  PassManager pm;
  Status s = pm.addPipeline("cse,frobnicate,dce");
  ASSERT_FALSE(s);
  EXPECT_TRUE(contains(s.error(), "unknown pass 'frobnicate'")) << s.error();
  EXPECT_TRUE(contains(s.error(), "known passes: canonicalize, cse, dce"))
      << s.error();
  EXPECT_EQ(pm.size(), 0u) << "a bad pipeline must append nothing";
}

TEST(PassPipeline, EmptyNamesAreErrors) {
  for (const char *text : {"cse,,dce", "cse,", ",cse", " , "}) {
    PassManager pm;
    Status s = pm.addPipeline(text);
    ASSERT_FALSE(s) << text;
    EXPECT_TRUE(contains(s.error(), "empty pass name")) << s.error();
    EXPECT_EQ(pm.size(), 0u);
  }
}

TEST(PassManagerRun, RunsPassesInOrder) {
  std::vector<std::string> log;
  registerPass("test-a", "a",
               [&] { return std::make_unique<LoggingPass>("test-a", &log); });
  registerPass("test-b", "b",
               [&] { return std::make_unique<LoggingPass>("test-b", &log); });
  PassManager pm;
  ASSERT_TRUE(pm.addPipeline("test-b,test-a,test-b"));
  TestModule tm;
  buildTanh(tm);
  Diagnostics diags;
  ASSERT_TRUE(pm.run(tm.module, diags));
  EXPECT_EQ(log, (std::vector<std::string>{"test-b", "test-a", "test-b"}));
}

TEST(PassManagerRun, StopsAtAFailingPassAndNamesIt) {
  std::vector<std::string> log;
  PassManager pm;
  pm.addPass(std::make_unique<LoggingPass>("first", &log));
  pm.addPass(std::make_unique<LoggingPass>("breaks", &log, /*fail=*/true));
  pm.addPass(std::make_unique<LoggingPass>("never", &log));
  TestModule tm;
  buildTanh(tm);
  Diagnostics diags;
  Status s = pm.run(tm.module, diags);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "pass 'breaks' failed: boom");
  EXPECT_EQ(log, (std::vector<std::string>{"first", "breaks"}));
}

TEST(PassManagerRun, FunctionPassFailureNamesTheFunction) {
  PassManager pm;
  pm.addPass(std::make_unique<FailingFunctionPass>());
  TestModule tm("model");
  buildTanh(tm);
  Diagnostics diags;
  Status s = pm.run(tm.module, diags);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(),
            "pass 'test-fn-fail' failed: in function 'model': no luck");
}

TEST(PassManagerRun, VerifyEachCatchesABrokenPass) {
  std::vector<std::string> log;
  PassManager pm;
  pm.addPass(std::make_unique<LoggingPass>("fine", &log));
  pm.addPass(std::make_unique<CorruptingPass>());
  pm.addPass(std::make_unique<LoggingPass>("never", &log));
  TestModule tm;
  buildTanh(tm);
  Diagnostics diags;
  Status s = pm.run(tm.module, diags);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "IR invalid after pass 'test-corrupt'");
  EXPECT_TRUE(diags.hasErrors());
  EXPECT_EQ(log, (std::vector<std::string>{"fine"}));

  // Without verification the same pipeline runs to the end.
  TestModule tm2;
  buildTanh(tm2);
  PassManager unchecked(PassManagerOptions{/*verifyEach=*/false});
  unchecked.addPass(std::make_unique<CorruptingPass>());
  Diagnostics diags2;
  EXPECT_TRUE(unchecked.run(tm2.module, diags2));
  EXPECT_FALSE(diags2.hasErrors());
}

TEST(PassManagerRun, PrintsIRAfterEachPass) {
  std::ostringstream os;
  PassManagerOptions opts;
  opts.printAfterAll = &os;
  PassManager pm(opts);
  ASSERT_TRUE(pm.addPipeline("cse,dce"));
  TestModule tm("printed");
  buildTanh(tm);
  Diagnostics diags;
  ASSERT_TRUE(pm.run(tm.module, diags));
  std::string out = os.str();
  size_t cse = out.find("// -----// IR after cse //----- //\n");
  size_t dce = out.find("// -----// IR after dce //----- //\n");
  ASSERT_NE(cse, std::string::npos) << out;
  ASSERT_NE(dce, std::string::npos) << out;
  EXPECT_LT(cse, dce);
  EXPECT_TRUE(contains(out.substr(cse, dce - cse), "printed")) << out;
  EXPECT_TRUE(contains(out.substr(dce), "tanh")) << out;
}

TEST(PassManagerRun, ReportsPassTimes) {
  std::ostringstream os;
  PassManagerOptions opts;
  opts.timePasses = &os;
  PassManager pm(opts);
  ASSERT_TRUE(pm.addPipeline("canonicalize,cse,dce"));
  TestModule tm;
  buildTanh(tm);
  Diagnostics diags;
  ASSERT_TRUE(pm.run(tm.module, diags));
  std::string out = os.str();
  EXPECT_TRUE(contains(out, "Pass execution timing report")) << out;
  size_t canon = out.find("canonicalize"), cse = out.find("cse\n"),
         dce = out.find("dce\n"), total = out.find("Total");
  ASSERT_NE(canon, std::string::npos) << out;
  ASSERT_NE(cse, std::string::npos) << out;
  ASSERT_NE(dce, std::string::npos) << out;
  ASSERT_NE(total, std::string::npos) << out;
  EXPECT_LT(canon, cse);
  EXPECT_LT(cse, dce);
  EXPECT_LT(dce, total);
}

} // namespace
