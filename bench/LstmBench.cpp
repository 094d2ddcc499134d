//===- bench/LstmBench.cpp - Time a JIT-compiled LSTM forward pass --------===//
//
// The brief's reference workload: one LSTM layer (PyTorch gate order), input
// projection hoisted out of the scan as one matmul over all T*B rows, the
// recurrent matmul and gate math per step. Builds the IR with ir::Builder,
// JIT-compiles it, checks it once against the interpreter on a short
// sequence, and reports compile time and microseconds per time step (best of
// several runs, since the machine is shared).
//
//   rnnc-bench-lstm [--input 256] [--hidden 256] [--batch 1] [--steps 100]
//                   [--reps 20] [--gates-only 1] [--fuse 0]
//
// --gates-only 1 times only the step's elementwise work: the input is the
// pre-activation [T,B,4H] itself, with no product in or before the scan.
// --fuse 0 compiles without elementwise fusion (codegen/FusionPlan.h).
//
//===----------------------------------------------------------------------===//
#include "codegen/CompiledFunction.h"
#include "ir/Builder.h"
#include "ir/Interpreter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace rnnc;
using namespace rnnc::ir;

namespace {

std::unique_ptr<Function> buildLstm(int64_t in, int64_t hidden,
                                    bool gatesOnly) {
  auto fn = std::make_unique<Function>("lstm");
  auto S = [](const char *s) { return Dim::symbolic(s); };
  auto N = [](int64_t n) { return Dim::fixed(n); };
  Value *xs = fn->addArg(
      TensorType::f32({S("T"), S("B"), N(gatesOnly ? 4 * hidden : in)}), "xs");
  Value *h0 = fn->addArg(TensorType::f32({S("B"), N(hidden)}), "h0");
  Value *c0 = fn->addArg(TensorType::f32({S("B"), N(hidden)}), "c0");
  Value *wih = fn->addArg(TensorType::f32({N(4 * hidden), N(in)}), "w_ih");
  Value *whh = fn->addArg(TensorType::f32({N(4 * hidden), N(hidden)}), "w_hh");
  Value *bias = fn->addArg(TensorType::f32({N(4 * hidden)}), "bias");
  Builder b(&fn->body());
  Value *proj = gatesOnly ? xs : b.matmul(xs, wih, false, true);
  Operation *scan = b.scan(
      {proj}, {h0, c0}, {whh, bias}, nullptr, false,
      [&](Builder &in, const std::vector<Value *> &x,
          const std::vector<Value *> &carry, const std::vector<Value *> &cap) {
        Value *gates =
            gatesOnly
                ? in.add(x[0], cap[1])
                : in.add(in.add(x[0], in.matmul(carry[0], cap[0], false, true)),
                         cap[1]);
        std::vector<Value *> g = in.split(gates, 1, 4);
        Value *i = in.sigmoid(g[0]), *f = in.sigmoid(g[1]);
        Value *cand = in.tanh(g[2]), *o = in.sigmoid(g[3]);
        Value *c = in.add(in.mul(f, carry[1]), in.mul(i, cand));
        Value *h = in.mul(o, in.tanh(c));
        return Builder::ScanBodyResult{{h, c}, {h}};
      });
  if (!scan) {
    std::fprintf(stderr, "error: %s\n", b.firstError().c_str());
    return nullptr;
  }
  b.ret(scan->results());
  return fn;
}

std::vector<Tensor> randomArgs(const Function &fn, int64_t steps, int64_t batch,
                               std::mt19937 &rng) {
  std::uniform_real_distribution<float> dist(-0.1f, 0.1f);
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    std::vector<int64_t> shape;
    for (const Dim &d : fn.arg(i)->type().dims())
      shape.push_back(d.isStatic() ? d.size : d.sym == "T" ? steps : batch);
    Tensor t(DType::F32, shape);
    for (float &v : t.f32Vec())
      v = dist(rng);
    args.push_back(std::move(t));
  }
  return args;
}

} // namespace

int main(int argc, char **argv) {
  int64_t in = 256, hidden = 256, batch = 1, steps = 100, reps = 20;
  bool gatesOnly = false, fuse = true;
  for (int i = 1; i + 1 < argc; i += 2) {
    int64_t v = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--input"))
      in = v;
    else if (!std::strcmp(argv[i], "--hidden"))
      hidden = v;
    else if (!std::strcmp(argv[i], "--batch"))
      batch = v;
    else if (!std::strcmp(argv[i], "--steps"))
      steps = v;
    else if (!std::strcmp(argv[i], "--reps"))
      reps = v;
    else if (!std::strcmp(argv[i], "--gates-only"))
      gatesOnly = v != 0;
    else if (!std::strcmp(argv[i], "--fuse"))
      fuse = v != 0;
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (in <= 0 || hidden <= 0 || batch <= 0 || steps <= 0 || reps <= 0) {
    std::fprintf(stderr, "sizes must be positive\n");
    return 2;
  }
  auto fn = buildLstm(in, hidden, gatesOnly);
  if (!fn)
    return 1;
  auto t0 = std::chrono::steady_clock::now();
  codegen::CompileOptions options;
  options.fuseElementwise = fuse;
  auto compiled = codegen::compile(*fn, options);
  auto t1 = std::chrono::steady_clock::now();
  if (!compiled) {
    std::fprintf(stderr, "error: %s\n", compiled.error().c_str());
    return 1;
  }
  std::mt19937 rng(1);
  // Check against the interpreter on a short sequence first.
  std::vector<Tensor> small = randomArgs(*fn, 3, batch, rng);
  auto want = interpret(*fn, small);
  auto got = (*compiled)->run(small);
  if (!want || !got) {
    std::fprintf(stderr, "error: %s\n",
                 (!want ? want.error() : got.error()).c_str());
    return 1;
  }
  double maxErr = 0;
  for (size_t r = 0; r < want->size(); ++r)
    for (int64_t k = 0; k < (*want)[r].numElements(); ++k)
      maxErr = std::max(maxErr, std::fabs((*got)[r].at(k) - (*want)[r].at(k)));

  std::vector<Tensor> args = randomArgs(*fn, steps, batch, rng);
  double best = 1e300;
  for (int64_t r = 0; r < reps; ++r) {
    auto s = std::chrono::steady_clock::now();
    auto out = (*compiled)->run(args);
    auto e = std::chrono::steady_clock::now();
    if (!out) {
      std::fprintf(stderr, "error: %s\n", out.error().c_str());
      return 1;
    }
    best = std::min(best,
                    std::chrono::duration<double, std::micro>(e - s).count());
  }
  std::printf("lstm I=%ld H=%ld B=%ld T=%ld: compile %.1f ms, "
              "%.2f us/step (best of %ld), max |jit - interp| %.2g\n",
              static_cast<long>(in), static_cast<long>(hidden),
              static_cast<long>(batch), static_cast<long>(steps),
              std::chrono::duration<double, std::milli>(t1 - t0).count(),
              best / static_cast<double>(steps), static_cast<long>(reps),
              maxErr);
  return 0;
}
