//===- tools/rnnc/TranslateCommand.cpp - `rnnc translate`: decode seq2seq -===//
//
// Translation with an encoder-decoder `rnnc train` trained on sentence
// pairs (Seq2SeqTask.cpp): each input sentence is normalized and split into
// words exactly as the training pairs were, mapped through the source
// vocabulary the checkpoint keeps (an unknown word becomes <unk>, with a
// warning), and decoded greedily (--beam 1, the default) or by beam search
// with length normalization (Seq2Seq.h, runtime/BeamSearch.h). One
// translation is printed per input line, so the output lines up with the
// input. Sentences come from the command line, from --input FILE (one per
// line; a line with a TAB is a pair and its first column is translated), or
// from standard input.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"

#include "codegen/CompiledFunction.h"
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/Seq2Seq.h"
#include "tools/rnnc/TrainedModel.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>

namespace rnnc::driver {

namespace {

const char *kCmd = "translate";

int fail(const std::string &message, int code = kExitModelError) {
  std::cerr << "rnnc translate: error: " << message << "\n";
  return code;
}

constexpr int64_t kMaxBeam = 1000;
constexpr int64_t kMaxOutputLen = 100000;

/// Splits the command line into the flags (for parseModelOptions), the
/// model file and the sentences: after the model file, every argument that
/// is not a flag or a flag's value is a sentence to translate.
void splitArgs(const std::vector<std::string> &args,
               std::vector<std::string> &flags,
               std::vector<std::string> &sentences) {
  static const std::set<std::string> takesValue = {
      "--weights", "--beam", "--max-len", "--alpha", "--input", "--set"};
  bool haveModel = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string &a = args[i];
    if (a.size() >= 2 && a[0] == '-') {
      flags.push_back(a);
      if (takesValue.count(a) && i + 1 < args.size())
        flags.push_back(args[++i]);
      continue;
    }
    if (!haveModel) {
      flags.push_back(a);
      haveModel = true;
    } else {
      sentences.push_back(a);
    }
  }
}

} // namespace

int runTranslate(const std::vector<std::string> &args) {
  std::vector<std::string> flags, sentences;
  splitArgs(args, flags, sentences);
  ModelOptions opts;
  if (!parseModelOptions(flags,
                         {"weights", "beam", "max-len", "alpha", "input"},
                         kCmd, opts, {"no-cache", "verbose", "no-optimize"}))
    return kExitUsage;
  auto &x = opts.extra;
  if (!x.count("weights"))
    return fail("no checkpoint given (--weights CKPT)", kExitUsage);
  int64_t beam = 1, maxLen = 50;
  double alpha = 1.0;
  if ((x.count("beam") && !parseIntFlag(kCmd, "beam", x["beam"], beam, 1)) ||
      (x.count("max-len") &&
       !parseIntFlag(kCmd, "max-len", x["max-len"], maxLen, 1)) ||
      (x.count("alpha") && !parseFloatFlag(kCmd, "alpha", x["alpha"], alpha)))
    return kExitUsage;
  if (alpha < 0)
    return fail("--alpha must be >= 0", kExitUsage);
  // Each step of a search costs a forward call per beam entry, so wider
  // beams or longer caps than these are a typo, not a request.
  if (beam > kMaxBeam)
    return fail("--beam must be at most " + std::to_string(kMaxBeam) +
                    ", got " + std::to_string(beam),
                kExitUsage);
  if (maxLen > kMaxOutputLen)
    return fail("--max-len must be at most " + std::to_string(kMaxOutputLen) +
                    ", got " + std::to_string(maxLen),
                kExitUsage);
  if (x.count("input") && !sentences.empty())
    return fail("give sentences either on the command line or with --input, "
                "not both",
                kExitUsage);

  // The inputs, read before the (slower) compile so a bad file fails fast.
  std::vector<std::string> lines = sentences;
  if (x.count("input") || sentences.empty()) {
    std::string text;
    if (x.count("input")) {
      if (!readFile(x["input"], text))
        return kExitUsage;
    } else {
      text.assign(std::istreambuf_iterator<char>(std::cin),
                  std::istreambuf_iterator<char>());
    }
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      std::string line = text.substr(
          start, nl == std::string::npos ? std::string::npos : nl - start);
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      size_t tab = line.find('\t');
      if (tab != std::string::npos)
        line.resize(tab);
      lines.push_back(std::move(line));
      if (nl == std::string::npos)
        break;
      start = nl + 1;
    }
  }

  std::string weights = x["weights"];
  auto ck = readCheckpoint(weights);
  if (!ck)
    return fail(ck.error());
  if (ck->meta(kMetaSourceVocab).empty() || ck->meta(kMetaTargetVocab).empty())
    return fail(weights + " has no seq2seq vocabularies in its metadata (was "
                          "it trained on sentence pairs by rnnc train?)");
  auto source = Vocab::parse(ck->meta(kMetaSourceVocab));
  auto target = Vocab::parse(ck->meta(kMetaTargetVocab));
  if (!source || !target)
    return fail(weights + ": malformed vocabulary in its metadata: " +
                (source ? target.error() : source.error()));
  auto trained = loadTrained(opts, weights);
  if (!trained)
    return kExitModelError;
  LoadedModel &m = trained->model;
  ModelArgs layout(m.info);
  auto slots = findSeq2SeqSlots(layout);
  if (!slots)
    return fail(slots.error());
  if (slots->logits < 0)
    return fail("'" + m.info.name +
                "' declares no logits output, so it cannot be decoded (add "
                "`output logits` for the decoder's logits)");
  codegen::CompileOptions copts = jitOptions(opts);
  auto fn = codegen::compile(*m.fn, copts);
  if (!fn)
    return fail("compiling '" + m.info.name + "': " + fn.error());

  Seq2SeqDecoder decoder(**fn, layout, *slots, layout.withParams(m.params),
                         *target);
  bool verbose = x.count("verbose") > 0;
  for (size_t k = 0; k < lines.size(); ++k) {
    std::string where = x.count("input") ? x["input"] + ":" +
                                               std::to_string(k + 1)
                                         : "sentence " + std::to_string(k + 1);
    std::vector<std::string> words =
        tokenize(normalizeSentence(lines[k]), source->level());
    std::vector<int32_t> ids;
    for (const std::string &w : words) {
      int32_t id = source->id(w);
      if (id == Vocab::Unk)
        std::cerr << "rnnc translate: warning: " << where << ": '" << w
                  << "' is not in the source vocabulary; it is read as "
                     "<unk>\n";
      ids.push_back(id);
    }
    if (ids.empty()) {
      std::cerr << "rnnc translate: warning: " << where
                << ": nothing to translate\n";
      std::cout << "\n";
      continue;
    }
    auto hyps = decoder.decode(ids, beam, maxLen, alpha);
    if (!hyps)
      return fail(where + ": " + hyps.error());
    if (verbose)
      for (const BeamHypothesis &h : *hyps) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "  logP %.4f  score %.4f%s  ",
                      h.logProb, lengthNormalizedScore(h, alpha),
                      h.finished ? "" : " (cut at --max-len)");
        std::cerr << buf << target->decode(h.tokens) << "\n";
      }
    std::cout << target->decode(hyps->front().tokens) << "\n" << std::flush;
  }
  return kExitOk;
}

} // namespace rnnc::driver
