// dnnl_rnn.cpp — oneDNN baseline for rnnc's RNN benchmarks (not part of the build).
//
// Times one oneDNN RNN primitive (LSTM, GRU or Elman RNN with tanh; one layer,
// one direction, fp32) over a whole sequence and prints one JSON line in the
// format of `rnnc bench`, with "framework":"onednn":
//
//   {"framework":"onednn","cell":"lstm","I":256,"H":256,"B":1,"T":100,
//    "mode":"infer","threads":1,"us_per_step":27.3,"gflops":19.2,"compile_ms":3.1}
//
// Fairness: weights, bias and (for training) the gradient buffers use the
// primitives' preferred layouts (memory::format_tag::any), and the weights are
// reordered into them once, outside the timed loop. Data (inputs, states) are in
// the user layouts tnc / ldnc, as an application would hand them over. Each
// repetition runs the whole T-step sequence; 2 warm-ups, then the median of
// --reps repetitions, divided by T, is us_per_step. compile_ms is the time to
// create the primitives (oneDNN JIT-generates its kernels then).
//
//   infer: lstm_forward / lbr_gru_forward / vanilla_rnn_forward(eltwise_tanh),
//          prop_kind::forward_inference
//   train: lstm_forward(forward_training) + lstm_backward with loss = sum(h_t)
//          (diff_dst_layer = 1), weight and input gradients; no optimizer step
//
// GRU: rnnc's and PyTorch's GRU apply the reset gate after the recurrent matrix
// product ("linear before reset"), which is oneDNN's lbr_gru_forward; that is
// the default. --gru plain times oneDNN's original gru_forward instead.
//
// FLOPs per time step (the standard count, same as rnnc bench and
// bench/torch_rnn.py): 2 * gates * H * (I + H) * B, times 3 for train.
//
// Threads: Debian's oneDNN uses OpenMP; bench/compare sets OMP_NUM_THREADS.
// --threads N also calls omp_set_num_threads(N) (looked up at run time, so the
// program links with just -ldnnl).
//
// --check compares the primitives against the plain reference loops at the end
// of this file on a small problem (forward of all three cells, and LSTM
// gradients against central finite differences), prints the result to stderr
// and exits 0 if all agree.
//
// Build:  c++ -O2 -std=c++17 bench/dnnl_rnn.cpp -ldnnl -o dnnl_rnn
// Run:    OMP_NUM_THREADS=1 ./dnnl_rnn --cell lstm --input 256 --hidden 256
//             --batch 1 --steps 100 --mode infer --reps 5   (one line)

#include <dnnl.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

// ---------------------------------------------------------------- options

struct Options {
  std::string cell = "lstm";  // lstm | gru | rnn
  std::string mode = "infer"; // infer | train
  std::string gru = "lbr";    // lbr | plain
  int I = 256, H = 256, B = 1, T = 100;
  int reps = 5, warmup = 2, threads = 0;
  bool check = false;
};

[[noreturn]] void usage(const char *msg) {
  if (msg)
    std::fprintf(stderr, "dnnl_rnn: %s\n", msg);
  std::fprintf(stderr,
               "usage: dnnl_rnn [--cell lstm|gru|rnn] [--input I] [--hidden H] [--batch B]\n"
               "                [--steps T] [--mode infer|train] [--reps N] [--warmup N]\n"
               "                [--threads N] [--gru lbr|plain] [--check]\n");
  std::exit(msg ? 2 : 0);
}

Options parseOptions(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    auto number = [&]() {
      std::string v = value();
      char *end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end || n < 0)
        usage(("bad number for " + a + ": " + v).c_str());
      return static_cast<int>(n);
    };
    if (a == "--cell") o.cell = value();
    else if (a == "--mode") o.mode = value();
    else if (a == "--gru") o.gru = value();
    else if (a == "--input") o.I = number();
    else if (a == "--hidden") o.H = number();
    else if (a == "--batch") o.B = number();
    else if (a == "--steps") o.T = number();
    else if (a == "--reps") o.reps = number();
    else if (a == "--warmup") o.warmup = number();
    else if (a == "--threads") o.threads = number();
    else if (a == "--check") o.check = true;
    else if (a == "-h" || a == "--help") usage(nullptr);
    else usage(("unknown option " + a).c_str());
  }
  if (o.cell != "lstm" && o.cell != "gru" && o.cell != "rnn")
    usage("--cell must be lstm, gru or rnn");
  if (o.mode != "infer" && o.mode != "train")
    usage("--mode must be infer or train");
  if (o.mode == "train" && o.cell != "lstm")
    usage("--mode train is implemented for --cell lstm only");
  if (o.gru != "lbr" && o.gru != "plain")
    usage("--gru must be lbr or plain");
  if (!o.I || !o.H || !o.B || !o.T || !o.reps)
    usage("sizes and --reps must be positive");
  return o;
}

// OpenMP entry points, found at run time in the libgomp that libdnnl loads.
int ompMaxThreads() {
  using Fn = int (*)();
  auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "omp_get_max_threads"));
  return fn ? fn() : 1;
}
void ompSetThreads(int n) {
  using Fn = void (*)(int);
  if (auto fn = reinterpret_cast<Fn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads")))
    fn(n);
}

// ---------------------------------------------------------------- helpers

int gatesOf(const std::string &cell) { return cell == "lstm" ? 4 : cell == "gru" ? 3 : 1; }

// Bias gates: lbr GRU has a fourth bias (the one inside r * (U h + b)).
int biasGatesOf(const Options &o) {
  return o.cell == "gru" && o.gru == "lbr" ? 4 : gatesOf(o.cell);
}

float *ptr(const memory &m) { return static_cast<float *>(m.get_data_handle()); }
size_t count(const memory::desc &md) { return md.get_size() / sizeof(float); }

void fillUniform(std::vector<float> &v, float bound, std::mt19937 &rng) {
  std::uniform_real_distribution<float> d(-bound, bound);
  for (float &x : v)
    x = d(rng);
}

memory userMemory(const memory::dims &dims, tag t, const engine &eng,
                  const std::vector<float> *init = nullptr) {
  memory m({dims, dt::f32, t}, eng);
  if (init)
    std::memcpy(ptr(m), init->data(), init->size() * sizeof(float));
  else
    std::memset(ptr(m), 0, m.get_desc().get_size());
  return m;
}

// `src` in the layout `want`: itself if it already is, else a reordered copy.
memory inLayout(memory src, const memory::desc &want, const engine &eng, stream &s) {
  if (src.get_desc() == want)
    return src;
  memory dst(want, eng);
  reorder(src, dst).execute(s, src, dst);
  s.wait();
  return dst;
}

std::vector<float> toHost(const memory &m, const memory::dims &dims, tag t, const engine &eng,
                          stream &s) {
  memory plain = inLayout(m, memory::desc(dims, dt::f32, t), eng, s);
  float *p = ptr(plain);
  return std::vector<float>(p, p + count(plain.get_desc()));
}

// All host-side tensors of one problem, in oneDNN's user layouts:
// x tnc, h0/c0 ldnc, weights ldigo (gates in oneDNN order), bias ldgo.
struct HostProblem {
  Options o;
  std::vector<float> x, h0, c0, wl, wi, bias;

  explicit HostProblem(const Options &opt, unsigned seed = 1) : o(opt) {
    std::mt19937 rng(seed);
    int G = gatesOf(o.cell), GB = biasGatesOf(o);
    float k = 1.0f / std::sqrt(static_cast<float>(o.H)); // PyTorch's init bound
    x.resize(size_t(o.T) * o.B * o.I);
    h0.resize(size_t(o.B) * o.H);
    c0.resize(size_t(o.B) * o.H);
    wl.resize(size_t(o.I) * G * o.H);
    wi.resize(size_t(o.H) * G * o.H);
    bias.resize(size_t(GB) * o.H);
    fillUniform(x, 1.0f, rng);
    fillUniform(wl, k, rng);
    fillUniform(wi, k, rng);
    fillUniform(bias, k, rng);
    // Zero initial state for benchmarks; the check uses a non-zero one.
  }
};

using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// ---------------------------------------------------------------- the primitives

// One RNN problem set up in oneDNN: forward primitive (inference or training),
// and for training the LSTM backward primitive, with all their memories.
struct DnnlRnn {
  Options o;
  engine eng{engine::kind::cpu, 0};
  stream strm{eng};
  primitive fwd, bwd;
  std::unordered_map<int, memory> fwdArgs, bwdArgs;
  memory dstLayer, dstIter, dstIterC;                    // forward outputs
  memory diffSrcLayer, diffWl, diffWi, diffBias;         // gradients (train)
  memory diffSrcIter, diffSrcIterC;
  double createMs = 0;

  memory::dims xDims() const { return {o.T, o.B, o.I}; }
  memory::dims yDims() const { return {o.T, o.B, o.H}; }
  memory::dims sDims() const { return {1, 1, o.B, o.H}; }
  memory::dims wlDims() const { return {1, 1, o.I, gatesOf(o.cell), o.H}; }
  memory::dims wiDims() const { return {1, 1, o.H, gatesOf(o.cell), o.H}; }
  memory::dims bDims() const { return {1, 1, biasGatesOf(o), o.H}; }

  DnnlRnn(const HostProblem &p) : o(p.o) {
    const bool train = o.mode == "train";
    const bool lstm = o.cell == "lstm";
    const prop_kind pk = train ? prop_kind::forward_training : prop_kind::forward_inference;
    const rnn_direction dir = rnn_direction::unidirectional_left2right;

    // User-layout memories.
    memory x = userMemory(xDims(), tag::tnc, eng, &p.x);
    memory h0 = userMemory(sDims(), tag::ldnc, eng, &p.h0);
    memory c0 = userMemory(sDims(), tag::ldnc, eng, &p.c0);
    memory wl = userMemory(wlDims(), tag::ldigo, eng, &p.wl);
    memory wi = userMemory(wiDims(), tag::ldigo, eng, &p.wi);
    memory bias = userMemory(bDims(), tag::ldgo, eng, &p.bias);

    // Descriptors: data in user layouts, weights and bias in preferred ones.
    memory::desc xMd(xDims(), dt::f32, tag::tnc), yMd(yDims(), dt::f32, tag::tnc);
    memory::desc sMd(sDims(), dt::f32, tag::ldnc);
    memory::desc wlAny(wlDims(), dt::f32, tag::any), wiAny(wiDims(), dt::f32, tag::any);
    memory::desc bAny(bDims(), dt::f32, tag::any);

    auto t0 = Clock::now();
    rnn_primitive_desc_base fwdPd;
    if (lstm) {
      lstm_forward::desc d(pk, dir, xMd, sMd, sMd, wlAny, wiAny, bAny, yMd, sMd, sMd);
      lstm_forward::primitive_desc pd(d, eng);
      fwd = lstm_forward(pd);
      fwdPd = pd;
      if (train)
        buildLstmBackward(pd, xMd, yMd, sMd);
    } else if (o.cell == "gru" && o.gru == "lbr") {
      lbr_gru_forward::desc d(pk, dir, xMd, sMd, wlAny, wiAny, bAny, yMd, sMd);
      lbr_gru_forward::primitive_desc pd(d, eng);
      fwd = lbr_gru_forward(pd);
      fwdPd = pd;
    } else if (o.cell == "gru") {
      gru_forward::desc d(pk, dir, xMd, sMd, wlAny, wiAny, bAny, yMd, sMd);
      gru_forward::primitive_desc pd(d, eng);
      fwd = gru_forward(pd);
      fwdPd = pd;
    } else {
      vanilla_rnn_forward::desc d(pk, algorithm::eltwise_tanh, dir, xMd, sMd, wlAny, wiAny,
                                  bAny, yMd, sMd);
      vanilla_rnn_forward::primitive_desc pd(d, eng);
      fwd = vanilla_rnn_forward(pd);
      fwdPd = pd;
    }
    createMs = msSince(t0);

    // Weights into the forward primitive's layouts, once.
    memory wlF = inLayout(wl, fwdPd.weights_layer_desc(), eng, strm);
    memory wiF = inLayout(wi, fwdPd.weights_iter_desc(), eng, strm);
    memory bF = inLayout(bias, fwdPd.bias_desc(), eng, strm);

    dstLayer = memory(fwdPd.dst_layer_desc(), eng);
    dstIter = memory(fwdPd.dst_iter_desc(), eng);
    fwdArgs = {{DNNL_ARG_SRC_LAYER, x},       {DNNL_ARG_SRC_ITER, h0},
               {DNNL_ARG_WEIGHTS_LAYER, wlF}, {DNNL_ARG_WEIGHTS_ITER, wiF},
               {DNNL_ARG_BIAS, bF},           {DNNL_ARG_DST_LAYER, dstLayer},
               {DNNL_ARG_DST_ITER, dstIter}};
    if (lstm) {
      dstIterC = memory(fwdPd.dst_iter_c_desc(), eng);
      fwdArgs[DNNL_ARG_SRC_ITER_C] = c0;
      fwdArgs[DNNL_ARG_DST_ITER_C] = dstIterC;
    }
    if (train) {
      memory ws(fwdPd.workspace_desc(), eng);
      fwdArgs[DNNL_ARG_WORKSPACE] = ws;
      bwdArgs[DNNL_ARG_WORKSPACE] = ws;
      bwdArgs[DNNL_ARG_SRC_LAYER] = x;
      bwdArgs[DNNL_ARG_SRC_ITER] = h0;
      bwdArgs[DNNL_ARG_SRC_ITER_C] = c0;
      bwdArgs[DNNL_ARG_DST_LAYER] = dstLayer;
      bwdArgs[DNNL_ARG_DST_ITER] = dstIter;
      bwdArgs[DNNL_ARG_DST_ITER_C] = dstIterC;
      // The backward primitive may want the weights in other layouts than
      // the forward one: reorder them (once) from the user copies.
      bwdArgs[DNNL_ARG_WEIGHTS_LAYER] = inLayout(wl, bwdPd.weights_layer_desc(), eng, strm);
      bwdArgs[DNNL_ARG_WEIGHTS_ITER] = inLayout(wi, bwdPd.weights_iter_desc(), eng, strm);
      bwdArgs[DNNL_ARG_BIAS] = inLayout(bias, bwdPd.bias_desc(), eng, strm);
    }
  }

  lstm_backward::primitive_desc bwdPd;

  void buildLstmBackward(const lstm_forward::primitive_desc &fwdPd, const memory::desc &xMd,
                         const memory::desc &yMd, const memory::desc &sMd) {
    memory::desc wlAny(wlDims(), dt::f32, tag::any), wiAny(wiDims(), dt::f32, tag::any);
    memory::desc bAny(bDims(), dt::f32, tag::any);
    lstm_backward::desc d(prop_kind::backward, rnn_direction::unidirectional_left2right,
                          xMd, sMd, sMd, wlAny, wiAny, bAny, yMd, sMd, sMd,
                          xMd, sMd, sMd, wlAny, wiAny, bAny, yMd, sMd, sMd);
    bwdPd = lstm_backward::primitive_desc(d, eng, fwdPd);
    bwd = lstm_backward(bwdPd);

    // Loss = sum of all outputs h_t: dL/dh_t = 1, nothing flows in from the
    // final state.
    memory diffDst(bwdPd.diff_dst_layer_desc(), eng);
    std::fill_n(ptr(diffDst), count(diffDst.get_desc()), 1.0f);
    memory diffDstIter(bwdPd.diff_dst_iter_desc(), eng), diffDstIterC(bwdPd.diff_dst_iter_c_desc(), eng);
    std::memset(ptr(diffDstIter), 0, diffDstIter.get_desc().get_size());
    std::memset(ptr(diffDstIterC), 0, diffDstIterC.get_desc().get_size());

    diffSrcLayer = memory(bwdPd.diff_src_layer_desc(), eng);
    diffSrcIter = memory(bwdPd.diff_src_iter_desc(), eng);
    diffSrcIterC = memory(bwdPd.diff_src_iter_c_desc(), eng);
    diffWl = memory(bwdPd.diff_weights_layer_desc(), eng);
    diffWi = memory(bwdPd.diff_weights_iter_desc(), eng);
    diffBias = memory(bwdPd.diff_bias_desc(), eng);
    bwdArgs = {{DNNL_ARG_DIFF_DST_LAYER, diffDst},   {DNNL_ARG_DIFF_DST_ITER, diffDstIter},
               {DNNL_ARG_DIFF_DST_ITER_C, diffDstIterC},
               {DNNL_ARG_DIFF_SRC_LAYER, diffSrcLayer}, {DNNL_ARG_DIFF_SRC_ITER, diffSrcIter},
               {DNNL_ARG_DIFF_SRC_ITER_C, diffSrcIterC},
               {DNNL_ARG_DIFF_WEIGHTS_LAYER, diffWl}, {DNNL_ARG_DIFF_WEIGHTS_ITER, diffWi},
               {DNNL_ARG_DIFF_BIAS, diffBias}};
  }

  // One repetition: the whole sequence forward (and, for train, backward).
  void run() {
    fwd.execute(strm, fwdArgs);
    if (o.mode == "train") {
      // oneDNN accumulates into the weight gradients: clear them first, as a
      // training step would.
      for (memory *m : {&diffWl, &diffWi, &diffBias})
        std::memset(ptr(*m), 0, m->get_desc().get_size());
      bwd.execute(strm, bwdArgs);
    }
    strm.wait();
  }

  std::vector<float> output() { return toHost(dstLayer, yDims(), tag::tnc, eng, strm); }
};

// ---------------------------------------------------------------- reference loops

double sigm(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// Plain loops in double over the same host tensors (oneDNN gate order and
// layouts). Returns the outputs h_1..h_T, tnc.
std::vector<double> referenceForward(const Options &o, const std::vector<float> &x,
                                     const std::vector<float> &h0, const std::vector<float> &c0,
                                     const std::vector<double> &wl, const std::vector<double> &wi,
                                     const std::vector<double> &bias) {
  const int I = o.I, H = o.H, B = o.B, T = o.T, G = gatesOf(o.cell);
  std::vector<double> h(h0.begin(), h0.end()), c(c0.begin(), c0.end()), y(size_t(T) * B * H);
  std::vector<double> ax(G * H), ah(G * H); // input and recurrent products per gate
  for (int t = 0; t < T; ++t) {
    std::vector<double> hNew(h.size()), cNew(c.size());
    for (int b = 0; b < B; ++b) {
      const float *xt = &x[(size_t(t) * B + b) * I];
      const double *hb = &h[size_t(b) * H];
      for (int go = 0; go < G * H; ++go) {
        double sx = 0, sh = 0;
        for (int i = 0; i < I; ++i)
          sx += xt[i] * wl[size_t(i) * G * H + go];
        for (int j = 0; j < H; ++j)
          sh += hb[j] * wi[size_t(j) * G * H + go];
        ax[go] = sx;
        ah[go] = sh;
      }
      for (int k = 0; k < H; ++k) {
        auto pre = [&](int g) { return ax[g * H + k] + ah[g * H + k] + bias[g * H + k]; };
        double hk;
        if (o.cell == "lstm") {
          double ig = sigm(pre(0)), fg = sigm(pre(1)), gg = std::tanh(pre(2)), og = sigm(pre(3));
          double ck = fg * c[size_t(b) * H + k] + ig * gg;
          cNew[size_t(b) * H + k] = ck;
          hk = og * std::tanh(ck);
        } else if (o.cell == "gru") {
          double u = sigm(pre(0)), r = sigm(pre(1)), n;
          if (o.gru == "lbr") // n = tanh(W x + b_n + r * (U h + b'))
            n = std::tanh(ax[2 * H + k] + bias[2 * H + k] + r * (ah[2 * H + k] + bias[3 * H + k]));
          else { // n = tanh(W x + U (r * h) + b_n)
            double s = 0;
            for (int j = 0; j < H; ++j) {
              double rj = sigm(ax[1 * H + j] + ah[1 * H + j] + bias[1 * H + j]);
              s += rj * hb[j] * wi[size_t(j) * G * H + 2 * H + k];
            }
            n = std::tanh(ax[2 * H + k] + s + bias[2 * H + k]);
          }
          (void)r;
          hk = u * hb[k] + (1 - u) * n;
        } else {
          hk = std::tanh(pre(0));
        }
        hNew[size_t(b) * H + k] = hk;
        y[(size_t(t) * B + b) * H + k] = hk;
      }
    }
    h = hNew;
    c = cNew;
  }
  return y;
}

std::vector<double> toDouble(const std::vector<float> &v) { return {v.begin(), v.end()}; }

// Largest |a - b| / (atol + |b|) over the elements; prints and returns ok.
bool compare(const char *what, const std::vector<float> &got, const std::vector<double> &want,
             double tol) {
  if (got.size() != want.size()) {
    std::fprintf(stderr, "  %-28s size mismatch %zu vs %zu\n", what, got.size(), want.size());
    return false;
  }
  double worst = 0, maxAbs = 0;
  bool finite = true;
  for (size_t i = 0; i < got.size(); ++i) {
    finite = finite && std::isfinite(got[i]);
    worst = std::max(worst, std::abs(got[i] - want[i]) / (1e-3 + std::abs(want[i])));
    maxAbs = std::max(maxAbs, std::abs(want[i]));
  }
  bool ok = finite && worst <= tol && maxAbs > 0;
  std::fprintf(stderr, "  %-28s max rel err %.2e (max |ref| %.3f)  %s\n", what, worst, maxAbs,
               ok ? "ok" : "FAILED");
  return ok;
}

bool checkForward(Options o) {
  o.mode = "infer";
  HostProblem p(o, 7);
  std::mt19937 rng(11);
  fillUniform(p.h0, 0.5f, rng);
  fillUniform(p.c0, 0.5f, rng);
  DnnlRnn r(p);
  r.run();
  auto want = referenceForward(o, p.x, p.h0, p.c0, toDouble(p.wl), toDouble(p.wi), toDouble(p.bias));
  std::string what = o.cell + (o.cell == "gru" ? " (" + o.gru + ")" : "") + " forward h_t";
  return compare(what.c_str(), r.output(), want, 1e-4);
}

// LSTM gradients of loss = sum_t sum h_t, against central differences of the
// double-precision reference.
bool checkLstmBackward(Options o) {
  o.cell = "lstm";
  o.mode = "train";
  HostProblem p(o, 5);
  std::mt19937 rng(13);
  fillUniform(p.h0, 0.5f, rng);
  fillUniform(p.c0, 0.5f, rng);
  DnnlRnn r(p);
  r.run();
  r.run(); // a second run must give the same gradients (no accumulation)

  std::vector<double> wl = toDouble(p.wl), wi = toDouble(p.wi), bias = toDouble(p.bias);
  std::vector<float> x = p.x;
  auto loss = [&]() {
    auto y = referenceForward(o, x, p.h0, p.c0, wl, wi, bias);
    double s = 0;
    for (double v : y)
      s += v;
    return s;
  };
  const double eps = 1e-5;
  auto numeric = [&](auto &vec) {
    std::vector<double> g(vec.size());
    for (size_t i = 0; i < vec.size(); ++i) {
      auto keep = vec[i];
      vec[i] = keep + eps;
      double up = loss();
      vec[i] = keep - eps;
      double down = loss();
      vec[i] = keep;
      g[i] = (up - down) / (2 * eps);
    }
    return g;
  };
  // The reference takes x as float, so perturb it by a step that float holds
  // well and divide by the step actually taken.
  std::vector<double> gx(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    float keep = x[i];
    const float step = 1e-2f;
    x[i] = keep + step;
    double up = loss();
    x[i] = keep - step;
    double down = loss();
    x[i] = keep;
    gx[i] = (up - down) / (double(x[i] + step) - double(x[i] - step));
  }
  bool ok = true;
  ok &= compare("lstm d loss / d W_layer", toHost(r.diffWl, r.wlDims(), tag::ldigo, r.eng, r.strm), numeric(wl), 1e-3);
  ok &= compare("lstm d loss / d W_iter", toHost(r.diffWi, r.wiDims(), tag::ldigo, r.eng, r.strm), numeric(wi), 1e-3);
  ok &= compare("lstm d loss / d bias", toHost(r.diffBias, r.bDims(), tag::ldgo, r.eng, r.strm), numeric(bias), 1e-3);
  ok &= compare("lstm d loss / d x", toHost(r.diffSrcLayer, r.xDims(), tag::tnc, r.eng, r.strm), gx, 2e-3);
  return ok;
}

int runChecks() {
  Options o;
  o.I = 5;
  o.H = 7;
  o.B = 3;
  o.T = 4;
  std::fprintf(stderr, "dnnl_rnn --check: oneDNN %d.%d.%d against reference loops (I=%d H=%d B=%d T=%d)\n",
               dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, o.I, o.H, o.B, o.T);
  bool ok = true;
  for (const char *cell : {"lstm", "gru", "rnn"}) {
    o.cell = cell;
    ok &= checkForward(o);
  }
  o.cell = "gru";
  o.gru = "plain";
  ok &= checkForward(o);
  o.gru = "lbr";
  ok &= checkLstmBackward(o);
  std::fprintf(stderr, "dnnl_rnn --check: %s\n", ok ? "all ok" : "FAILED");
  return ok ? 0 : 1;
}

// ---------------------------------------------------------------- benchmark

int runBenchmark(const Options &o) {
  HostProblem p(o);
  DnnlRnn r(p);
  for (int i = 0; i < o.warmup; ++i)
    r.run();
  std::vector<double> ms;
  for (int i = 0; i < o.reps; ++i) {
    auto t0 = Clock::now();
    r.run();
    ms.push_back(msSince(t0));
  }
  std::sort(ms.begin(), ms.end());
  double median = ms.size() % 2 ? ms[ms.size() / 2] : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);

  // Sanity: the outputs must be finite and not all zero.
  std::vector<float> y = r.output();
  bool finite = std::all_of(y.begin(), y.end(), [](float v) { return std::isfinite(v); });
  bool nonzero = std::any_of(y.begin(), y.end(), [](float v) { return v != 0.0f; });
  if (o.mode == "train") {
    float *g = ptr(r.diffWi);
    size_t n = count(r.diffWi.get_desc());
    finite = finite && std::all_of(g, g + n, [](float v) { return std::isfinite(v); });
    nonzero = nonzero && std::any_of(g, g + n, [](float v) { return v != 0.0f; });
  }
  if (!finite || !nonzero) {
    std::fprintf(stderr, "dnnl_rnn: output is %s\n", finite ? "all zero" : "not finite");
    return 1;
  }

  double usPerStep = median * 1e3 / o.T;
  double flopsPerStep = 2.0 * gatesOf(o.cell) * o.H * double(o.I + o.H) * o.B;
  if (o.mode == "train")
    flopsPerStep *= 3;
  double gflops = flopsPerStep / (usPerStep * 1e-6) / 1e9;
  std::string cell = o.cell == "gru" && o.gru == "plain" ? "gru_plain" : o.cell;
  std::printf("{\"framework\":\"onednn\",\"cell\":\"%s\",\"I\":%d,\"H\":%d,\"B\":%d,\"T\":%d,"
              "\"mode\":\"%s\",\"threads\":%d,\"us_per_step\":%.3f,\"gflops\":%.3f,"
              "\"compile_ms\":%.3f}\n",
              cell.c_str(), o.I, o.H, o.B, o.T, o.mode.c_str(), ompMaxThreads(), usPerStep,
              gflops, r.createMs);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o = parseOptions(argc, argv);
  if (o.threads > 0)
    ompSetThreads(o.threads);
  try {
    return o.check ? runChecks() : runBenchmark(o);
  } catch (const dnnl::error &e) {
    std::fprintf(stderr, "dnnl_rnn: oneDNN error: %s (status %d)\n", e.what(), int(e.status));
    return 1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "dnnl_rnn: %s\n", e.what());
    return 1;
  }
}
