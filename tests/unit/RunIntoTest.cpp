//===- tests/unit/RunIntoTest.cpp - Results written into reused tensors ---===//
//
// CompiledFunction::runInto reuses result tensors of the right shape
// without zero-filling them, which is only sound if the generated code
// writes every element of every result. Here each example model's forward
// and gradient functions run once fresh (run) and once into results filled
// with NaN (or an out-of-range id) beforehand; both must agree bit for bit,
// so a result element the code leaves unwritten (relying on the zero fill)
// shows up as a NaN. Lengths below T leave padded steps, and B = 3 with
// T = 6 leaves ragged batches, so masked and skipped work is covered.
//
//===----------------------------------------------------------------------===//
#include "ModelTestUtil.h"

#include "codegen/CompiledFunction.h"
#include "passes/Autodiff.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace rnnc;
using namespace rnnc::test;

namespace {

/// Tensors of `want`'s shapes holding garbage: NaN floats, -777 ids.
std::vector<Tensor> poisoned(const std::vector<Tensor> &want) {
  std::vector<Tensor> out;
  for (const Tensor &w : want) {
    Tensor t(w.dtype(), w.shape());
    for (float &v : t.f32Vec())
      v = std::numeric_limits<float>::quiet_NaN();
    for (int32_t &v : t.i32Vec())
      v = -777;
    out.push_back(std::move(t));
  }
  return out;
}

/// The first byte of t's storage, whatever its dtype (4-byte elements).
const char *bytesOf(const Tensor &t) {
  return t.dtype() == DType::F32 ? reinterpret_cast<const char *>(t.f32Data())
                                 : reinterpret_cast<const char *>(t.i32Data());
}

::testing::AssertionResult bitwiseEqual(const std::vector<Tensor> &got,
                                        const std::vector<Tensor> &want) {
  if (auto types = sameTypes(got, want); !types)
    return types;
  for (size_t r = 0; r < want.size(); ++r) {
    const Tensor &g = got[r], &w = want[r];
    for (int64_t k = 0; k < w.numElements(); ++k)
      if (std::memcmp(bytesOf(g) + 4 * k, bytesOf(w) + 4 * k, 4) != 0)
        return ::testing::AssertionFailure()
               << "result " << r << " element " << k << ": got " << g.at(k)
               << " in a reused buffer, " << w.at(k) << " in a fresh one";
  }
  return ::testing::AssertionSuccess();
}

/// run() and runInto() over poisoned results agree; the reused buffers are
/// the ones written (no reallocation), and a second runInto agrees too.
void checkReuse(const ir::Function &fn, const std::vector<Tensor> &args) {
  auto compiled = codegen::compile(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  auto want = (*compiled)->run(args);
  ASSERT_TRUE(want) << want.error();
  std::vector<Tensor> out = poisoned(*want);
  std::vector<const char *> buffers;
  for (const Tensor &t : out)
    buffers.push_back(bytesOf(t));
  Status s = (*compiled)->runInto(args, out);
  ASSERT_TRUE(s) << s.error();
  EXPECT_TRUE(bitwiseEqual(out, *want)) << "@" << fn.name();
  for (size_t r = 0; r < out.size(); ++r)
    EXPECT_EQ(buffers[r], bytesOf(out[r]))
        << "result " << r << " was reallocated";
  s = (*compiled)->runInto(args, out);
  ASSERT_TRUE(s) << s.error();
  EXPECT_TRUE(bitwiseEqual(out, *want)) << "@" << fn.name() << ", again";
}

TEST(RunIntoTest, ExamplesWriteEveryResultElement) {
  // The gradient examples, the char-LM (two stacked layers, an embedding
  // gradient) and attention over a source of its own length.
  std::vector<ExampleCase> examples = gradientExampleCases();
  examples.push_back(
      {"charlm.rnn", {{"V", 7}}, {{"T", 6}, {"B", 3}}, 7, {6, 2, 4}});
  examples.push_back({"dot_attention.rnn",
                      {{"Vs", 6}, {"Vt", 5}, {"H", 4}},
                      {{"T", 4}, {"S", 4}, {"B", 2}},
                      5,
                      {4, 3}});
  for (const ExampleCase &ex : examples) {
    SCOPED_TRACE(ex.file);
    auto p = lowerSource(ex.file, readExample(ex.file), ex.sizes);
    ASSERT_TRUE(p) << p.error();
    const ir::Function &fn = *p->module->functions().at(0);
    auto args = argsFor(fn, p->models[0], ex.dims, ex.vocab, ex.lens);
    checkReuse(fn, args);
    auto grad = passes::buildGradient(fn);
    ASSERT_TRUE(grad) << grad.error();
    checkReuse(**grad, args);
  }
}

TEST(RunIntoTest, WrongShapesAreReplaced) {
  auto p = lowerSource("forecast.rnn", readExample("forecast.rnn"), {{"H", 8}});
  ASSERT_TRUE(p) << p.error();
  const ir::Function &fn = *p->module->functions().at(0);
  auto compiled = codegen::compile(fn);
  ASSERT_TRUE(compiled) << compiled.error();
  auto args = argsFor(fn, p->models[0], {{"T", 5}, {"B", 2}}, 1, {5, 3});
  auto want = (*compiled)->run(args);
  ASSERT_TRUE(want) << want.error();
  // Too few tensors, one of another shape and one of another dtype.
  std::vector<Tensor> out = {Tensor(DType::F32, {1, 2, 3})};
  if (want->size() > 1)
    out.push_back(Tensor(DType::I32, (*want)[1].shape()));
  Status s = (*compiled)->runInto(args, out);
  ASSERT_TRUE(s) << s.error();
  EXPECT_TRUE(bitwiseEqual(out, *want));
}

} // namespace
