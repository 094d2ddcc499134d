//===- tools/rnnc/ClassifyTask.cpp - Sequence -> class --------------------===//
//
// Trains a model with one sequence input and a per-sequence target
// `token[C]` on labelled sequences. `--data` is one of:
//   a directory of one file per class, one example per line (names/): the
//     classes are the file stems, sorted;
//   a file of `text<TAB>label` lines (sentiment/*.txt), or several joined
//     by commas (a,b,c), which must name the same classes;
//   for an f32 input seq[f32[F]]: a file of frame sequences
//     (japanese_vowels/ae.train, runtime/FrameSequences.h). Its labels are
//     the per-class block counts in `size_<file>` beside it (UCI's
//     size_ae.test layout), or the known counts of ae.train / ae.test.
//     When the file is X.train and X.test sits beside it, X.test is the
//     held-out set (validation and `rnnc eval`) and all of X.train trains.
//     Frames are standardized per feature with the training part's mean and
//     deviation, recorded in the checkpoint.
// Token inputs are bytes unless the model's train block says `words 1`
// (runtime/Vocab.h; `min_count N` drops rarer words to <unk>). The
// vocabulary is built from all the texts (only which tokens exist, never a
// label, comes from the held-out part), so it is the same whatever the
// split; V, C (and F) are bound from the data.
//
// Otherwise the split is a seeded shuffle (BatchShape seed, valFraction),
// batches are padded with per-row lengths, each epoch is a new shuffle,
// and the state starts afresh every batch; position() counts batches, so
// seek() resumes exactly. The held-out report prints accuracy, per-class
// accuracy and the confusion matrix, and draws it as
// `<prefix>confusion.svg` (ConfusionMatrix.h).
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/SequenceTask.h"

#include "frontend/Frontend.h"
#include "runtime/Batching.h"
#include "runtime/FrameSequences.h"
#include "runtime/LabelledText.h"
#include "runtime/Safetensors.h"
#include "runtime/Vocab.h"
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/ConfusionMatrix.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace rnnc::driver {

namespace {

namespace fs = std::filesystem;

/// Metadata keys of this task (besides kMetaVocab).
constexpr const char *kMetaClasses = "rnnc.classes";
constexpr const char *kMetaTokens = "rnnc.tokenization";
constexpr const char *kMetaNorm = "rnnc.normalization";
constexpr const char *kMetaValFraction = "rnnc.val_fraction";

std::string joinLines(const std::vector<std::string> &v) {
  std::string s;
  for (size_t k = 0; k < v.size(); ++k)
    s += (k ? "\n" : "") + v[k];
  return s;
}

std::string formatFraction(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::vector<std::string> splitOn(const std::string &s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

/// The train block's numeric settings, read from the syntax tree (the
/// tokenization decides V, so it is needed before lowering).
std::map<std::string, double> trainSettings(const std::string &modelFile) {
  std::map<std::string, double> out;
  std::ifstream in(modelFile, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  ir::Diagnostics diags;
  frontend::Program program;
  if (!frontend::parseAndCheck(modelFile, ss.str(), program, diags))
    return out;
  for (const frontend::TrainDecl &t : program.trains)
    for (const frontend::TrainSetting &s : t.settings)
      if (s.value && s.value->kind == frontend::Expr::Kind::Number)
        out[s.key] = s.value->number;
  return out;
}

/// Per-class counts for a frame file: `size_<name>` beside it, else the
/// UCI Japanese Vowels counts for ae.train / ae.test.
Result<std::vector<int64_t>> blockCounts(const std::string &path) {
  fs::path p(path);
  fs::path sizes = p.parent_path() / ("size_" + p.filename().string());
  if (fs::exists(sizes)) {
    std::ifstream in(sizes);
    std::vector<int64_t> counts;
    std::string word;
    while (in >> word) {
      char *end = nullptr;
      long long v = std::strtoll(word.c_str(), &end, 10);
      if (*end || v <= 0)
        return makeError(sizes.string() + ": '" + word +
                         "' is not a positive count of sequences");
      counts.push_back(v);
    }
    if (counts.empty())
      return makeError(sizes.string() + ": no counts (expected one number of "
                                        "sequences per class)");
    return counts;
  }
  if (p.filename() == "ae.train")
    return std::vector<int64_t>(9, 30);
  if (p.filename() == "ae.test")
    return std::vector<int64_t>{31, 35, 88, 44, 29, 24, 40, 50, 29};
  return makeError(path +
                   ": frame sequences carry no labels; write the "
                   "number of sequences of each class, in order, to " +
                   sizes.string());
}

Result<ExampleSet> loadLabelledFrames(const std::string &path,
                                      int64_t &classes) {
  auto set = loadFrameSequences(path);
  if (!set)
    return makeError(set.error());
  auto counts = blockCounts(path);
  if (!counts)
    return makeError(counts.error());
  Status s = labelInBlocks(*set, *counts);
  if (!s)
    return makeError(path + ": " + s.error());
  classes = static_cast<int64_t>(counts->size());
  return set;
}

class ClassifyTask : public SequenceTask {
public:
  ClassifyTask(std::string path, DeclaredData input, DeclaredData target)
      : path(std::move(path)), input(std::move(input)),
        target(std::move(target)) {}

  /// Reads the data (texts, or frames with their labels).
  Status load() {
    if (!input.isToken)
      return loadFrames();
    std::vector<std::string> parts = splitOn(path, ',');
    if (parts.size() == 1 && fs::is_directory(path)) {
      auto d = loadClassDirectory(path);
      if (!d)
        return makeError(d.error());
      texts = std::move(*d);
    } else {
      for (const std::string &part : parts) {
        if (fs::is_directory(part))
          return makeError(part + ": a directory cannot be joined with other "
                                  "data by ','");
        auto d = loadTabSeparated(part);
        if (!d)
          return makeError(d.error());
        if (texts.texts.empty()) {
          texts = std::move(*d);
          continue;
        }
        if (d->classes != texts.classes)
          return makeError(part + ": its labels (" +
                           std::to_string(d->classes.size()) +
                           " classes) are not those of " + parts[0]);
        auto append = [](auto &to, auto &from) {
          to.insert(to.end(), from.begin(), from.end());
        };
        append(texts.texts, d->texts);
        append(texts.labels, d->labels);
        append(texts.origins, d->origins);
      }
    }
    classNames = texts.classes;
    return Status::ok();
  }

  std::string unit() const override { return "example"; }
  std::string describe() const override {
    std::string s = path + ": " + std::to_string(trainIdx.size()) +
                    " train / " + std::to_string(heldoutSize()) +
                    (heldout ? " test (" + heldoutPath + ")" : " validation") +
                    " examples, " + std::to_string(classNames.size()) +
                    " classes";
    if (input.isToken)
      s += ", vocabulary " + std::to_string(vocab.size()) + " " +
           tokenLevelName(vocab.level());
    else
      s += ", " + std::to_string(all.features) + " features per step";
    return s;
  }

  Status checkResume(const std::map<std::string, std::string> &meta) override {
    // Called before bindSizes, when the vocabulary (which depends on the
    // model's tokenization) is not built yet: keep it and compare there.
    recorded = meta;
    auto it = meta.find(kMetaClasses);
    if (it == meta.end())
      return makeError("the checkpoint records no classes (was it trained "
                       "by rnnc train on classification data?)");
    if (it->second != joinLines(classNames))
      return makeError("the checkpoint was trained on other classes than " +
                       path + "'s");
    auto norm = meta.find(kMetaNorm);
    if (!input.isToken && norm != meta.end()) {
      // Adopt the normalization fitted in training.
      std::vector<std::string> v = splitOn(norm->second, ',');
      if (v.size() != 2 * static_cast<size_t>(all.features))
        return makeError("the checkpoint's normalization is for another "
                         "number of features than " +
                         path + "'s");
      mean.clear();
      scale.clear();
      for (int64_t f = 0; f < all.features; ++f) {
        mean.push_back(std::strtof(v[f].c_str(), nullptr));
        scale.push_back(std::strtof(v[all.features + f].c_str(), nullptr));
      }
    }
    return Status::ok();
  }

  Status bindSizes(const std::string &modelFile,
                   std::map<std::string, int64_t> &sizes) override {
    if (input.isToken) {
      std::map<std::string, double> settings = trainSettings(modelFile);
      TokenLevel level = settings.count("words") && settings["words"] != 0
                             ? TokenLevel::Words
                             : TokenLevel::Bytes;
      int64_t minCount = settings.count("min_count")
                             ? static_cast<int64_t>(settings["min_count"])
                             : 1;
      vocab = Vocab::build(texts.texts, level, std::max<int64_t>(1, minCount));
      auto ex = toExamples(texts, vocab);
      if (!ex)
        return makeError(ex.error());
      all = std::move(*ex);
      if (!recorded.empty()) {
        auto it = recorded.find(kMetaVocab);
        auto v = Vocab::parse(it == recorded.end() ? "" : it->second);
        if (!v || !(*v == vocab))
          return makeError("the checkpoint was trained on another vocabulary "
                           "or tokenization than " +
                           path + " gives with this model");
      }
      Status s = bind(sizes, input, vocab.size(), "distinct tokens");
      if (!s)
        return s;
    } else {
      Status s = bind(sizes, input, all.features, "features per step");
      if (!s)
        return s;
    }
    return bind(sizes, target, static_cast<int64_t>(classNames.size()),
                "classes");
  }

  Status attach(const frontend::ModelInfo &info, const ModelArgs &layout,
                const BatchShape &s) override {
    auto typeOf = [&](unsigned a) -> const ir::TensorType & {
      return info.args[a].type;
    };
    std::string need = input.isToken ? "seq[token[V]]" : "seq[f32[F]]";
    if (layout.inputs().size() != 1 || layout.targets().size() != 1 ||
        layout.lossResult() < 0 || layout.outputs().empty())
      return makeError("'" + info.name +
                       "' is not a classifier: it needs one "
                       "input " +
                       need +
                       ", one target token[C], a loss and "
                       "an output of C scores per sequence");
    const ir::TensorType &x = typeOf(layout.inputs()[0]);
    const ir::TensorType &y = typeOf(layout.targets()[0]);
    bool inputOk = input.isToken ? x.dtype() == DType::I32 && x.rank() == 2
                                 : x.dtype() == DType::F32 && x.rank() == 3 &&
                                       x.dims()[2].isStatic() &&
                                       x.dims()[2].size == all.features;
    if (!inputOk || y.dtype() != DType::I32 || y.rank() != 1)
      return makeError(
          "'" + info.name + "': the data needs input " + need +
          (input.isToken ? "" : " with F = " + std::to_string(all.features)) +
          " and target token[C]");
    const ir::TensorType &out = info.results[layout.outputs()[0]].type;
    int64_t C = static_cast<int64_t>(classNames.size());
    if (out.rank() != 2 || !out.dims()[1].isStatic() || out.dims()[1].size < C)
      return makeError("'" + info.name + "': its first output must be [" +
                       std::to_string(C) +
                       "] scores per sequence (one per "
                       "class of " +
                       path + ")");
    // Another --val-fraction would split differently, so "held-out" would
    // include examples the checkpoint trained on.
    auto vf = recorded.find(kMetaValFraction);
    if (!heldout && vf != recorded.end() &&
        vf->second != formatFraction(s.valFraction))
      return makeError(
          "the checkpoint was trained holding out --val-fraction " +
          vf->second + " of " + path + "; pass the same (not " +
          formatFraction(s.valFraction) + ") so the held-out part is the same");
    shape = s;
    slots.bind(layout);

    if (heldout) {
      trainIdx.clear();
      for (int64_t k = 0; k < static_cast<int64_t>(all.size()); ++k)
        trainIdx.push_back(k);
    } else {
      IndexSplit split = splitTrainVal(static_cast<int64_t>(all.size()),
                                       s.valFraction, s.seed);
      trainIdx = std::move(split.train);
      valIdx = std::move(split.val);
    }
    if (trainIdx.empty())
      return makeError(path +
                       ": no examples left to train on after holding "
                       "out --val-fraction " +
                       std::to_string(s.valFraction));
    if (!input.isToken)
      normalizeFrames();
    iter.emplace(&all, trainIdx, s.batch, s.seed, /*shuffle=*/true);
    // Every example holds the same kind of data (the loaders ensure it), so
    // a batch can only fail here, once, and not in next().
    auto probe = makeBatch(all, {trainIdx[0]});
    if (!probe)
      return makeError(path + ": " + probe.error());
    return Status::ok();
  }

  TaskBatch next(std::vector<Tensor> &args) override {
    PaddedBatch b = nextBatch(path);
    TaskBatch tb = freshBatch(b.batchSize(), b.batchSize());
    slots.fill(args, b, std::move(b.labels));
    return tb;
  }

  Result<EvalResult> evaluate(const codegen::CompiledFunction &forward,
                              const ModelArgs &layout, std::vector<Tensor> args,
                              int64_t maxBatches) override {
    ConfusionMatrix cm(classNames);
    return runHeldout(forward, layout, std::move(args), maxBatches, cm);
  }

  Result<std::string> report(const codegen::CompiledFunction &forward,
                             const ModelArgs &layout, std::vector<Tensor> args,
                             const std::string &artifactPrefix) override {
    ConfusionMatrix cm(classNames);
    auto r = runHeldout(forward, layout, std::move(args), 0, cm);
    if (!r)
      return makeError(r.error());
    if (r->units == 0)
      return makeError("there is no held-out data to evaluate on (use "
                       "--val-fraction > 0)");
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%lld held-out examples (%s): loss %.4f nats/example, "
                  "accuracy %.2f%% (%lld/%lld); always guessing the most "
                  "frequent class would score %.2f%%\n",
                  static_cast<long long>(r->units), describe().c_str(), r->loss,
                  100 * r->accuracy, static_cast<long long>(cm.correct()),
                  static_cast<long long>(cm.total()),
                  100 * cm.majorityBaseline());
    std::string text = buf + cm.text();
    if (!artifactPrefix.empty()) {
      std::string svgPath = artifactPrefix + "confusion.svg";
      Status w =
          writeFileAtomically(svgPath, cm.svg("confusion matrix on " +
                                              (heldout ? heldoutPath : path)));
      if (!w)
        return makeError(w.error());
      text += "wrote the confusion matrix picture to " + svgPath + "\n";
    }
    return text;
  }

  std::map<std::string, std::string> metadata() const override {
    std::map<std::string, std::string> m;
    m[kMetaClasses] = joinLines(classNames);
    if (!heldout)
      m[kMetaValFraction] = formatFraction(shape.valFraction);
    if (input.isToken) {
      m[kMetaVocab] = vocab.serialize();
      m[kMetaTokens] = tokenLevelName(vocab.level());
    } else {
      m[kMetaTokens] = "f32 frames";
      std::string norm;
      char buf[32];
      for (float v : mean) {
        std::snprintf(buf, sizeof buf, "%.9g,", v);
        norm += buf;
      }
      for (float v : scale) {
        std::snprintf(buf, sizeof buf, "%.9g,", v);
        norm += buf;
      }
      if (!norm.empty())
        norm.pop_back();
      m[kMetaNorm] = norm;
    }
    return m;
  }

private:
  std::string path, heldoutPath;
  DeclaredData input, target;
  LabelledTexts texts;
  std::vector<std::string> classNames;
  Vocab vocab;
  ExampleSet all;
  /// The held-out file's examples (X.test beside X.train); otherwise the
  /// held-out part is valIdx of `all`.
  std::optional<ExampleSet> heldout;
  std::vector<int64_t> trainIdx, valIdx;
  /// Per-feature standardization of frames: (x - mean) * scale.
  std::vector<float> mean, scale;
  std::map<std::string, std::string> recorded;
  BatchShape shape;
  InputTargetSlots slots;

  int64_t heldoutSize() const {
    return heldout ? static_cast<int64_t>(heldout->size())
                   : static_cast<int64_t>(valIdx.size());
  }

  Status loadFrames() {
    int64_t classes = 0;
    auto set = loadLabelledFrames(path, classes);
    if (!set)
      return makeError(set.error());
    all = std::move(*set);
    for (int64_t c = 1; c <= classes; ++c)
      classNames.push_back(std::to_string(c));
    fs::path p(path);
    if (p.extension() == ".train") {
      fs::path test = p;
      test.replace_extension(".test");
      if (fs::exists(test)) {
        heldoutPath = test.string();
        int64_t testClasses = 0;
        auto t = loadLabelledFrames(heldoutPath, testClasses);
        if (!t)
          return makeError(t.error());
        if (t->features != all.features)
          return makeError(heldoutPath + ": " + std::to_string(t->features) +
                           " numbers per line, but " + path + " has " +
                           std::to_string(all.features));
        if (testClasses != classes)
          return makeError(heldoutPath + ": " + std::to_string(testClasses) +
                           " classes, but " + path + " has " +
                           std::to_string(classes));
        heldout = std::move(*t);
      }
    }
    return Status::ok();
  }

  /// Fits mean and deviation per feature on the training frames (unless
  /// checkResume adopted the recorded ones) and applies them to every set.
  void normalizeFrames() {
    int64_t F = all.features;
    if (mean.empty()) {
      std::vector<double> sum(F, 0), sq(F, 0);
      int64_t count = 0;
      for (int64_t k : trainIdx) {
        const std::vector<float> &fr = all.examples[k].frames;
        for (size_t i = 0; i < fr.size(); ++i) {
          sum[i % F] += fr[i];
          sq[i % F] += static_cast<double>(fr[i]) * fr[i];
        }
        count += static_cast<int64_t>(fr.size()) / F;
      }
      for (int64_t f = 0; f < F; ++f) {
        double m = sum[f] / std::max<int64_t>(count, 1);
        double var = sq[f] / std::max<int64_t>(count, 1) - m * m;
        mean.push_back(static_cast<float>(m));
        scale.push_back(var > 1e-12 ? static_cast<float>(1 / std::sqrt(var))
                                    : 1.0f);
      }
    }
    auto apply = [&](ExampleSet &set) {
      for (Example &e : set.examples)
        for (size_t i = 0; i < e.frames.size(); ++i)
          e.frames[i] = (e.frames[i] - mean[i % F]) * scale[i % F];
    };
    apply(all);
    if (heldout)
      apply(*heldout);
  }

  /// Binds the size parameter of `d`'s single dim to `value` (keeping a
  /// --set value that holds it).
  Status bind(std::map<std::string, int64_t> &sizes, const DeclaredData &d,
              int64_t value, const char *unitName) {
    if (d.dimNames.size() != 1 || d.dimNames[0].empty())
      return Status::ok(); // a literal size; attach() checks it
    const std::string &name = d.dimNames[0];
    auto it = sizes.find(name);
    if (it == sizes.end()) {
      sizes[name] = value;
      return Status::ok();
    }
    bool ok = d.isToken ? it->second >= value : it->second == value;
    if (!ok)
      return makeError(name + " = " + std::to_string(it->second) +
                       (d.isToken ? " is too small for " : " does not match ") +
                       path + ": it has " + std::to_string(value) + " " +
                       unitName);
    return Status::ok();
  }

  Result<EvalResult> runHeldout(const codegen::CompiledFunction &forward,
                                const ModelArgs &layout,
                                std::vector<Tensor> args, int64_t maxBatches,
                                ConfusionMatrix &cm) {
    EvalResult r;
    const ExampleSet &set = heldout ? *heldout : all;
    std::vector<int64_t> idx;
    if (heldout)
      for (int64_t k = 0; k < static_cast<int64_t>(set.size()); ++k)
        idx.push_back(k);
    else
      idx = valIdx;
    if (idx.empty())
      return r;
    BatchIterator it(&set, idx, shape.batch, shape.seed, /*shuffle=*/false);
    int64_t n = it.batchesPerEpoch();
    if (maxBatches > 0)
      n = std::min(n, maxBatches);
    double lossSum = 0;
    for (int64_t k = 0; k < n; ++k) {
      auto b = it.next();
      if (!b)
        return makeError((heldout ? heldoutPath : path) + ": " + b.error());
      int64_t rows = b->batchSize();
      bindInitialStates(layout, args, rows);
      args[layout.inputs()[0]] = b->x;
      args[layout.targets()[0]] = b->labels;
      for (unsigned l : layout.lengths())
        args[l] = b->lengths;
      auto run = runHeldoutBatch(forward, layout, args, "held-out batch", k);
      if (!run)
        return makeError(run.error());
      lossSum += run->loss * static_cast<double>(rows);
      const Tensor &scores = run->out[layout.outputs()[0]];
      int64_t width = scores.shape().back();
      const float *sp = scores.f32Data();
      const int32_t *yp = b->labels.i32Data();
      for (int64_t row = 0; row < rows; ++row)
        cm.add(yp[row], argmaxRow(sp + row * width, width));
      r.units += rows;
    }
    r.loss = lossSum / static_cast<double>(r.units);
    r.accuracy = cm.accuracy();
    return r;
  }
};

} // namespace

Result<std::unique_ptr<TrainTask>>
makeClassifyTask(const std::string &dataPath,
                 const std::vector<DeclaredData> &decls, double valFraction) {
  (void)valFraction; // the split waits for the seed (attach)
  const DeclaredData *input = nullptr, *target = nullptr;
  for (const DeclaredData &d : decls)
    (d.isInput ? input : target) = &d;
  auto task = std::make_unique<ClassifyTask>(dataPath, *input, *target);
  Status s = task->load();
  if (!s)
    return makeError(s.error());
  return std::unique_ptr<TrainTask>(std::move(task));
}

} // namespace rnnc::driver
