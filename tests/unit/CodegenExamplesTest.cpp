//===- tests/unit/CodegenExamplesTest.cpp - Example models via the JIT ---===//
//
// Every model in examples/ goes through the frontend, is JIT-compiled, and
// runs against the reference interpreter on random arguments (sizes made
// small so the interpreter is quick). This exercises codegen on the IR the
// frontend really produces: stacked and bidirectional scans, attention,
// pooling, losses with masks.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "frontend/Frontend.h"

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace rnnc;
using namespace rnnc::test;

namespace {

std::string readFile(const std::filesystem::path &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CodegenExamplesTest, EveryExampleMatchesTheInterpreter) {
  std::filesystem::path dir =
      std::filesystem::path(RNNC_SOURCE_DIR) / "examples";
  int models = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".rnn")
      continue;
    SCOPED_TRACE(entry.path().filename().string());
    frontend::LowerOptions options;
    // Small sizes: vocabularies above the ids randomArg draws ([0, 5)).
    options.sizes = {{"V", 11}, {"C", 5},  {"Vs", 11},
                     {"Vt", 9}, {"H", 12}, {"E", 6}};
    ir::Diagnostics diags;
    auto lowered = frontend::compileSource(
        entry.path().string(), readFile(entry.path()), options, diags);
    ASSERT_TRUE(lowered) << diags.str();
    for (const auto &fn : lowered->module->functions()) {
      ++models;
      std::vector<Bindings> shapes = {{{"T", 1}, {"B", 1}, {"S", 1}},
                                      {{"T", 5}, {"B", 3}, {"S", 4}},
                                      {{"T", 3}, {"B", 2}, {"S", 6}}};
      checkAgainstInterpreter(*fn, shapes, Tolerance{2e-4, 2e-5});
    }
  }
  EXPECT_GE(models, 5);
}

} // namespace
