//===- tests/unit/OptimizerTest.cpp - SGD, Adam, AdamW, RMSProp -----------===//
//
// Each optimizer against an independent transcription, in double, of the
// algorithm boxes of the torch.optim documentation (SGD, Adam, AdamW,
// RMSprop), over several steps with a changing learning rate, on two tensors
// whose sizes are not multiples of a vector width. Also: Adam converges on a
// quadratic, checkpoint state round-trips bit-exactly, bad arguments and bad
// state are reported, and clipGlobalNorm matches a direct computation.
//
//===----------------------------------------------------------------------===//
#include "runtime/Optimizer.h"

#include "runtime/Initializers.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace rnnc;

namespace {

/// The torch.optim documentation's algorithms, one element at a time.
struct Reference {
  std::string kind;
  double lr = 0, mu = 0, damp = 0, wd = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8,
         alpha = 0.99;
  bool nesterov = false, centered = false;
  std::vector<double> buf, m, v, gave;

  void step(std::vector<double> &theta, const std::vector<double> &grad,
            double gamma, int t) {
    size_t n = theta.size();
    if (buf.empty()) {
      buf.assign(n, 0);
      m.assign(n, 0);
      v.assign(n, 0);
      gave.assign(n, 0);
    }
    for (size_t j = 0; j < n; ++j) {
      double g = grad[j];
      if (kind == "sgd") {
        if (wd != 0)
          g = g + wd * theta[j];
        if (mu != 0) {
          if (t > 1)
            buf[j] = mu * buf[j] + (1 - damp) * g;
          else
            buf[j] = g;
          if (nesterov)
            g = g + mu * buf[j];
          else
            g = buf[j];
        }
        theta[j] = theta[j] - gamma * g;
      } else if (kind == "adam" || kind == "adamw") {
        if (kind == "adamw")
          theta[j] = theta[j] - gamma * wd * theta[j];
        else if (wd != 0)
          g = g + wd * theta[j];
        m[j] = b1 * m[j] + (1 - b1) * g;
        v[j] = b2 * v[j] + (1 - b2) * g * g;
        double mhat = m[j] / (1 - std::pow(b1, t));
        double vhat = v[j] / (1 - std::pow(b2, t));
        theta[j] = theta[j] - gamma * mhat / (std::sqrt(vhat) + eps);
      } else if (kind == "rmsprop") {
        if (wd != 0)
          g = g + wd * theta[j];
        v[j] = alpha * v[j] + (1 - alpha) * g * g;
        double vt = v[j];
        if (centered) {
          gave[j] = alpha * gave[j] + (1 - alpha) * g;
          vt = vt - gave[j] * gave[j];
        }
        if (mu > 0) {
          buf[j] = mu * buf[j] + g / (std::sqrt(vt) + eps);
          theta[j] = theta[j] - gamma * buf[j];
        } else {
          theta[j] = theta[j] - gamma * g / (std::sqrt(vt) + eps);
        }
      }
    }
  }
};

/// Values in +-[0.5, 1.5], so parameters stay away from 0 and a relative
/// comparison is meaningful.
std::vector<float> values(Rng &rng, size_t n) {
  std::vector<float> out(n);
  for (float &x : out) {
    double u = rng.nextDouble();
    x = static_cast<float>((rng.nextDouble() < 0.5 ? -1 : 1) * (0.5 + u));
  }
  return out;
}

struct Case {
  std::string name;
  std::map<std::string, double> args;
  double lr;
};

void expectMatchesReference(const Case &c) {
  SCOPED_TRACE(c.name);
  auto opt = makeOptimizer(c.name, c.args);
  ASSERT_TRUE(opt) << opt.error();
  Reference ref;
  ref.kind = c.name;
  auto get = [&](const char *k, double &out) {
    if (c.args.count(k))
      out = c.args.at(k);
  };
  if (c.name == "adamw")
    ref.wd = 0.01; // AdamW's default
  get("momentum", ref.mu);
  get("dampening", ref.damp);
  get("weight_decay", ref.wd);
  get("beta1", ref.b1);
  get("beta2", ref.b2);
  get("eps", ref.eps);
  get("alpha", ref.alpha);
  ref.nesterov = c.args.count("nesterov") && c.args.at("nesterov") != 0;
  ref.centered = c.args.count("centered") && c.args.at("centered") != 0;

  Rng rng(42);
  Tensor a = Tensor::f32({7}, values(rng, 7));
  Tensor b = Tensor::f32({3, 5}, values(rng, 15));
  std::vector<double> theta;
  for (const Tensor *t : {&a, &b})
    for (float x : t->f32Vec())
      theta.push_back(x);
  std::vector<Tensor *> params{&a, &b};
  for (int t = 1; t <= 6; ++t) {
    Tensor ga = Tensor::f32({7}, values(rng, 7));
    Tensor gb = Tensor::f32({3, 5}, values(rng, 15));
    std::vector<double> grad;
    for (const Tensor *g : {&ga, &gb})
      for (float x : g->f32Vec())
        grad.push_back(x);
    double lr = c.lr * (1 + 0.1 * t); // a schedule's changing value
    Status s = (*opt)->step(params, {&ga, &gb}, lr);
    ASSERT_TRUE(s) << s.error();
    ref.step(theta, grad, lr, t);
    EXPECT_EQ((*opt)->stepCount(), t);
    size_t j = 0;
    for (const Tensor *p : params)
      for (float x : p->f32Vec()) {
        double r = theta[j++];
        EXPECT_LE(std::abs(x - r), 1e-6 * std::abs(r))
            << "step " << t << " element " << j - 1 << ": " << x << " vs "
            << r;
      }
  }
}

} // namespace

TEST(OptimizerTest, SgdMatchesPyTorch) {
  expectMatchesReference({"sgd", {{"lr", 0.05}}, 0.05});
  expectMatchesReference({"sgd", {{"weight_decay", 0.1}}, 0.05});
  expectMatchesReference(
      {"sgd", {{"momentum", 0.9}, {"weight_decay", 0.01}}, 0.02});
  expectMatchesReference(
      {"sgd", {{"momentum", 0.8}, {"dampening", 0.3}}, 0.02});
  expectMatchesReference(
      {"sgd", {{"momentum", 0.9}, {"nesterov", 1}, {"weight_decay", 0.05}},
       0.01});
}

TEST(OptimizerTest, AdamMatchesPyTorch) {
  expectMatchesReference({"adam", {}, 0.05});
  expectMatchesReference({"adam",
                          {{"beta1", 0.8},
                           {"beta2", 0.95},
                           {"eps", 1e-6},
                           {"weight_decay", 0.1}},
                          0.05});
}

TEST(OptimizerTest, AdamWMatchesPyTorch) {
  expectMatchesReference({"adamw", {}, 0.05});
  expectMatchesReference({"adamw", {{"weight_decay", 0.5}}, 0.05});
}

TEST(OptimizerTest, RmsPropMatchesPyTorch) {
  expectMatchesReference({"rmsprop", {}, 0.002});
  expectMatchesReference(
      {"rmsprop", {{"alpha", 0.9}, {"weight_decay", 0.1}}, 0.002});
  expectMatchesReference({"rmsprop", {{"momentum", 0.5}}, 0.002});
  expectMatchesReference({"rmsprop", {{"centered", 1}}, 0.002});
  expectMatchesReference(
      {"rmsprop", {{"centered", 1}, {"momentum", 0.7}}, 0.001});
}

TEST(OptimizerTest, Defaults) {
  EXPECT_EQ((*makeOptimizer("sgd", {}))->baseLr(), 1e-3);
  EXPECT_EQ((*makeOptimizer("adam", {}))->baseLr(), 1e-3);
  EXPECT_EQ((*makeOptimizer("adamw", {}))->baseLr(), 1e-3);
  EXPECT_EQ((*makeOptimizer("rmsprop", {}))->baseLr(), 1e-2);
  EXPECT_EQ((*makeOptimizer("adam", {{"lr", 0.25}}))->baseLr(), 0.25);
}

TEST(OptimizerTest, AdamConvergesOnQuadratic) {
  // f(p) = sum_j a_j (p_j - c_j)^2, gradient 2 a_j (p_j - c_j): badly
  // scaled (a from 0.01 to 100), which Adam's per-element step handles.
  const int n = 37;
  std::vector<float> c(n), a(n);
  for (int j = 0; j < n; ++j) {
    c[j] = static_cast<float>(std::sin(j + 1.0) * 3);
    a[j] = static_cast<float>(std::pow(10.0, -2 + 4.0 * j / (n - 1)));
  }
  Tensor p(DType::F32, {n});
  Tensor g(DType::F32, {n});
  auto opt = makeOptimizer("adam", {{"lr", 0.05}});
  ASSERT_TRUE(opt);
  std::vector<Tensor *> params{&p};
  for (int it = 0; it < 3000; ++it) {
    for (int j = 0; j < n; ++j)
      g.f32Vec()[j] = 2 * a[j] * (p.f32Vec()[j] - c[j]);
    // Decay the lr so the iterate settles instead of orbiting at ~lr.
    double lr = 0.05 * (it < 2000 ? 1 : 0.02);
    ASSERT_TRUE((*opt)->step(params, {&g}, lr));
  }
  for (int j = 0; j < n; ++j)
    EXPECT_NEAR(p.f32Vec()[j], c[j], 5e-3) << "element " << j;
}

TEST(OptimizerTest, StateRoundTripContinuesBitIdentically) {
  const std::vector<Case> cases = {
      {"sgd", {{"momentum", 0.9}, {"dampening", 0.1}}, 0.02},
      {"sgd", {}, 0.02},
      {"adam", {{"weight_decay", 0.01}}, 0.05},
      {"adamw", {}, 0.05},
      {"rmsprop", {{"centered", 1}, {"momentum", 0.5}}, 0.002}};
  const std::vector<std::string> names{"h1.Wi", "logits.weight"};
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    Rng rng(7);
    Tensor a0 = Tensor::f32({5}, values(rng, 5));
    Tensor b0 = Tensor::f32({2, 3}, values(rng, 6));
    std::vector<Tensor> ga, gb;
    for (int t = 0; t < 6; ++t) {
      ga.push_back(Tensor::f32({5}, values(rng, 5)));
      gb.push_back(Tensor::f32({2, 3}, values(rng, 6)));
    }
    // Uninterrupted.
    Tensor a = a0, b = b0;
    std::vector<Tensor *> params{&a, &b};
    auto opt = makeOptimizer(c.name, c.args);
    for (int t = 0; t < 6; ++t)
      ASSERT_TRUE((*opt)->step(params, {&ga[t], &gb[t]}, c.lr));
    // Interrupted after 3 steps, state restored into a fresh optimizer.
    Tensor a2 = a0, b2 = b0;
    std::vector<Tensor *> params2{&a2, &b2};
    auto first = makeOptimizer(c.name, c.args);
    for (int t = 0; t < 3; ++t)
      ASSERT_TRUE((*first)->step(params2, {&ga[t], &gb[t]}, c.lr));
    TensorMap saved = (*first)->state(names);
    EXPECT_EQ(saved.at("optim.step").i32Vec()[0], 3);
    // Through the checkpoint format, with the vocabulary-style metadata a
    // driver stores beside it.
    auto bytes = serializeSafetensors(saved, {{"vocab", "bytes:0a20"}});
    ASSERT_TRUE(bytes) << bytes.error();
    auto file = parseSafetensors(*bytes);
    ASSERT_TRUE(file) << file.error();
    TensorMap st = file->tensors;
    st["h1.Wi"] = a2; // the model's own tensors may share the file
    auto second = makeOptimizer(c.name, c.args);
    Status s = (*second)->loadState(st, names, {&a2, &b2});
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ((*second)->stepCount(), 3);
    for (int t = 3; t < 6; ++t)
      ASSERT_TRUE((*second)->step(params2, {&ga[t], &gb[t]}, c.lr));
    EXPECT_EQ(a.f32Vec(), a2.f32Vec());
    EXPECT_EQ(b.f32Vec(), b2.f32Vec());
  }
}

// A parameter of at least 64K elements is updated in parts on the pool's
// threads (each element depends on itself only): any thread count gives
// the single-threaded result bit for bit, tails included.
TEST(OptimizerTest, LargeParametersUpdateTheSameOnAnyThreadCount) {
  const std::vector<Case> cases = {
      {"sgd", {{"momentum", 0.9}, {"nesterov", 1}}, 0.02},
      {"adam", {{"weight_decay", 0.01}}, 0.05},
      {"adamw", {}, 0.05},
      {"rmsprop", {{"centered", 1}, {"momentum", 0.5}}, 0.002}};
  const int64_t n = 100003;
  unsigned before = ThreadPool::global().threadCount();
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    Rng rng(11);
    Tensor p0 = Tensor::f32({n}, values(rng, n));
    std::vector<Tensor> grads;
    for (int t = 0; t < 3; ++t)
      grads.push_back(Tensor::f32({n}, values(rng, n)));
    std::vector<std::vector<float>> results;
    for (unsigned threads : {1u, 2u, 3u}) {
      ThreadPool::global().resize(threads);
      Tensor p = p0;
      std::vector<Tensor *> params{&p};
      auto opt = makeOptimizer(c.name, c.args);
      ASSERT_TRUE(opt) << opt.error();
      for (const Tensor &g : grads)
        ASSERT_TRUE((*opt)->step(params, {&g}, c.lr));
      results.push_back(p.f32Vec());
    }
    EXPECT_NE(results[0], p0.f32Vec());
    EXPECT_EQ(results[1], results[0]);
    EXPECT_EQ(results[2], results[0]);
  }
  ThreadPool::global().resize(before);
}

TEST(OptimizerTest, StateNames) {
  Tensor p = Tensor::f32({2}, {1, 2}), g = Tensor::f32({2}, {0.5, -0.5});
  std::vector<Tensor *> params{&p};
  auto adam = makeOptimizer("adam", {});
  EXPECT_EQ((*adam)->state({"w"}).size(), 1u); // no buffers before a step
  ASSERT_TRUE((*adam)->step(params, {&g}, 0.1));
  TensorMap st = (*adam)->state({"w"});
  EXPECT_EQ(st.size(), 3u);
  EXPECT_TRUE(st.count("adam.m.w") && st.count("adam.v.w") &&
              st.count("optim.step"));
  auto sgd = makeOptimizer("sgd", {{"momentum", 0.9}});
  ASSERT_TRUE((*sgd)->step(params, {&g}, 0.1));
  EXPECT_TRUE((*sgd)->state({"w"}).count("sgd.momentum.w"));
  auto rms = makeOptimizer("rmsprop", {{"centered", 1}});
  ASSERT_TRUE((*rms)->step(params, {&g}, 0.1));
  TensorMap rs = (*rms)->state({"w"});
  EXPECT_TRUE(rs.count("rmsprop.square_avg.w") && rs.count("rmsprop.grad_avg.w"));
}

TEST(OptimizerTest, LoadStateErrors) {
  Tensor p = Tensor::f32({2}, {1, 2}), g = Tensor::f32({2}, {0.5, -0.5});
  std::vector<Tensor *> params{&p};
  auto adam = makeOptimizer("adam", {});
  ASSERT_TRUE((*adam)->step(params, {&g}, 0.1));
  TensorMap st = (*adam)->state({"w"});

  auto fresh = [] { return makeOptimizer("adam", {}).take(); };
  TensorMap missing = st;
  missing.erase("adam.v.w");
  Status s = fresh()->loadState(missing, {"w"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("missing 'adam.v.w'"), std::string::npos)
      << s.error();

  TensorMap misShaped = st;
  misShaped["adam.m.w"] = Tensor(DType::F32, {3});
  s = fresh()->loadState(misShaped, {"w"}, {&p});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("'adam.m.w' has shape [3]"), std::string::npos)
      << s.error();
  // Without the parameters, the mismatch shows at the next step, by name.
  auto late = fresh();
  std::vector<float> before = p.f32Vec();
  TensorMap bothWrong = st;
  bothWrong["adam.m.w"] = Tensor(DType::F32, {3});
  bothWrong["adam.v.w"] = Tensor(DType::F32, {3});
  ASSERT_TRUE(late->loadState(bothWrong, {"w"}));
  s = late->step(params, {&g}, 0.1);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("'w'"), std::string::npos) << s.error();
  EXPECT_EQ(p.f32Vec(), before);

  s = makeOptimizer("sgd", {{"momentum", 0.9}}).take()->loadState(st, {"w"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("holds adam state"), std::string::npos)
      << s.error();

  TensorMap extra = st;
  extra["adam.m.gone"] = Tensor(DType::F32, {2});
  s = fresh()->loadState(extra, {"w"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("unexpected 'adam.m.gone'"), std::string::npos);

  s = fresh()->loadState({}, {"w"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("missing 'optim.step'"), std::string::npos);
}

TEST(OptimizerTest, StepErrorsChangeNothing) {
  Tensor p = Tensor::f32({2}, {1, 2}), g = Tensor::f32({3}, {1, 1, 1});
  std::vector<Tensor *> params{&p};
  auto opt = makeOptimizer("sgd", {}).take();
  Status s = opt->step(params, {&g}, 0.1);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("shape [2]"), std::string::npos) << s.error();
  EXPECT_FALSE(opt->step(params, {}, 0.1));
  Tensor g2 = Tensor::f32({2}, {1, 1});
  EXPECT_FALSE(opt->step(params, {&g2}, -1));
  EXPECT_FALSE(opt->step(params, {&g2}, NAN));
  EXPECT_EQ(p.f32Vec(), (std::vector<float>{1, 2}));
  EXPECT_EQ(opt->stepCount(), 0);
}

TEST(OptimizerTest, MakeOptimizerErrors) {
  auto err = [](const std::string &name,
                const std::map<std::string, double> &args) {
    auto r = makeOptimizer(name, args);
    EXPECT_FALSE(r);
    return r ? std::string() : r.error();
  };
  EXPECT_NE(err("adagrad", {}).find("unknown optimizer 'adagrad'"),
            std::string::npos);
  EXPECT_NE(err("sgd", {{"beta1", 0.9}}).find("unknown argument 'beta1'"),
            std::string::npos);
  EXPECT_NE(err("adam", {{"momentum", 0.9}}).find("'momentum'"),
            std::string::npos);
  EXPECT_NE(err("adam", {{"lr", -1}}).find("lr = -1"), std::string::npos);
  EXPECT_NE(err("adam", {{"beta2", 1}}).find("beta2"), std::string::npos);
  EXPECT_NE(err("rmsprop", {{"alpha", 1.5}}).find("alpha"),
            std::string::npos);
  EXPECT_NE(err("sgd", {{"nesterov", 1}}).find("nesterov"),
            std::string::npos);
  EXPECT_NE(err("sgd", {{"nesterov", 2}, {"momentum", 0.9}}).find("0 or 1"),
            std::string::npos);
}

TEST(OptimizerTest, ClipGlobalNorm) {
  Tensor a = Tensor::f32({2}, {3, -4});
  Tensor b = Tensor::f32({1, 3}, {12, 0, 0}); // total norm 13
  std::vector<Tensor *> grads{&a, &b};
  EXPECT_DOUBLE_EQ(clipGlobalNorm(grads, 0), 13); // no clipping
  EXPECT_EQ(a.f32Vec(), (std::vector<float>{3, -4}));
  EXPECT_DOUBLE_EQ(clipGlobalNorm(grads, 20), 13); // below the limit
  EXPECT_EQ(b.f32Vec()[0], 12.0f);

  EXPECT_DOUBLE_EQ(clipGlobalNorm(grads, 6.5), 13);
  double after = 0;
  for (const Tensor *g : grads)
    for (float x : g->f32Vec())
      after += double(x) * x;
  EXPECT_NEAR(std::sqrt(after), 6.5 * 13 / (13 + 1e-6), 1e-6);
  EXPECT_NEAR(a.f32Vec()[0], 1.5, 1e-6);
  EXPECT_NEAR(b.f32Vec()[0], 6.0, 1e-6);

  // A larger tensor: the norm is accumulated in double.
  Tensor big(DType::F32, {100003});
  for (float &x : big.f32Vec())
    x = 0.001f;
  std::vector<Tensor *> one{&big};
  EXPECT_NEAR(clipGlobalNorm(one, 0), std::sqrt(100003.0) * double(0.001f),
              1e-9);
  Tensor bad = Tensor::f32({2}, {INFINITY, 1});
  std::vector<Tensor *> badGrads{&bad};
  EXPECT_TRUE(std::isinf(clipGlobalNorm(badGrads, 1)));
  EXPECT_EQ(bad.f32Vec()[1], 1.0f);
}

// The step count is stored as i32: one step past its largest value is saved
// as that value (Adam's bias corrections are 1 there), never wrapped to a
// negative count that the next resume would refuse.
TEST(OptimizerTest, StepCountSaturatesWhenSaved) {
  Tensor p = Tensor::f32({2}, {1, 2}), g = Tensor::f32({2}, {0.5, -0.5});
  std::vector<Tensor *> params{&p};
  auto adam = makeOptimizer("adam", {});
  ASSERT_TRUE((*adam)->step(params, {&g}, 0.1));
  TensorMap st = (*adam)->state({"w"});
  const int32_t kMax = std::numeric_limits<int32_t>::max();
  st["optim.step"] = Tensor::i32({}, {kMax});
  auto resumed = makeOptimizer("adam", {});
  ASSERT_TRUE((*resumed)->loadState(st, {"w"}, {&p}));
  ASSERT_TRUE((*resumed)->step(params, {&g}, 0.1));
  EXPECT_EQ((*resumed)->stepCount(), int64_t(kMax) + 1);
  EXPECT_TRUE(std::isfinite(p.f32Vec()[0]) && std::isfinite(p.f32Vec()[1]));
  TensorMap saved = (*resumed)->state({"w"});
  EXPECT_EQ(saved.at("optim.step").i32Vec()[0], kMax);
  auto again = makeOptimizer("adam", {});
  EXPECT_TRUE((*again)->loadState(saved, {"w"}, {&p}));
}

// A step count that cannot be read is the one problem reported: which
// buffers belong to the state depends on it, so they are not each listed
// as unexpected.
TEST(OptimizerTest, BadStepCountIsTheOnlyProblem) {
  Tensor p = Tensor::f32({2}, {1, 2}), g = Tensor::f32({2}, {0.5, -0.5});
  std::vector<Tensor *> params{&p};
  auto adam = makeOptimizer("adam", {});
  ASSERT_TRUE((*adam)->step(params, {&g}, 0.1));
  for (const Tensor &bad : {Tensor::f32({}, {3.0f}), Tensor::i32({}, {-2})}) {
    TensorMap st = (*adam)->state({"w"});
    st["optim.step"] = bad;
    Status s = makeOptimizer("adam", {}).take()->loadState(st, {"w"}, {&p});
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().find("'optim.step'"), std::string::npos);
    EXPECT_EQ(s.error().find("unexpected"), std::string::npos) << s.error();
  }
}
