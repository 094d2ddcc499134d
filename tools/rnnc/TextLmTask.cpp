//===- tools/rnnc/TextLmTask.cpp - Language modelling on a text file ------===//
//
// char-rnn style: the file's bytes are the tokens, the first 90% trains and
// the tail validates; the training ids are cut into B contiguous lanes and
// each batch is the next T ids of every lane (runtime/TbpttStream.h), so the
// state carried out of one window continues the same lane in the next.
// The vocabulary size of the model (`V` in seq[token[V]]) is bound from the
// data, and the vocabulary is kept in the checkpoint for sample and eval.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/TrainTask.h"

#include "runtime/TbpttStream.h"
#include "runtime/TextCorpus.h"
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/LmEval.h"
#include "tools/rnnc/LoadedModel.h"

#include <optional>

namespace rnnc::driver {

namespace {

class TextLmTask : public TrainTask {
public:
  /// `vocabSize` names the model's vocabulary size (V of seq[token[V]]),
  /// or is empty when the model fixes it.
  TextLmTask(std::string path, TextCorpus corpus, std::string vocabSize)
      : path(std::move(path)), corpus(std::move(corpus)),
        vocabSize(std::move(vocabSize)) {}

  std::string unit() const override { return "char"; }
  std::string describe() const override {
    return "text " + path + ": " + std::to_string(corpus.train.size()) +
           " train / " + std::to_string(corpus.val.size()) +
           " validation characters, vocabulary " +
           std::to_string(corpus.vocab.size());
  }

  Status bindSizes(const std::string &modelFile,
                   std::map<std::string, int64_t> &sizes) override {
    const std::string &name = vocabSize;
    if (name.empty())
      return Status::ok(); // a fixed vocabulary; attach() checks it
    auto it = sizes.find(name);
    if (it == sizes.end())
      sizes[name] = corpus.vocab.size();
    else if (it->second < corpus.vocab.size())
      return makeError("--set " + name + "=" + std::to_string(it->second) +
                       " is smaller than the data's vocabulary of " +
                       std::to_string(corpus.vocab.size()) + " characters");
    return Status::ok();
  }

  Status attach(const frontend::ModelInfo &info, const ModelArgs &layout,
                const BatchShape &s) override {
    auto isTokens = [&](unsigned a) {
      const ir::TensorType &t = info.args[a].type;
      return t.dtype() == DType::I32 && t.rank() == 2;
    };
    if (layout.inputs().size() != 1 || layout.targets().size() != 1 ||
        !isTokens(layout.inputs()[0]) || !isTokens(layout.targets()[0]) ||
        layout.lossResult() < 0 || layout.outputs().empty())
      return makeError("'" + info.name +
                       "' is not a language model: training on text needs "
                       "one input seq[token[V]], one target seq[token[V]], "
                       "a loss and a logits output");
    shape = s;
    layoutInput = layout.inputs()[0];
    layoutTarget = layout.targets()[0];
    lengthArgs = layout.lengths();
    auto st = TbpttStream::create(&corpus.train, s.batch, s.bptt);
    if (!st)
      return makeError(path + ": " + st.error());
    stream.emplace(std::move(*st));
    return Status::ok();
  }

  TaskBatch next(std::vector<Tensor> &args) override {
    TbpttStream::Batch b = stream->next();
    TaskBatch tb;
    tb.rows = shape.batch;
    tb.units = b.x.numElements();
    tb.resetState = b.epochStart;
    args[layoutInput] = std::move(b.x);
    args[layoutTarget] = std::move(b.y);
    for (unsigned l : lengthArgs)
      args[l] = b.lengths;
    return tb;
  }

  int64_t position() const override { return stream->position(); }
  void seek(int64_t p) override { stream->seek(p); }
  int64_t epoch() const override { return stream->epoch(); }
  int64_t batchesPerEpoch() const override {
    return stream->windowsPerEpoch();
  }
  int64_t positionsPerBatch() const override {
    return shape.batch * shape.bptt;
  }

  Result<EvalResult> evaluate(const codegen::CompiledFunction &forward,
                              const ModelArgs &layout,
                              std::vector<Tensor> args,
                              int64_t maxBatches) override {
    EvalResult r;
    if (corpus.val.size() < 2)
      return r;
    auto lm = evaluateLm(forward, layout, std::move(args), corpus.val,
                         shape.batch, shape.bptt, maxBatches);
    if (!lm)
      return makeError(lm.error());
    r.loss = lm->loss;
    r.accuracy = lm->accuracy;
    r.units = lm->tokens;
    return r;
  }

  std::map<std::string, std::string> metadata() const override {
    return {{kMetaVocab, corpus.vocab.serialize()}};
  }

  Status checkResume(const std::map<std::string, std::string> &meta) override {
    auto it = meta.find(kMetaVocab);
    auto vocab = CharVocab::parse(it == meta.end() ? "" : it->second);
    if (!vocab || !(*vocab == corpus.vocab))
      return makeError("the checkpoint was trained on another vocabulary "
                       "than " +
                       path + "'s");
    return Status::ok();
  }

private:
  std::string path;
  TextCorpus corpus;
  std::string vocabSize;
  BatchShape shape;
  std::optional<TbpttStream> stream;
  unsigned layoutInput = 0, layoutTarget = 0;
  std::vector<unsigned> lengthArgs;
};

} // namespace

Result<std::unique_ptr<TrainTask>>
makeTextLmTask(const std::string &dataPath,
               const std::vector<DeclaredData> &decls, double valFraction) {
  auto corpus = TextCorpus::load(dataPath, valFraction);
  if (!corpus)
    return makeError(corpus.error());
  // The vocabulary size is the bare size name of the token input, if any.
  std::string vocabSize;
  for (const DeclaredData &d : decls)
    if (d.isInput && d.isToken) {
      if (d.dimNames.size() == 1)
        vocabSize = d.dimNames[0];
      break;
    }
  return std::unique_ptr<TrainTask>(std::make_unique<TextLmTask>(
      dataPath, std::move(*corpus), std::move(vocabSize)));
}

} // namespace rnnc::driver
