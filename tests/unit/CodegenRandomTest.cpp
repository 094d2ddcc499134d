//===- tests/unit/CodegenRandomTest.cpp - Random broadcasts and reductions ===//
//
// The two lowerings with the most index arithmetic — elementwise broadcasting
// (dim coalescing by broadcast pattern) and reductions (runs of reduced and
// kept dims) — checked on many randomly generated shapes against the
// interpreter. Shapes mix static sizes (including 1) with the symbol B; the
// generator is seeded, so a failure reproduces.
//
//===----------------------------------------------------------------------===//
#include "CodegenTestUtil.h"

#include "ir/Builder.h"

#include <array>

using namespace rnnc;
using namespace rnnc::test;

namespace {

using ir::Dim;

/// A random result shape of rank 0..4 over {1, 2, 3, 5, B}.
std::vector<Dim> randomShape(std::mt19937 &rng) {
  std::uniform_int_distribution<int> rankDist(0, 4), pick(0, 4);
  std::vector<Dim> dims;
  int rank = rankDist(rng);
  for (int k = 0; k < rank; ++k) {
    int p = pick(rng);
    dims.push_back(p == 4 ? Dim::symbolic("B")
                          : Dim::fixed(std::array<int, 4>{1, 2, 3, 5}[p]));
  }
  return dims;
}

/// An operand shape that broadcasts to `out`: a random suffix of it, with
/// some dims replaced by 1.
std::vector<Dim> broadcastable(const std::vector<Dim> &out, std::mt19937 &rng) {
  std::uniform_int_distribution<size_t> keep(0, out.size());
  std::bernoulli_distribution one(0.3);
  std::vector<Dim> dims(out.end() - keep(rng), out.end());
  for (Dim &d : dims)
    if (one(rng))
      d = Dim::fixed(1);
  return dims;
}

TEST(CodegenRandomTest, BroadcastingElementwise) {
  std::mt19937 rng(42);
  const ir::OpKind kinds[] = {ir::OpKind::Add, ir::OpKind::Mul, ir::OpKind::Max,
                              ir::OpKind::Sub};
  for (int trial = 0; trial < 40; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    std::vector<Dim> out = randomShape(rng);
    // The first operand carries B when the result has it, so B is bound.
    ir::Function fn("bcast" + std::to_string(trial));
    ir::Value *a = fn.addArg(ir::TensorType::f32(out), "a");
    ir::Value *b = fn.addArg(ir::TensorType::f32(broadcastable(out, rng)), "b");
    ir::Value *c =
        fn.addArg(ir::TensorType::f32(broadcastable(out, rng)), "cond");
    ir::Builder builder(&fn.body());
    ir::Value *x = builder.binary(kinds[trial % 4], b, a);
    ir::Value *y = builder.select(c, x, b);
    ASSERT_TRUE(y) << builder.firstError();
    builder.ret({x, y});
    checkAgainstInterpreter(fn, {{{"B", 1}}, {{"B", 4}}}, {}, trial);
  }
}

TEST(CodegenRandomTest, Reductions) {
  std::mt19937 rng(7);
  const ir::OpKind kinds[] = {ir::OpKind::ReduceSum, ir::OpKind::ReduceMean,
                              ir::OpKind::ReduceMax};
  for (int trial = 0; trial < 40; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    std::vector<Dim> shape = randomShape(rng);
    if (shape.empty())
      shape.push_back(Dim::symbolic("B"));
    shape.push_back(Dim::symbolic("B")); // always bind B
    std::vector<int64_t> axes;
    std::bernoulli_distribution take(0.5);
    for (size_t k = 0; k < shape.size(); ++k)
      if (take(rng))
        axes.push_back(take(rng) ? static_cast<int64_t>(k)
                                 : static_cast<int64_t>(k) -
                                       static_cast<int64_t>(shape.size()));
    ir::Function fn("reduce" + std::to_string(trial));
    ir::Value *x = fn.addArg(ir::TensorType::f32(shape), "x");
    ir::Builder builder(&fn.body());
    ir::Value *r = builder.reduce(kinds[trial % 3], x, axes, trial % 2 == 0);
    ASSERT_TRUE(r) << builder.firstError();
    builder.ret({r});
    checkAgainstInterpreter(fn, {{{"B", 1}}, {{"B", 3}}}, {1e-4, 1e-5}, trial);
  }
}

} // namespace
