//===- tests/unit/PackedArgsTest.cpp - Concats of packed arguments --------===//
//
// codegen::PackedArgs packs arguments back to back; a concat whose operands
// then lie one after another is used in place (LowerShape.cpp), any other
// concat is copied. Every case must compute what the interpreter computes.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

using namespace rnnc;
using namespace rnnc::test;

namespace {

// The fused-gate pattern: x @ concat(Wi, Wf)^T + concat(bi, bf); also a
// concat in the other order (never adjacent), one returned (must be written
// to the result), and one along axis 1 (not contiguous in general).
const char *kConcats = R"(
func @f(%Wi: f32[4,3], %Wf: f32[2,3], %bi: f32[4], %bf: f32[2], %x: f32[B,3]) -> (f32[B,6], f32[6,3], f32[B,6], f32[4,6]) {
  %W = concat(%Wi, %Wf) {axis = 0} : f32[6,3]
  %b = concat(%bi, %bf) {axis = 0} : f32[6]
  %p = matmul(%x, %W) {transpose_b = true} : f32[B,6]
  %y = add(%p, %b) : f32[B,6]
  %R = concat(%Wf, %Wi) {axis = 0} : f32[6,3]
  %q = matmul(%x, %R) {transpose_b = true} : f32[B,6]
  %Wi2 = slice(%Wi) {axis = 1, start = 0, size = 3} : f32[4,3]
  %C = concat(%Wi, %Wi2) {axis = 1} : f32[4,6]
  return(%y, %W, %q, %C)
}
)";

struct Case {
  std::vector<Tensor> args;
  std::vector<Tensor> want;
};

Case prepare(const ir::Function &fn, int64_t batch) {
  std::mt19937 rng(3);
  Bindings bind{{"B", batch}};
  Case r;
  for (unsigned i = 0; i < fn.numArgs(); ++i)
    r.args.push_back(
        randomArg(fn.arg(i)->name(), fn.arg(i)->type(), bind, rng));
  auto want = ir::interpret(fn, r.args);
  EXPECT_TRUE(want) << want.error();
  if (want)
    r.want = std::move(*want);
  return r;
}

/// kConcats parsed and JIT-compiled once per test.
class PackedArgs : public ::testing::Test {
protected:
  void SetUp() override {
    module = parseIR(kConcats);
    ASSERT_TRUE(module);
    auto c = codegen::compile(fn());
    ASSERT_TRUE(c) << c.error();
    compiled = std::move(*c);
  }
  const ir::Function &fn() const { return *module->functions().front(); }

  std::unique_ptr<ir::Module> module;
  std::unique_ptr<codegen::CompiledFunction> compiled;
};

TEST_F(PackedArgs, ConcatsOfPackedArgumentsMatchTheInterpreter) {
  for (int64_t batch : {1, 5}) {
    Case r = prepare(fn(), batch);
    ASSERT_FALSE(r.want.empty());
    // Unpacked (each tensor its own allocation), the four weights packed
    // (Wi, Wf and bi, bf adjacent), and only some packed.
    codegen::PackedArgs all(r.args, {0, 1, 2, 3}), some(r.args, {1, 2});
    const codegen::PackedArgs *none = nullptr;
    for (const codegen::PackedArgs *packed :
         std::vector<const codegen::PackedArgs *>{none, &all, &some}) {
      auto got = compiled->run(r.args, packed);
      ASSERT_TRUE(got) << got.error();
      for (size_t k = 0; k < r.want.size(); ++k)
        EXPECT_TRUE(allClose((*got)[k], r.want[k], 1e-5, 1e-6))
            << "B=" << batch << " result " << k
            << (packed == &all ? " (all packed)"
                : packed       ? " (some)"
                               : "");
    }
  }
}

TEST_F(PackedArgs, AShapeThatDisagreesIsAnError) {
  Case r = prepare(fn(), 2);
  codegen::PackedArgs packed(r.args, {0, 1});
  // Argument 1 replaced by a tensor of another size after packing.
  std::vector<Tensor> args = r.args;
  args[0] = Tensor(DType::F32, {4, 3});
  args[1] = Tensor(DType::F32, {2, 3});
  EXPECT_TRUE(compiled->run(args, &packed)); // same sizes: fine
  codegen::PackedArgs small(std::vector<Tensor>{Tensor(DType::F32, {1, 3})},
                            {0});
  auto bad = compiled->run(r.args, &small);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("argument 0: the packed copy has 3 elements"),
            std::string::npos)
      << bad.error();
}

} // namespace
