//===- tests/unit/AutodiffOpsTest.cpp - Each adjoint vs finite differences ===//
//
// One small function per op (and per broadcasting, transpose or axis case):
// params -> op -> loss = sum(y * r) with r a fixed random non-param argument,
// so every element of dy is distinct and non-zero. checkGradient
// (AutodiffTestUtil.h, which justifies its tolerance) compares the gradient
// function against central finite differences in the interpreter. Inputs are
// kept away from kinks (relu at 0, ties of max/min) and out of the domain
// edges of log, sqrt and div, where finite differences are meaningless.
//
//===----------------------------------------------------------------------===//
#include "AutodiffTestUtil.h"

#include <numeric>
#include <random>

using namespace rnnc;
using namespace rnnc::ir;
using namespace rnnc::test;

namespace {

/// Builds f(params..., inputs...) -> (loss, y) one argument at a time.
struct GradCase {
  std::unique_ptr<Function> fn = std::make_unique<Function>("f");
  Builder b{&fn->body()};
  std::vector<Tensor> args;
  unsigned salt = 1;

  Value *arg(const TensorType &t, std::vector<int64_t> shape, bool param,
             std::vector<float> data) {
    AttrMap attrs;
    if (param)
      attrs["param"] = true;
    Value *v = fn->addArg(t, "a" + std::to_string(args.size()), attrs);
    args.push_back(Tensor::f32(std::move(shape), std::move(data)));
    return v;
  }
  static int64_t numel(const std::vector<int64_t> &s) {
    return std::accumulate(s.begin(), s.end(), int64_t{1},
                           std::multiplies<int64_t>());
  }
  /// A param with values lo + (hi - lo) * u, u uniform in [0, 1).
  Value *param(std::vector<int64_t> shape, double lo = -1, double hi = 1) {
    std::vector<float> d = pseudoRandom(numel(shape), salt++);
    for (float &x : d)
      x = static_cast<float>(lo + (hi - lo) * (x + 1) / 2);
    return arg(TensorType::get(DType::F32, shape), shape, true, d);
  }
  /// A param whose type has symbolic dims; `shape` binds them.
  Value *paramT(const TensorType &t, std::vector<int64_t> shape) {
    return arg(t, shape, true, pseudoRandom(numel(shape), salt++));
  }
  /// Values on a grid of step 0.02 plus `offset`: two such tensors with
  /// offsets 0.006 and 0.013 never come closer than 0.007 (no ties).
  Value *gridParam(std::vector<int64_t> shape, double offset) {
    std::vector<float> d = pseudoRandom(numel(shape), salt++);
    for (float &x : d)
      x = static_cast<float>(std::round(x * 50) / 50 + offset);
    return arg(TensorType::get(DType::F32, shape), shape, true, d);
  }
  Value *input(const TensorType &t, std::vector<int64_t> shape,
               std::vector<float> data) {
    return arg(t, shape, false, std::move(data));
  }
  Value *inputI(const TensorType &t, std::vector<int64_t> shape,
                std::vector<int32_t> data) {
    Value *v = fn->addArg(t, "i" + std::to_string(args.size()));
    args.push_back(Tensor::i32(std::move(shape), std::move(data)));
    return v;
  }
  /// Returns (sum(y * r), y) with r a new random non-param argument; `shape`
  /// is y's concrete shape.
  void finish(Value *y, const std::vector<int64_t> &shape) {
    ASSERT_TRUE(y) << b.firstError();
    Value *r = input(y->type(), shape, pseudoRandom(numel(shape), 97 + salt));
    Value *p = b.mul(y, r);
    Value *loss = p;
    if (p->type().rank() > 0) {
      std::vector<int64_t> all(p->type().rank());
      std::iota(all.begin(), all.end(), 0);
      loss = b.reduce(OpKind::ReduceSum, p, all);
    }
    b.ret({loss, y});
    ASSERT_FALSE(b.failed()) << b.firstError();
  }
  void finishLoss(Value *loss) {
    ASSERT_TRUE(loss) << b.firstError();
    b.ret({loss});
  }
};

/// For inputs on the tie-free grid (spacing 0.007) or relu's |x| >= 0.05:
/// the stencil's reach 2h = 4e-3 never crosses a kink; the rounding error
/// grows as 1/h, so atol does too.
GradCheckOptions nearKinks() {
  GradCheckOptions co;
  co.eps = 2e-3;
  co.atol = 5e-4;
  return co;
}

TEST(AutodiffOps, Unary) {
  struct U {
    OpKind kind;
    double lo, hi;
  } cases[] = {{OpKind::Neg, -1, 1},   {OpKind::Exp, -1, 1},
               {OpKind::Tanh, -2, 2},  {OpKind::Sigmoid, -3, 3},
               {OpKind::Log, 0.5, 2},  {OpKind::Sqrt, 0.5, 2},
               {OpKind::Relu, 0.05, 1}};
  for (const U &u : cases) {
    for (bool negative : {false, true}) {
      if (negative && u.kind != OpKind::Relu)
        continue;
      SCOPED_TRACE(std::string(opName(u.kind)));
      GradCase c;
      Value *x =
          negative ? c.param({3, 5}, -1, -0.05) : c.param({3, 5}, u.lo, u.hi);
      c.finish(c.b.unary(u.kind, x), {3, 5});
      EXPECT_TRUE(checkGradient(*c.fn, c.args, {},
                                u.kind == OpKind::Relu ? nearKinks()
                                                       : GradCheckOptions{}));
    }
  }
}

TEST(AutodiffOps, BinaryBroadcast) {
  using Shape = std::vector<int64_t>;
  struct P {
    Shape a, b, y;
  } shapes[] = {{{3, 4}, {4}, {3, 4}},   {{2, 1, 3}, {4, 1}, {2, 4, 3}},
                {{1}, {5, 2}, {5, 2}},   {{1, 3}, {1, 3}, {1, 3}},
                {{3}, {}, {3}},          {{}, {2, 3}, {2, 3}},
                {{3, 1}, {1, 5}, {3, 5}}};
  for (OpKind k : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div,
                   OpKind::Max, OpKind::Min})
    for (const P &s : shapes) {
      SCOPED_TRACE(std::string(opName(k)) + " " + std::to_string(s.a.size()) +
                   "/" + std::to_string(s.b.size()));
      GradCase c;
      Value *a, *bb;
      if (k == OpKind::Max || k == OpKind::Min) {
        a = c.gridParam(s.a, 0.006);
        bb = c.gridParam(s.b, 0.013);
      } else {
        a = c.param(s.a);
        bb = k == OpKind::Div ? c.param(s.b, 0.5, 1.5) : c.param(s.b);
      }
      c.finish(c.b.binary(k, a, bb), s.y);
      bool kink = k == OpKind::Max || k == OpKind::Min;
      EXPECT_TRUE(checkGradient(*c.fn, c.args, {},
                                kink ? nearKinks() : GradCheckOptions{}));
    }
}

TEST(AutodiffOps, SameOperandTwice) {
  // y = x * x: both operand slots feed the same adjoint (dx = 2 x dy).
  GradCase c;
  Value *x = c.param({4});
  c.finish(c.b.mul(x, x), {4});
  EXPECT_TRUE(checkGradient(*c.fn, c.args));
}

TEST(AutodiffOps, Select) {
  GradCase c;
  Value *cond =
      c.input(TensorType::get(DType::F32, {3, 1}), {3, 1}, {1.0f, 0.0f, 1.0f});
  Value *a = c.param({3, 4});
  Value *bb = c.param({4});
  c.finish(c.b.select(cond, a, bb), {3, 4});
  EXPECT_TRUE(checkGradient(*c.fn, c.args));
}

TEST(AutodiffOps, MatMulTransposes) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      SCOPED_TRACE(std::to_string(ta) + std::to_string(tb));
      GradCase c;
      Value *a =
          c.param(ta ? std::vector<int64_t>{4, 3} : std::vector<int64_t>{3, 4});
      Value *bb =
          c.param(tb ? std::vector<int64_t>{5, 4} : std::vector<int64_t>{4, 5});
      c.finish(c.b.matmul(a, bb, ta, tb), {3, 5});
      EXPECT_TRUE(checkGradient(*c.fn, c.args));
    }
}

TEST(AutodiffOps, MatMulBatched) {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (bool batchedB : {false, true}) {
        SCOPED_TRACE(std::to_string(ta) + std::to_string(tb) +
                     std::to_string(batchedB));
        GradCase c;
        Value *a = c.param(ta ? std::vector<int64_t>{2, 3, 4, 3}
                              : std::vector<int64_t>{2, 3, 3, 4});
        std::vector<int64_t> bs =
            tb ? std::vector<int64_t>{5, 4} : std::vector<int64_t>{4, 5};
        if (batchedB)
          bs.insert(bs.begin(), {2, 3});
        Value *bb = c.param(bs);
        c.finish(c.b.matmul(a, bb, ta, tb), {2, 3, 3, 5});
        EXPECT_TRUE(checkGradient(*c.fn, c.args));
      }
}

TEST(AutodiffOps, MatMulSymbolicBatch) {
  // x @ W^T with x: f32[B,4], B = 1 (a single row), as the cells do.
  GradCase c;
  Value *x =
      c.paramT(TensorType::f32({Dim::symbolic("B"), Dim::fixed(4)}), {1, 4});
  Value *w = c.param({3, 4});
  c.finish(c.b.matmul(x, w, false, true), {1, 3});
  EXPECT_TRUE(checkGradient(*c.fn, c.args));
}

TEST(AutodiffOps, ConcatSplitSlice) {
  {
    GradCase c;
    Value *x = c.param({2, 3}), *y = c.param({2, 1}), *z = c.param({2, 2});
    c.finish(c.b.concat({x, y, z, x}, -1), {2, 9});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
  {
    GradCase c;
    Value *x = c.param({3, 2}), *y = c.param({1, 2});
    c.finish(c.b.concat({x, y}, 0), {4, 2});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
  {
    // Only parts 0 and 2 are used: part 1's gradient is 0.
    GradCase c;
    Value *x = c.param({2, 6});
    auto parts = c.b.split(x, 1, 3);
    c.finish(c.b.mul(parts[0], c.b.tanh(parts[2])), {2, 2});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
  for (int64_t start : {0, 1, 3}) {
    GradCase c;
    Value *x = c.param({2, 5, 3});
    c.finish(c.b.slice(x, 1, start, 2), {2, 2, 3});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
}

TEST(AutodiffOps, ReshapeTranspose) {
  {
    GradCase c;
    Value *x = c.param({2, 6});
    c.finish(c.b.reshape(x, {3, -1}), {3, 4});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
  {
    GradCase c;
    Value *x = c.paramT(
        TensorType::f32({Dim::symbolic("B"), Dim::fixed(2), Dim::fixed(3)}),
        {3, 2, 3});
    c.finish(c.b.reshape(x, {0, 6}), {3, 6});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
  {
    GradCase c;
    Value *x = c.param({2, 3, 4});
    c.finish(c.b.transpose(x, {2, 0, 1}), {4, 2, 3});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
}

TEST(AutodiffOps, Reductions) {
  using Axes = std::vector<int64_t>;
  for (OpKind k : {OpKind::ReduceSum, OpKind::ReduceMean, OpKind::ReduceMax})
    for (const Axes &axes :
         {Axes{0}, Axes{1}, Axes{2}, Axes{0, 2}, Axes{-1}, Axes{0, 1, 2}})
      for (bool keep : {false, true}) {
        SCOPED_TRACE(std::string(opName(k)) + " axes " +
                     std::to_string(axes.size()) + " " +
                     std::to_string(axes[0]) + (keep ? " keep" : ""));
        GradCase c;
        // Distinct grid values: the max is unique and eps cannot change it.
        Value *x = c.gridParam({2, 3, 4}, 0.006);
        std::vector<int64_t> shape = {2, 3, 4};
        for (int64_t a : axes)
          shape[a < 0 ? a + 3 : a] = keep ? 1 : 0;
        std::vector<int64_t> out;
        for (int64_t s : shape)
          if (s != 0)
            out.push_back(s);
        c.finish(c.b.reduce(k, x, axes, keep), out);
        EXPECT_TRUE(checkGradient(*c.fn, c.args, {}, nearKinks()));
      }
}

TEST(AutodiffOps, ReduceMaxTiesShare) {
  // max of [1, 1]: the subgradient splits evenly, d = dy / 2 each.
  GradCase c;
  Value *x = c.arg(TensorType::get(DType::F32, {2}), {2}, true, {1.0f, 1.0f});
  c.finishLoss(c.b.reduce(OpKind::ReduceMax, x, {0}));
  auto g = passes::buildGradient(*c.fn);
  ASSERT_TRUE(g) << g.error();
  auto r = ir::interpret(**g, c.args);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[1], tf({2}, {0.5f, 0.5f})));
}

TEST(AutodiffOps, SymbolicReduceMean) {
  // The count of a mean over symbolic dims is only known at run time.
  GradCase c;
  Value *x = c.paramT(
      TensorType::f32({Dim::symbolic("T"), Dim::symbolic("B"), Dim::fixed(3)}),
      {4, 2, 3});
  c.finish(c.b.reduce(OpKind::ReduceMean, x, {0, 1}), {3});
  EXPECT_TRUE(checkGradient(*c.fn, c.args));
}

TEST(AutodiffOps, Softmax) {
  for (bool log : {false, true})
    for (int64_t axis : {-1, 0}) {
      GradCase c;
      Value *x = c.param({3, 5}, -2, 2);
      c.finish(log ? c.b.logSoftmax(x, axis) : c.b.softmax(x, axis), {3, 5});
      EXPECT_TRUE(checkGradient(*c.fn, c.args));
    }
}

TEST(AutodiffOps, Embed) {
  for (bool seq : {false, true}) {
    GradCase c;
    Value *table = c.param({7, 3});
    std::vector<int32_t> ids = {3, 0, 6, 3, 1, 3, 2, 5};
    Value *x;
    if (seq)
      x = c.inputI(TensorType::i32({Dim::symbolic("T"), Dim::symbolic("B")}),
                   {4, 2}, ids);
    else
      x = c.inputI(TensorType::i32({Dim::symbolic("B")}), {3}, {3, 0, 3});
    c.finish(c.b.embed(table, x),
             seq ? std::vector<int64_t>{4, 2, 3} : std::vector<int64_t>{3, 3});
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
}

TEST(AutodiffOps, EmbedGrad) {
  // embed_grad is linear in its gradient operand: d dy = embed(d out, ids).
  GradCase c;
  Value *ids =
      c.inputI(TensorType::i32({Dim::symbolic("T"), Dim::symbolic("B")}),
               {4, 2}, {3, 0, 4, 3, 1, 3, 2, 0});
  Value *g = c.paramT(
      TensorType::f32({Dim::symbolic("T"), Dim::symbolic("B"), Dim::fixed(3)}),
      {4, 2, 3});
  Operation *op =
      c.b.create(OpKind::EmbedGrad, {ids, g}, {{"rows", int64_t{5}}});
  ASSERT_TRUE(op) << c.b.firstError();
  c.finish(c.b.tanh(op->result(0)), {5, 3});
  EXPECT_TRUE(checkGradient(*c.fn, c.args));
}

TEST(AutodiffOps, CrossEntropy) {
  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE(variant);
    GradCase c;
    Dim T = Dim::symbolic("T"), B = Dim::symbolic("B");
    Value *loss;
    if (variant == 2) { // per-sequence: logits [B,V], targets [B]
      Value *logits = c.paramT(TensorType::f32({B, Dim::fixed(5)}), {3, 5});
      Value *t = c.inputI(TensorType::i32({B}), {3}, {4, 0, 2});
      loss = c.b.create(OpKind::CrossEntropy, {logits, t})->result(0);
    } else {
      Value *logits =
          c.paramT(TensorType::f32({T, B, Dim::fixed(5)}), {4, 3, 5});
      // Padded positions (t >= length) hold the target -1.
      Value *t = c.inputI(TensorType::i32({T, B}), {4, 3},
                          {1, 4, 0, 2, -1, 3, 0, -1, 1, -1, -1, 4});
      if (variant == 0) {
        Value *len = c.inputI(TensorType::i32({B}), {3}, {3, 1, 4});
        Value *m = c.b.create(OpKind::LengthMask, {len, logits})->result(0);
        loss = c.b.create(OpKind::CrossEntropy, {logits, t, m})->result(0);
      } else {
        c.args.back() = ti({4, 3}, {1, 4, 0, 2, 2, 3, 0, 1, 1, 4, 0, 4});
        loss = c.b.create(OpKind::CrossEntropy, {logits, t})->result(0);
      }
    }
    c.finishLoss(loss);
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
}

TEST(AutodiffOps, CrossEntropyAllMasked) {
  // sum(mask) = 0: the loss is 0 and so is its gradient (no 0/0).
  GradCase c;
  Value *logits = c.param({2, 3});
  Value *t = c.inputI(TensorType::i32({Dim::fixed(2)}), {2}, {-1, -1});
  Value *m = c.input(TensorType::get(DType::F32, {2}), {2}, {0.0f, 0.0f});
  c.finishLoss(c.b.create(OpKind::CrossEntropy, {logits, t, m})->result(0));
  auto g = passes::buildGradient(*c.fn);
  ASSERT_TRUE(g) << g.error();
  auto r = ir::interpret(**g, c.args);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[1], tf({2, 3}, std::vector<float>(6, 0.0f))));
}

TEST(AutodiffOps, Mse) {
  for (bool masked : {false, true}) {
    GradCase c;
    Value *p = c.param({4, 3, 2}), *t = c.param({4, 3, 2});
    Value *loss;
    if (masked) {
      std::vector<float> m = {1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0};
      Value *mask = c.input(TensorType::get(DType::F32, {4, 3}), {4, 3}, m);
      loss = c.b.create(OpKind::Mse, {p, t, mask})->result(0);
    } else {
      loss = c.b.create(OpKind::Mse, {p, t})->result(0);
    }
    c.finishLoss(loss);
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
}

TEST(AutodiffOps, ChainAndWrtSubset) {
  // A composite, differentiated w.r.t. one of two params (by index).
  GradCase c;
  Value *w = c.param({3, 4}), *x = c.param({2, 4});
  Value *h = c.b.tanh(c.b.matmul(x, w, false, true));
  c.finish(c.b.logSoftmax(c.b.mul(h, h)), {2, 3});
  passes::GradientOptions go;
  go.wrt = {1};
  EXPECT_TRUE(checkGradient(*c.fn, c.args, go));
}

TEST(AutodiffOps, RandomBroadcastShapes) {
  // Random ranks 0-4 and sizes 1-5 (odd ones included); each operand is the
  // result shape with leading dims dropped and some dims set to 1, so every
  // kind of broadcast (and none) occurs across the seeds.
  std::mt19937 rng(20261201);
  auto pick = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<int64_t> y(pick(0, 4));
    for (int64_t &d : y)
      d = pick(1, 5);
    auto operand = [&] {
      std::vector<int64_t> s(y.begin() + pick(0, static_cast<int>(y.size())),
                             y.end());
      for (int64_t &d : s)
        if (pick(0, 2) == 0)
          d = 1;
      return s;
    };
    std::vector<int64_t> as = operand(), bs = operand();
    // The result is the broadcast of the operands (a dim both set to 1 stays
    // 1).
    std::vector<int64_t> out(std::max(as.size(), bs.size()), 1);
    for (size_t i = 0; i < out.size(); ++i) {
      int64_t da = i < as.size() ? as[as.size() - 1 - i] : 1;
      int64_t db = i < bs.size() ? bs[bs.size() - 1 - i] : 1;
      out[out.size() - 1 - i] = std::max(da, db);
    }
    OpKind k = std::vector<OpKind>{OpKind::Add, OpKind::Sub, OpKind::Mul,
                                   OpKind::Div}[trial % 4];
    SCOPED_TRACE("trial " + std::to_string(trial));
    GradCase c;
    Value *a = c.param(as);
    Value *bb = k == OpKind::Div ? c.param(bs, 0.5, 1.5) : c.param(bs);
    c.finish(c.b.binary(k, a, bb), out);
    EXPECT_TRUE(checkGradient(*c.fn, c.args));
  }
}

TEST(AutodiffOps, UnusedParamGetsZero) {
  GradCase c;
  Value *x = c.param({3});
  c.param({2, 2}); // not used by the loss
  c.finish(c.b.unary(OpKind::Exp, x), {3});
  auto g = passes::buildGradient(*c.fn);
  ASSERT_TRUE(g) << g.error();
  auto r = ir::interpret(**g, c.args);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(near((*r)[3], tf({2, 2}, {0, 0, 0, 0})));
  EXPECT_TRUE(checkGradient(*c.fn, c.args));
}

TEST(AutodiffOps, Errors) {
  GradCase c;
  Value *x = c.param({2});
  Value *ids = c.inputI(TensorType::i32({Dim::fixed(2)}), {2}, {0, 1});
  c.b.ret({c.b.reduce(OpKind::ReduceSum, x, {0}), x, ids});
  passes::GradientOptions go;
  go.lossResult = 1;
  auto r = passes::buildGradient(*c.fn, go);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("the loss must be f32[]"), std::string::npos)
      << r.error();
  go.lossResult = 3;
  r = passes::buildGradient(*c.fn, go);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("out of range"), std::string::npos) << r.error();
  go.lossResult = 0;
  go.wrt = {1};
  r = passes::buildGradient(*c.fn, go);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not f32"), std::string::npos) << r.error();
  go.wrt = {};
  r = passes::buildGradient(*c.fn, go);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)->name(), "f_grad");
  ASSERT_EQ((*r)->resultTypes().size(), 4u);
  EXPECT_EQ((*r)->argAttrs(0).count("param"), 1u);
}

} // namespace
