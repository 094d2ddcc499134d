//===- tests/unit/CarryAliasScopeTest.cpp - Loops over moving carries -----===//
//
// A scan carry in pointer mode (codegen/LowerScan.cpp) lives in a buffer
// chosen at run time: its output row, or one of two ping-pong buffers. Its
// places share one alias scope, so the fused loops that read and write it
// keep their no-alias facts about every other buffer. Without that, the
// vectorizer has to check each pair of pointers at run time, and over its
// budget it leaves a loop scalar: the gradient of the layer-normalized
// cell of examples/custom_cell.rnn ran ~45% slower. Here that gradient is
// compiled as `rnnc train` builds it, and every outlined elementwise loop
// of it (the `.ew` functions) must be vectorized.
//
//===----------------------------------------------------------------------===//
#include "ModelTestUtil.h"

#include "codegen/CompiledFunction.h"

#include <regex>

using namespace rnnc;
using namespace rnnc::test;

namespace {

/// The bodies of the outlined elementwise loops in optimized LLVM IR, by
/// name: from "define ... @name.ew..." to the closing brace.
std::map<std::string, std::string> outlinedLoops(const std::string &ir) {
  std::map<std::string, std::string> loops;
  std::regex head(R"re(define [^@]*@"?([^"(]*\.ew[^"(]*)"?\()re");
  for (auto it = std::sregex_iterator(ir.begin(), ir.end(), head);
       it != std::sregex_iterator(); ++it) {
    size_t start = it->position(0);
    size_t end = ir.find("\n}\n", start);
    loops[(*it)[1]] = ir.substr(start, end - start);
  }
  return loops;
}

TEST(CarryAliasScopeTest, CustomCellGradientLoopsAreVectorized) {
  auto built = trainGradient("custom_cell.rnn", {{"V", 65}, {"H", 64}});
  ASSERT_TRUE(built) << built.error();
  codegen::CompileOptions options;
  options.keepLLVMIR = true;
  auto compiled = codegen::compile(*built->grad, options);
  ASSERT_TRUE(compiled) << compiled.error();
  auto loops = outlinedLoops((*compiled)->llvmIRAfter());
  ASSERT_GE(loops.size(), 4u) << "expected the scans' fused loops outlined";
  int scalar = 0;
  for (const auto &[name, body] : loops) {
    bool vectorized = body.find("<16 x float>") != std::string::npos ||
                      body.find("<8 x float>") != std::string::npos ||
                      body.find("<4 x float>") != std::string::npos;
    EXPECT_TRUE(vectorized) << name << " is not vectorized";
    scalar += !vectorized;
  }
  std::cout << "[ measured ] " << loops.size() << " outlined loops, " << scalar
            << " scalar\n";
}

} // namespace
