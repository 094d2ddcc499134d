//===- tools/rnnc/SampleCommand.cpp - `rnnc sample`: generate text --------===//
//
// Generation from a character language model: the prime text runs through
// the model as one sequence (batch 1), then each step samples the next
// character from softmax(logits / temperature), restricted to the top k,
// and feeds it back as a sequence of length 1 with the carried state. The
// model's loss needs targets; they are given as zeros and the loss ignored.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"

#include "codegen/CompiledFunction.h"
#include "runtime/Initializers.h"
#include "tools/rnnc/ModelArgs.h"
#include "tools/rnnc/TrainedModel.h"

#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>

namespace rnnc::driver {

namespace {

const char *kCmd = "sample";

int fail(const std::string &message, int code = kExitModelError) {
  std::cerr << "rnnc sample: error: " << message << "\n";
  return code;
}

/// Draws an id from the logits row: greedy at temperature 0, else from
/// softmax(logits / temperature) over the topK largest (0: all).
int32_t drawToken(const float *logits, int64_t V, double temperature,
                  int64_t topK, Rng &rng) {
  std::vector<int32_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  if (temperature <= 0)
    return order[0];
  int64_t k = topK > 0 ? std::min(topK, V) : V;
  std::vector<double> p(k);
  double maxLogit = logits[order[0]], sum = 0;
  for (int64_t i = 0; i < k; ++i) {
    p[i] = std::exp((logits[order[i]] - maxLogit) / temperature);
    sum += p[i];
  }
  double u = rng.nextDouble() * sum;
  for (int64_t i = 0; i < k; ++i) {
    u -= p[i];
    if (u < 0)
      return order[i];
  }
  return order[k - 1];
}

} // namespace

int runSample(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(
          args, {"weights", "prime", "n", "temperature", "top-k", "seed"}, kCmd,
          opts, {"no-cache", "no-optimize"}))
    return kExitUsage;
  auto &x = opts.extra;
  if (!x.count("weights"))
    return fail("no checkpoint given (--weights CKPT)", kExitUsage);
  int64_t n = 500, topK = 0, seed = 1;
  double temperature = 1.0;
  if ((x.count("n") && !parseIntFlag(kCmd, "n", x["n"], n, 0)) ||
      (x.count("top-k") && !parseIntFlag(kCmd, "top-k", x["top-k"], topK, 0)) ||
      (x.count("seed") && !parseIntFlag(kCmd, "seed", x["seed"], seed, 0)) ||
      (x.count("temperature") &&
       !parseFloatFlag(kCmd, "temperature", x["temperature"], temperature)))
    return kExitUsage;
  if (temperature < 0)
    return fail("--temperature must be >= 0", kExitUsage);
  std::string weights = x["weights"];
  auto trained = loadTrained(opts, weights);
  if (!trained)
    return kExitModelError;
  LoadedModel &m = trained->model;
  ModelArgs layout(m.info);
  if (layout.inputs().size() != 1 ||
      m.info.args[layout.inputs()[0]].type.dtype() != DType::I32 ||
      m.info.args[layout.inputs()[0]].type.rank() != 2 ||
      layout.outputs().empty())
    return fail("'" + m.info.name +
                "' is not a language model (one seq[token[V]] input and a "
                "logits output)");
  if (!trained->vocab)
    return fail(weights + " has no character vocabulary in its metadata "
                          "(was it written by rnnc train?)");
  const CharVocab &vocab = *trained->vocab;

  std::string prime = x.count("prime") ? x["prime"] : "\n";
  if (prime.empty())
    prime = "\n";
  auto primeIds = vocab.encode(prime);
  if (!primeIds)
    return fail("--prime: " + primeIds.error());

  codegen::CompileOptions copts = jitOptions(opts);
  auto fn = codegen::compile(*m.fn, copts);
  if (!fn)
    return fail("compiling '" + m.info.name + "': " + fn.error());

  std::vector<Tensor> callArgs = layout.withParams(m.params);
  // One call per character: the weights, packed once, are used in place
  // (the fused gate weights are not copied on every call).
  codegen::PackedArgs packed(callArgs, layout.params());
  std::vector<Tensor> states = layout.initialStates(1);
  Rng rng(static_cast<uint64_t>(seed));
  std::cout << prime;
  std::vector<int32_t> feed = *primeIds;
  for (int64_t i = 0; i <= n; ++i) {
    int64_t T = static_cast<int64_t>(feed.size());
    callArgs[layout.inputs()[0]] = Tensor::i32({T, 1}, feed);
    for (unsigned t : layout.targets())
      callArgs[t] = Tensor::i32({T, 1}, std::vector<int32_t>(T, 0));
    for (unsigned l : layout.lengths())
      callArgs[l] = Tensor::i32({1}, {static_cast<int32_t>(T)});
    for (size_t s = 0; s < states.size(); ++s)
      callArgs[layout.states()[s]] = states[s];
    auto out = (*fn)->run(callArgs, &packed);
    if (!out)
      return fail(out.error());
    for (size_t s = 0; s < states.size(); ++s)
      states[s] = std::move((*out)[layout.finalStates()[s]]);
    if (i == n)
      break;
    const Tensor &logits = (*out)[layout.outputs()[0]];
    int64_t V = logits.shape().back();
    if (V < vocab.size())
      return fail("the model's output has " + std::to_string(V) +
                  " classes but the vocabulary " +
                  std::to_string(vocab.size()));
    const float *last = logits.f32Data() + (T - 1) * V;
    // Classes past the vocabulary (a model with V > the data's) never win.
    int32_t next = drawToken(last, vocab.size(), temperature, topK, rng);
    std::cout << vocab.decode(next) << std::flush;
    feed.assign(1, next);
  }
  std::cout << "\n";
  return kExitOk;
}

} // namespace rnnc::driver
