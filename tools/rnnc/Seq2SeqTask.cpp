//===- tools/rnnc/Seq2SeqTask.cpp - Encoder-decoder on sentence pairs -----===//
//
// Translation-style training for a model like examples/translate/:
//   input  src: seq[token[Vs], S]   the source words (lengths: src_lengths)
//   input  tgt_in: seq[token[Vt]]   <bos> + target (teacher forcing)
//   target tgt_out: seq[token[Vt]]  target + <eos>, loss masked by `lengths`
// The data is `source<TAB>target` per line (runtime/SentencePairs.h). Each
// side is normalized (Seq2Seq.h: Unicode spaces become spaces) and split
// into words (runtime/Vocab.h), with a vocabulary per side built from every
// pair; words seen fewer than `min_count` times are <unk>, pairs longer than
// `max_len` words on either side are left out (both train-block settings;
// defaults 1 and 50). A seeded shuffle splits off --val-fraction of the
// pairs; training batches are drawn in a fresh seeded order each epoch,
// padded to the longest sentence of the batch, and the state restarts every
// batch (the sentences are independent). Vs and Vt are bound from the
// vocabularies, which the checkpoint keeps for `rnnc translate` and eval.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/SequenceTask.h"

#include "runtime/Batching.h"
#include "runtime/SentencePairs.h"
#include "tools/rnnc/Seq2Seq.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>

namespace rnnc::driver {

namespace {

class Seq2SeqTask : public SequenceTask {
public:
  Seq2SeqTask(std::string path, SentencePairs pairs, std::string srcSize,
              std::string tgtSize, double valFraction)
      : path(std::move(path)), pairs(std::move(pairs)),
        srcSize(std::move(srcSize)), tgtSize(std::move(tgtSize)),
        valFraction(valFraction) {}

  std::string unit() const override { return "token"; }

  std::string describe() const override {
    if (!data)
      return "sentence pairs " + path + ": " + std::to_string(pairs.size()) +
             " pairs";
    std::string s = "sentence pairs " + path + ": " +
                    std::to_string(data->examples.size()) + " pairs";
    size_t dropped = pairs.size() - data->examples.size();
    if (dropped)
      s += " (" + std::to_string(dropped) + " longer than " +
           std::to_string(settings.maxLen) + " words left out)";
    s += ", " + std::to_string(split.train.size()) + " train / " +
         std::to_string(split.val.size()) + " validation; vocabularies " +
         std::to_string(data->source.size()) + " source / " +
         std::to_string(data->target.size()) + " target " +
         tokenLevelName(settings.level) + " (min_count " +
         std::to_string(settings.minCount) + ")";
    return s;
  }

  Status bindSizes(const std::string &modelFile,
                   std::map<std::string, int64_t> &sizes) override {
    auto fromModel = readSeq2SeqSettings(modelFile);
    if (!fromModel)
      return makeError(fromModel.error());
    if (data && !(*fromModel == settings))
      return makeError("the checkpoint was trained with " + settings.str() +
                       " but " + modelFile + " now says " + fromModel->str());
    if (!data) {
      settings = *fromModel;
      Status built = build();
      if (!built)
        return built;
    }
    auto bind = [&](const std::string &name, int64_t n,
                    const char *side) -> Status {
      if (name.empty())
        return Status::ok(); // a fixed size; attach() checks the shapes
      auto it = sizes.find(name);
      if (it == sizes.end())
        sizes[name] = n;
      else if (it->second < n)
        return makeError("--set " + name + "=" + std::to_string(it->second) +
                         " is smaller than the " + side + " vocabulary of " +
                         std::to_string(n) + " tokens in " + path);
      return Status::ok();
    };
    int64_t vs = data->source.size(), vt = data->target.size();
    if (srcSize == tgtSize && !srcSize.empty())
      return bind(srcSize, std::max(vs, vt), "shared");
    Status s = bind(srcSize, vs, "source");
    if (!s)
      return s;
    return bind(tgtSize, vt, "target");
  }

  Status attach(const frontend::ModelInfo &info, const ModelArgs &layout,
                const BatchShape &shape) override {
    auto found = findSeq2SeqSlots(layout);
    if (!found)
      return makeError(found.error());
    slots = *found;
    this->shape = shape;
    // The vocabularies must fit the model's embedding and logits sizes.
    auto vocabOf = [&](const char *size) -> int64_t {
      auto it = info.sizes.find(size);
      return it == info.sizes.end() ? -1 : it->second;
    };
    if (!srcSize.empty() && vocabOf(srcSize.c_str()) < data->source.size())
      return makeError("the model's " + srcSize + " is smaller than the "
                       "source vocabulary of " +
                       std::to_string(data->source.size()));
    if (!tgtSize.empty() && vocabOf(tgtSize.c_str()) < data->target.size())
      return makeError("the model's " + tgtSize + " is smaller than the "
                       "target vocabulary of " +
                       std::to_string(data->target.size()));
    split = splitTrainVal(static_cast<int64_t>(data->examples.size()),
                          valFraction, shape.seed);
    if (split.train.empty())
      return makeError(path + ": no pairs left to train on after holding out " +
                       std::to_string(split.val.size()) + " for validation");
    iter.emplace(&data->examples, split.train, shape.batch, shape.seed,
                 /*shuffle=*/true);
    // Every example is checked here once, so next() cannot fail later.
    for (size_t k = 0; k < split.train.size();
         k += static_cast<size_t>(shape.batch)) {
      auto b = batchFrom(split.train, k);
      if (!b)
        return makeError(path + ": " + b.error());
    }
    return Status::ok();
  }

  TaskBatch next(std::vector<Tensor> &args) override {
    PaddedBatch b = nextBatch(path);
    fill(args, slots, b);
    return freshBatch(b.batchSize(), tokens(b.decoderLengths));
  }

  Result<EvalResult> evaluate(const codegen::CompiledFunction &forward,
                              const ModelArgs &layout,
                              std::vector<Tensor> args,
                              int64_t maxBatches) override {
    EvalResult r;
    r.accuracy = std::nan("");
    if (split.val.empty())
      return r;
    auto found = findSeq2SeqSlots(layout);
    if (!found)
      return makeError(found.error());
    double lossSum = 0;
    int64_t correct = 0;
    int64_t batches = 0;
    for (size_t k = 0; k < split.val.size();
         k += static_cast<size_t>(shape.batch), ++batches) {
      if (maxBatches > 0 && batches >= maxBatches)
        break;
      auto b = batchFrom(split.val, k);
      if (!b)
        return makeError(path + ": " + b.error());
      fill(args, *found, *b);
      bindInitialStates(layout, args, b->batchSize());
      auto run =
          runHeldoutBatch(forward, layout, args, "validation batch", batches);
      if (!run)
        return makeError(run.error());
      // The model's loss is the mean over the batch's unpadded target
      // tokens; weighting by their count gives the mean over all of them.
      int64_t n = tokens(b->decoderLengths);
      lossSum += run->loss * static_cast<double>(n);
      r.units += n;
      if (found->logits >= 0)
        correct += argmaxHits(run->out[found->logits], *b);
    }
    if (r.units > 0) {
      r.loss = lossSum / static_cast<double>(r.units);
      if (found->logits >= 0)
        r.accuracy = static_cast<double>(correct) / static_cast<double>(r.units);
    }
    return r;
  }

  Result<std::string> report(const codegen::CompiledFunction &forward,
                             const ModelArgs &layout, std::vector<Tensor> args,
                             const std::string &artifactPrefix) override {
    // Written here rather than by the default report: describe() is long,
    // and the numbers must not be cut off.
    auto r = evaluate(forward, layout, args, 0);
    if (!r)
      return makeError(r.error());
    if (r->units == 0)
      return makeError("there is no held-out data to evaluate on (--val-fraction "
                       "is 0)");
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  ": loss %.4f nats/token (%.4f bits), perplexity %.3f",
                  r->loss, r->loss / std::log(2.0), std::exp(r->loss));
    std::string out = std::to_string(r->units) + " held-out tokens (" +
                      describe() + ")" + buf;
    if (std::isfinite(r->accuracy)) {
      std::snprintf(buf, sizeof buf,
                    ", next-token accuracy %.2f%% (teacher-forced)",
                    100 * r->accuracy);
      out += buf;
    }
    out += "\n";
    auto found = findSeq2SeqSlots(layout);
    if (!found || found->logits < 0)
      return out;
    // Decoding the held-out sources (up to kDecoded of them) greedily and
    // with a beam of 5 says what the loss means for translation: how often
    // the output is exactly the reference, and the model's own score of
    // what each search found (the beam should never be much worse).
    Seq2SeqDecoder decoder(forward, layout, *found, std::move(args),
                           data->target);
    constexpr size_t kDecoded = 1000, kShown = 5;
    constexpr int64_t kBeam = 5;
    size_t n = std::min(kDecoded, split.val.size());
    // Every translation the file gives each source (the eng-fra pairs often
    // have several): an output equal to any of them is a correct one.
    std::map<std::vector<int32_t>, std::set<std::vector<int32_t>>> known;
    for (const Example &e : data->examples.examples)
      known[e.tokens].insert(std::vector<int32_t>(e.decoderOut.begin(),
                                                  e.decoderOut.end() - 1));
    int64_t exact[2] = {0, 0}, anyRef[2] = {0, 0};
    double score[2] = {0, 0};
    std::string samples;
    for (size_t k = 0; k < n; ++k) {
      const Example &e = data->examples.examples[split.val[k]];
      std::vector<int32_t> ref(e.decoderOut.begin(), e.decoderOut.end() - 1);
      // A cap from the source alone (not the reference's length).
      int64_t maxLen = 2 * static_cast<int64_t>(e.tokens.size()) + 10;
      for (int w = 0; w < 2; ++w) {
        auto hyps = decoder.decode(e.tokens, w == 0 ? 1 : kBeam, maxLen, 1.0);
        if (!hyps)
          return makeError(hyps.error());
        const BeamHypothesis &best = hyps->front();
        exact[w] += best.tokens == ref;
        anyRef[w] += known[e.tokens].count(best.tokens) > 0;
        score[w] += lengthNormalizedScore(best, 1.0);
        if (k < kShown)
          samples += (w == 0 ? "  " + data->source.decode(e.tokens) +
                                   "\n    reference: " +
                                   data->target.decode(e.decoderOut) +
                                   "\n    greedy:    "
                             : std::string("\n    beam 5:    ")) +
                     data->target.decode(best.tokens);
      }
      if (k < kShown)
        samples += "\n";
    }
    if (n > 0) {
      double dn = static_cast<double>(n);
      std::snprintf(buf, sizeof buf,
                    "decoding %zu held-out sources, greedy / beam %lld: "
                    "output = the pair's reference %.1f%% / %.1f%%, ",
                    n, static_cast<long long>(kBeam), 100 * exact[0] / dn,
                    100 * exact[1] / dn);
      out += buf;
      std::snprintf(buf, sizeof buf,
                    "= one of the file's translations of that source "
                    "%.1f%% / %.1f%%; mean log P per output token %.3f / "
                    "%.3f\n",
                    100 * anyRef[0] / dn, 100 * anyRef[1] / dn,
                    score[0] / dn, score[1] / dn);
      out += buf;
      out += "the first " + std::to_string(std::min(n, kShown)) +
             " held-out pairs:\n" + samples;
    }
    return out;
  }

  std::map<std::string, std::string> metadata() const override {
    return {{kMetaSourceVocab, data->source.serialize()},
            {kMetaTargetVocab, data->target.serialize()},
            {kMetaSeq2Seq, settings.str()}};
  }

  Status checkResume(const std::map<std::string, std::string> &meta) override {
    auto get = [&](const char *key) {
      auto it = meta.find(key);
      return it == meta.end() ? std::string() : it->second;
    };
    if (get(kMetaSeq2Seq).empty() || get(kMetaSourceVocab).empty() ||
        get(kMetaTargetVocab).empty())
      return makeError("it has no seq2seq vocabularies in its metadata (was "
                       "it trained on sentence pairs by rnnc train?)");
    auto recorded = Seq2SeqSettings::parse(get(kMetaSeq2Seq));
    if (!recorded)
      return makeError(recorded.error());
    auto src = Vocab::parse(get(kMetaSourceVocab));
    auto tgt = Vocab::parse(get(kMetaTargetVocab));
    if (!src || !tgt)
      return makeError("malformed vocabulary in its metadata: " +
                       (src ? tgt.error() : src.error()));
    // Rebuild from this data with the recorded settings: the same data
    // gives the same vocabularies (ids are deterministic).
    settings = *recorded;
    Status built = build();
    if (!built)
      return built;
    if (!(data->source == *src) || !(data->target == *tgt))
      return makeError("the checkpoint was trained on other sentence pairs "
                       "than " +
                       path + "'s (its vocabularies differ)");
    return Status::ok();
  }

private:
  std::string path;
  SentencePairs pairs;
  std::string srcSize, tgtSize;
  double valFraction;
  Seq2SeqSettings settings;
  std::optional<Seq2SeqData> data;
  BatchShape shape;
  IndexSplit split;
  Seq2SeqSlots slots;

  Status build() {
    auto d = makeSeq2Seq(pairs, settings.level, settings.minCount,
                         settings.maxLen);
    if (!d)
      return makeError(path + ": " + d.error());
    data.emplace(d.take());
    return Status::ok();
  }

  /// The batch of the examples idx[k], idx[k + 1], ... (shape.batch of
  /// them, fewer at the end): how attach() checks the training batches and
  /// evaluate() walks the validation ones, in order.
  Result<PaddedBatch> batchFrom(const std::vector<int64_t> &idx,
                                size_t k) const {
    size_t end = std::min(idx.size(), k + static_cast<size_t>(shape.batch));
    return makeBatch(data->examples,
                     std::vector<int64_t>(idx.begin() + k, idx.begin() + end));
  }

  static int64_t tokens(const Tensor &lengths) {
    int64_t n = 0;
    for (int64_t b = 0; b < lengths.numElements(); ++b)
      n += lengths.i32Data()[b];
    return n;
  }

  static void fill(std::vector<Tensor> &args, const Seq2SeqSlots &s,
                   const PaddedBatch &b) {
    args[s.src] = b.x;
    args[s.srcLengths] = b.lengths;
    args[s.tgtIn] = b.decoderIn;
    args[s.tgtOut] = b.decoderOut;
    args[s.lengths] = b.decoderLengths;
  }

  /// Unpadded target positions where the logits' argmax is the target.
  static int64_t argmaxHits(const Tensor &logits, const PaddedBatch &b) {
    const std::vector<int64_t> &sh = logits.shape();
    if (sh.size() != 3)
      return 0;
    int64_t T = sh[0], B = sh[1], V = sh[2];
    int64_t hits = 0;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t r = 0; r < B; ++r) {
        if (t >= b.decoderLengths.i32Data()[r])
          continue;
        hits += argmaxRow(logits.f32Data() + (t * B + r) * V, V) ==
                b.decoderOut.i32Data()[t * B + r];
      }
    return hits;
  }
};

} // namespace

Result<std::unique_ptr<TrainTask>>
makeSeq2SeqTask(const std::string &dataPath,
                const std::vector<DeclaredData> &decls, double valFraction) {
  const DeclaredData *src = nullptr, *tgtIn = nullptr, *tgtOut = nullptr;
  for (const DeclaredData &d : decls) {
    if (!d.isInput)
      tgtOut = &d;
    else if (!d.timeName.empty() && !src)
      src = &d;
    else
      tgtIn = &d;
  }
  if (!src || !tgtIn || !tgtOut || !src->isToken || !tgtIn->isToken ||
      !tgtOut->isToken)
    return makeError("seq2seq on sentence pairs needs token inputs: "
                     "`input src: seq[token[Vs], S]` (with its own length S), "
                     "`input tgt_in: seq[token[Vt]]` and "
                     "`target tgt_out: seq[token[Vt]]`");
  auto name = [](const DeclaredData *d) {
    return d->dimNames.size() == 1 ? d->dimNames[0] : std::string();
  };
  if (name(tgtIn) != name(tgtOut))
    return makeError("the decoder input '" + tgtIn->name + "' and the target '" +
                     tgtOut->name + "' must share the target vocabulary size");
  auto pairs = loadSentencePairs(dataPath);
  if (!pairs)
    return makeError(pairs.error());
  for (std::string &s : pairs->source)
    s = normalizeSentence(s);
  for (std::string &s : pairs->target)
    s = normalizeSentence(s);
  return std::unique_ptr<TrainTask>(std::make_unique<Seq2SeqTask>(
      dataPath, pairs.take(), name(src), name(tgtOut), valFraction));
}

} // namespace rnnc::driver
