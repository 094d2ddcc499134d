//===- runtime/Optimizer.cpp - SGD, Adam, AdamW, RMSProp ------------------===//
//
// The shared part (argument checks, buffers, checkpoint state) lives in the
// base class; each optimizer only supplies its per-tensor loop. See the
// header for the update rules, which transcribe torch.optim's.
//
//===----------------------------------------------------------------------===//
#include "runtime/Optimizer.h"

#include "runtime/ParameterStore.h"
#include "runtime/ThreadPool.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace rnnc {

Optimizer::~Optimizer() = default;

Optimizer::Optimizer(double lr, std::vector<std::string> bufferNames)
    : lr0(lr), bufferNames(std::move(bufferNames)) {}

static std::string paramLabel(const std::vector<std::string> &names,
                              size_t i) {
  if (i < names.size())
    return "'" + names[i] + "'";
  return "#" + std::to_string(i);
}

Status Optimizer::step(std::vector<Tensor *> &params,
                       const std::vector<const Tensor *> &grads, double lr) {
  if (!std::isfinite(lr) || lr < 0)
    return makeError(std::string(name()) + ": learning rate must be finite "
                                           "and >= 0, got " +
                     std::to_string(lr));
  if (params.size() != grads.size())
    return makeError(std::string(name()) + ": " +
                     std::to_string(params.size()) + " parameters but " +
                     std::to_string(grads.size()) + " gradients");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor *p = params[i], *g = grads[i];
    std::string what = std::string(name()) + ": parameter " +
                       paramLabel(knownNames, i);
    if (!p || !g)
      return makeError(what + " or its gradient is null");
    if (p->dtype() != DType::F32 || g->dtype() != DType::F32)
      return makeError(what + ": parameter and gradient must be f32, got " +
                       p->typeString() + " and " + g->typeString());
    if (p->shape() != g->shape())
      return makeError(what + " has shape " + shapeString(p->shape()) +
                       " but its gradient " + shapeString(g->shape()));
  }
  bool haveBuffers = !bufferNames.empty() && !buffers.empty();
  if (haveBuffers) {
    if (buffers[0].size() != params.size())
      return makeError(std::string(name()) + ": optimizer state holds " +
                       std::to_string(buffers[0].size()) +
                       " parameters, step() was given " +
                       std::to_string(params.size()));
    for (size_t k = 0; k < bufferNames.size(); ++k)
      for (size_t i = 0; i < params.size(); ++i)
        if (buffers[k][i].shape() != params[i]->shape())
          return makeError(std::string(name()) + ": state '" + name() + "." +
                           bufferNames[k] + "' of parameter " +
                           paramLabel(knownNames, i) + " has shape " +
                           shapeString(buffers[k][i].shape()) +
                           ", the parameter " +
                           shapeString(params[i]->shape()));
  } else if (!bufferNames.empty()) {
    buffers.assign(bufferNames.size(), {});
    for (auto &perParam : buffers)
      for (Tensor *p : params)
        perParam.emplace_back(DType::F32, p->shape());
  }

  ++steps;
  // Each element's update reads and writes that element only, so large
  // parameters are split across the pool's threads with the same result
  // (the char-LM's 0.9M parameters: ~0.9 ms per Adam step on one thread).
  ThreadPool &pool = ThreadPool::global();
  for (size_t i = 0; i < params.size(); ++i) {
    float *p = params[i]->f32Data();
    const float *g = grads[i]->f32Data();
    int64_t n = params[i]->numElements();
    auto run = [&](int64_t begin, int64_t end) {
      std::vector<float *> bufs(bufferNames.size());
      for (size_t k = 0; k < bufferNames.size(); ++k)
        bufs[k] = buffers[k][i].f32Data() + begin;
      update(p + begin, g + begin, bufs.data(), end - begin, lr, steps);
    };
    if (n < 64 * 1024) {
      run(0, n);
      continue;
    }
    // Parts of multiples of 16 floats (64 bytes), so at most the line at
    // a boundary is shared between two threads.
    int64_t lines = (n + 15) / 16;
    pool.parallelFor(
        lines, [&](int64_t b, int64_t e) { run(b * 16, std::min(n, e * 16)); });
  }
  return Status::ok();
}

static const char *const KnownOptimizers[] = {"sgd", "adam", "adamw",
                                              "rmsprop"};
static const char StepKey[] = "optim.step";

TensorMap Optimizer::state(const std::vector<std::string> &paramNames) const {
  TensorMap out;
  // Stored as i32 (what other tools read for a step count); past 2^31 - 1
  // steps Adam's bias corrections are 1 to float precision, so saturating
  // changes nothing a resumed run computes.
  const int64_t saved =
      std::min<int64_t>(steps, std::numeric_limits<int32_t>::max());
  out[StepKey] = Tensor::i32({}, {static_cast<int32_t>(saved)});
  for (size_t k = 0; k < buffers.size(); ++k)
    for (size_t i = 0; i < buffers[k].size() && i < paramNames.size(); ++i)
      out[std::string(name()) + "." + bufferNames[k] + "." + paramNames[i]] =
          buffers[k][i];
  return out;
}

Status Optimizer::loadState(const TensorMap &state,
                            const std::vector<std::string> &paramNames) {
  return loadState(state, paramNames, {});
}

Status Optimizer::loadState(const TensorMap &state,
                            const std::vector<std::string> &paramNames,
                            const std::vector<const Tensor *> &params) {
  std::vector<std::string> problems;
  std::string self = name();
  // Another optimizer's state is a configuration change, not a resume.
  for (const char *other : KnownOptimizers) {
    if (self == other)
      continue;
    std::string prefix = std::string(other) + ".";
    auto it = state.lower_bound(prefix);
    if (it != state.end() && it->first.compare(0, prefix.size(), prefix) == 0)
      problems.push_back("holds " + std::string(other) + " state ('" +
                         it->first + "'), this optimizer is " + self);
  }
  int64_t newSteps = 0;
  bool stepKnown = false;
  auto stepIt = state.find(StepKey);
  if (stepIt == state.end()) {
    problems.push_back("missing '" + std::string(StepKey) + "'");
  } else if (stepIt->second.dtype() != DType::I32 ||
             stepIt->second.numElements() != 1 || stepIt->second.rank() != 0) {
    problems.push_back("'" + std::string(StepKey) + "' must be i32[], got " +
                       stepIt->second.typeString());
  } else {
    newSteps = stepIt->second.i32Vec()[0];
    stepKnown = newSteps >= 0;
    if (newSteps < 0)
      problems.push_back("'" + std::string(StepKey) + "' is negative");
  }
  if (!params.empty() && params.size() != paramNames.size())
    problems.push_back(std::to_string(paramNames.size()) +
                       " parameter names but " +
                       std::to_string(params.size()) + " parameters");

  // Before the first step there are no buffers; after it, all of them.
  std::vector<std::vector<Tensor>> newBuffers;
  std::set<std::string> expected;
  if (!bufferNames.empty() && newSteps > 0) {
    newBuffers.assign(bufferNames.size(), {});
    for (size_t k = 0; k < bufferNames.size(); ++k) {
      for (size_t i = 0; i < paramNames.size(); ++i) {
        std::string key = self + "." + bufferNames[k] + "." + paramNames[i];
        expected.insert(key);
        auto it = state.find(key);
        if (it == state.end()) {
          problems.push_back("missing '" + key + "'");
          continue;
        }
        const Tensor &t = it->second;
        if (t.dtype() != DType::F32) {
          problems.push_back("'" + key + "' must be f32, got " +
                             t.typeString());
          continue;
        }
        if (i < params.size() && params[i] &&
            params[i]->shape() != t.shape()) {
          problems.push_back("'" + key + "' has shape " +
                             shapeString(t.shape()) + ", the parameter " +
                             shapeString(params[i]->shape()));
          continue;
        }
        if (k > 0 && newBuffers[0].size() > i &&
            newBuffers[0][i].shape() != t.shape()) {
          problems.push_back("'" + key + "' has shape " +
                             shapeString(t.shape()) + " but '" + self + "." +
                             bufferNames[0] + "." + paramNames[i] + "' " +
                             shapeString(newBuffers[0][i].shape()));
          continue;
        }
        newBuffers[k].push_back(t);
      }
    }
  }
  // Which buffers belong there follows from the step count; without a
  // usable one every buffer would be listed as unexpected, burying the one
  // real problem.
  std::string prefix = self + ".";
  for (auto it = state.lower_bound(prefix);
       stepKnown && it != state.end() &&
       it->first.compare(0, prefix.size(), prefix) == 0;
       ++it)
    if (!expected.count(it->first))
      problems.push_back("unexpected '" + it->first + "'");

  if (!problems.empty()) {
    std::string msg = "cannot restore " + self + " optimizer state:";
    for (const std::string &p : problems)
      msg += "\n  " + p;
    return makeError(msg);
  }
  steps = newSteps;
  buffers = std::move(newBuffers);
  knownNames = paramNames;
  return Status::ok();
}

//===----------------------------------------------------------------------===//
// The optimizers
//===----------------------------------------------------------------------===//

namespace {

/// torch.lerp(start, end, w) with a scalar weight, which picks its formula by
/// the weight (start + w*(end-start) below 0.5, end - (end-start)*(1-w) from
/// 0.5) for accuracy; the running averages of Adam and centered RMSProp are
/// lerps in PyTorch, so they are here too.
struct Lerp {
  explicit Lerp(double w)
      : w(static_cast<float>(w)), low(w < 0.5),
        rest(static_cast<float>(1 - w)) {}
  float operator()(float start, float end) const {
    return low ? start + w * (end - start) : end - (end - start) * rest;
  }
  float w;
  bool low;
  float rest;
};

struct SgdConfig {
  double lr = 1e-3, momentum = 0, dampening = 0, weightDecay = 0;
  bool nesterov = false;
};

class Sgd final : public Optimizer {
public:
  explicit Sgd(const SgdConfig &c)
      : Optimizer(c.lr, c.momentum != 0 ? std::vector<std::string>{"momentum"}
                                        : std::vector<std::string>{}),
        c(c) {}
  const char *name() const override { return "sgd"; }

protected:
  void update(float *__restrict p, const float *__restrict g,
              float *const *bufs, int64_t n, double lrD, int64_t t) override {
    const float lr = static_cast<float>(lrD);
    const float wd = static_cast<float>(c.weightDecay);
    if (c.momentum == 0) {
      for (int64_t j = 0; j < n; ++j)
        p[j] -= lr * (g[j] + wd * p[j]);
      return;
    }
    float *__restrict b = bufs[0];
    const float mu = static_cast<float>(c.momentum);
    const float keep = static_cast<float>(1 - c.dampening);
    // PyTorch starts the buffer as a copy of the first gradient (so
    // dampening does not apply on step 1).
    const float muB = t == 1 ? 0.0f : mu;
    const float gain = t == 1 ? 1.0f : keep;
    if (c.nesterov) {
      for (int64_t j = 0; j < n; ++j) {
        float d = g[j] + wd * p[j];
        float nb = muB * b[j] + gain * d;
        b[j] = nb;
        p[j] -= lr * (d + mu * nb);
      }
    } else {
      for (int64_t j = 0; j < n; ++j) {
        float d = g[j] + wd * p[j];
        float nb = muB * b[j] + gain * d;
        b[j] = nb;
        p[j] -= lr * nb;
      }
    }
  }

private:
  SgdConfig c;
};

struct AdamConfig {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0;
  bool decoupled = false; // AdamW
};

class Adam final : public Optimizer {
public:
  explicit Adam(const AdamConfig &c)
      : Optimizer(c.lr, {"m", "v"}), c(c) {}
  const char *name() const override { return c.decoupled ? "adamw" : "adam"; }

protected:
  void update(float *__restrict p, const float *__restrict g,
              float *const *bufs, int64_t n, double lrD, int64_t t) override {
    float *__restrict m = bufs[0];
    float *__restrict v = bufs[1];
    const double bc1 = 1 - std::pow(c.beta1, static_cast<double>(t));
    const double bc2 = 1 - std::pow(c.beta2, static_cast<double>(t));
    const float stepSize = static_cast<float>(lrD / bc1);
    const float bc2Sqrt = static_cast<float>(std::sqrt(bc2));
    const float b2 = static_cast<float>(c.beta2);
    const float a2 = static_cast<float>(1 - c.beta2);
    const float eps = static_cast<float>(c.eps);
    const Lerp lerp1(1 - c.beta1);
    // Coupled decay adds wd*p to the gradient; decoupled (AdamW) shrinks p
    // first. One of the two factors is neutral.
    const float wdGrad = c.decoupled ? 0.0f : static_cast<float>(c.weightDecay);
    const float shrink =
        c.decoupled ? static_cast<float>(1 - lrD * c.weightDecay) : 1.0f;
    // PyTorch's operation order: m.lerp_(g, 1-b1), v.mul_(b2).addcmul_(g, g,
    // 1-b2), denom = sqrt(v) / sqrt(bc2) + eps, p.addcdiv_(m, denom, -step).
    for (int64_t j = 0; j < n; ++j) {
      float pj = p[j] * shrink;
      float d = g[j] + wdGrad * p[j];
      float mj = lerp1(m[j], d);
      float vj = b2 * v[j] + a2 * d * d;
      m[j] = mj;
      v[j] = vj;
      p[j] = pj - stepSize * (mj / (std::sqrt(vj) / bc2Sqrt + eps));
    }
  }

private:
  AdamConfig c;
};

struct RmsPropConfig {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0;
  bool centered = false;
};

std::vector<std::string> rmsPropBuffers(const RmsPropConfig &c) {
  std::vector<std::string> names{"square_avg"};
  if (c.momentum != 0)
    names.push_back("momentum");
  if (c.centered)
    names.push_back("grad_avg");
  return names;
}

class RmsProp final : public Optimizer {
public:
  explicit RmsProp(const RmsPropConfig &c)
      : Optimizer(c.lr, rmsPropBuffers(c)), c(c) {}
  const char *name() const override { return "rmsprop"; }

protected:
  void update(float *__restrict p, const float *__restrict g,
              float *const *bufs, int64_t n, double lrD, int64_t t) override {
    float *__restrict v = bufs[0];
    float *__restrict b = c.momentum != 0 ? bufs[1] : nullptr;
    float *__restrict a = c.centered ? bufs[c.momentum != 0 ? 2 : 1] : nullptr;
    const float lr = static_cast<float>(lrD);
    const float al = static_cast<float>(c.alpha);
    const float om = static_cast<float>(1 - c.alpha);
    const float eps = static_cast<float>(c.eps);
    const float wd = static_cast<float>(c.weightDecay);
    const float mu = static_cast<float>(c.momentum);
    const Lerp lerpA(1 - c.alpha);
    // Four loops rather than branches inside one, so each vectorizes.
    if (!a && !b) {
      for (int64_t j = 0; j < n; ++j) {
        float d = g[j] + wd * p[j];
        float vj = al * v[j] + om * d * d;
        v[j] = vj;
        p[j] -= lr * (d / (std::sqrt(vj) + eps));
      }
    } else if (!a) {
      for (int64_t j = 0; j < n; ++j) {
        float d = g[j] + wd * p[j];
        float vj = al * v[j] + om * d * d;
        v[j] = vj;
        float bj = mu * b[j] + d / (std::sqrt(vj) + eps);
        b[j] = bj;
        p[j] -= lr * bj;
      }
    } else if (!b) {
      for (int64_t j = 0; j < n; ++j) {
        float d = g[j] + wd * p[j];
        float vj = al * v[j] + om * d * d;
        float aj = lerpA(a[j], d);
        v[j] = vj;
        a[j] = aj;
        p[j] -= lr * (d / (std::sqrt(vj - aj * aj) + eps));
      }
    } else {
      for (int64_t j = 0; j < n; ++j) {
        float d = g[j] + wd * p[j];
        float vj = al * v[j] + om * d * d;
        float aj = lerpA(a[j], d);
        v[j] = vj;
        a[j] = aj;
        float bj = mu * b[j] + d / (std::sqrt(vj - aj * aj) + eps);
        b[j] = bj;
        p[j] -= lr * bj;
      }
    }
  }

private:
  RmsPropConfig c;
};

/// Reads optimizer arguments, checking names and ranges; the first problem
/// found is kept.
class ArgReader {
public:
  ArgReader(const std::string &opt, const std::map<std::string, double> &args)
      : opt(opt), args(args) {}

  void real(const char *key, double &out, double lo, double hi,
            bool loOpen = false) {
    used.insert(key);
    auto it = args.find(key);
    if (it == args.end())
      return;
    double x = it->second;
    bool ok = std::isfinite(x) && (loOpen ? x > lo : x >= lo) && x <= hi;
    if (!ok && err.empty())
      err = opt + ": " + key + " = " + fmt(x) + " is out of range (" +
            (loOpen ? "(" : "[") + fmt(lo) + ", " + fmt(hi) + "])";
    out = x;
  }
  void boolean(const char *key, bool &out) {
    used.insert(key);
    auto it = args.find(key);
    if (it == args.end())
      return;
    if (it->second != 0 && it->second != 1 && err.empty())
      err = opt + ": " + key + " must be 0 or 1, got " + fmt(it->second);
    out = it->second != 0;
  }
  void fail(std::string msg) {
    if (err.empty())
      err = opt + ": " + std::move(msg);
  }
  /// The first problem, including arguments nobody read.
  std::string finish() {
    if (err.empty())
      for (const auto &[key, value] : args)
        if (!used.count(key)) {
          std::string known;
          for (const std::string &u : used)
            known += (known.empty() ? "" : ", ") + u;
          return opt + ": unknown argument '" + key + "' (takes " + known +
                 ")";
        }
    return err;
  }

private:
  static std::string fmt(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
  }
  std::string opt;
  const std::map<std::string, double> &args;
  std::set<std::string> used;
  std::string err;
};

constexpr double Inf = std::numeric_limits<double>::infinity();

} // namespace

Result<std::unique_ptr<Optimizer>>
makeOptimizer(const std::string &name,
              const std::map<std::string, double> &args) {
  ArgReader r(name, args);
  std::unique_ptr<Optimizer> opt;
  if (name == "sgd") {
    SgdConfig c;
    r.real("lr", c.lr, 0, Inf);
    r.real("momentum", c.momentum, 0, Inf);
    r.real("dampening", c.dampening, -Inf, Inf);
    r.real("weight_decay", c.weightDecay, 0, Inf);
    r.boolean("nesterov", c.nesterov);
    if (c.nesterov && (c.momentum <= 0 || c.dampening != 0))
      r.fail("nesterov needs momentum > 0 and dampening = 0");
    opt = std::make_unique<Sgd>(c);
  } else if (name == "adam" || name == "adamw") {
    AdamConfig c;
    c.decoupled = name == "adamw";
    if (c.decoupled)
      c.weightDecay = 1e-2;
    r.real("lr", c.lr, 0, Inf);
    r.real("beta1", c.beta1, 0, 1);
    r.real("beta2", c.beta2, 0, 1);
    // beta = 1 would make the bias correction 1 - 1^t = 0.
    if (c.beta1 >= 1 || c.beta2 >= 1)
      r.fail(std::string(c.beta1 >= 1 ? "beta1" : "beta2") +
             " must be below 1");
    r.real("eps", c.eps, 0, Inf);
    r.real("weight_decay", c.weightDecay, 0, Inf);
    opt = std::make_unique<Adam>(c);
  } else if (name == "rmsprop") {
    RmsPropConfig c;
    r.real("lr", c.lr, 0, Inf);
    r.real("alpha", c.alpha, 0, 1);
    r.real("eps", c.eps, 0, Inf);
    r.real("weight_decay", c.weightDecay, 0, Inf);
    r.real("momentum", c.momentum, 0, Inf);
    r.boolean("centered", c.centered);
    opt = std::make_unique<RmsProp>(c);
  } else {
    return makeError("unknown optimizer '" + name +
                     "' (expected sgd, adam, adamw or rmsprop)");
  }
  std::string err = r.finish();
  if (!err.empty())
    return makeError(err);
  return opt;
}

double clipGlobalNorm(const std::vector<Tensor *> &grads, double maxNorm) {
  // Four partial sums keep the loop pipelined (a single double accumulator
  // serializes on the add latency).
  double total = 0;
  for (const Tensor *g : grads) {
    if (!g || g->dtype() != DType::F32)
      continue;
    const float *x = g->f32Data();
    int64_t n = g->numElements(), j = 0;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; j + 4 <= n; j += 4) {
      s0 += double(x[j]) * x[j];
      s1 += double(x[j + 1]) * x[j + 1];
      s2 += double(x[j + 2]) * x[j + 2];
      s3 += double(x[j + 3]) * x[j + 3];
    }
    for (; j < n; ++j)
      s0 += double(x[j]) * x[j];
    total += (s0 + s1) + (s2 + s3);
  }
  double norm = std::sqrt(total);
  if (maxNorm <= 0 || !std::isfinite(norm))
    return norm;
  double coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    float c = static_cast<float>(coef);
    for (Tensor *g : grads) {
      if (!g || g->dtype() != DType::F32)
        continue;
      float *x = g->f32Data();
      for (int64_t j = 0, n = g->numElements(); j < n; ++j)
        x[j] *= c;
    }
  }
  return norm;
}

} // namespace rnnc
