//===- tools/rnnc/Seq2Seq.cpp - What seq2seq training and decoding share --===//
#include "tools/rnnc/Seq2Seq.h"

#include "frontend/Frontend.h"
#include "tools/rnnc/TrainTask.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rnnc::driver {

std::string Seq2SeqSettings::str() const {
  return std::string("tokens=") + tokenLevelName(level) +
         ",min_count=" + std::to_string(minCount) +
         ",max_len=" + std::to_string(maxLen);
}

Result<Seq2SeqSettings> Seq2SeqSettings::parse(const std::string &text) {
  Seq2SeqSettings s;
  std::stringstream ss(text);
  std::string item;
  bool any = false;
  while (std::getline(ss, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      return makeError("malformed seq2seq settings '" + text + "'");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    any = true;
    if (key == "tokens") {
      auto level = parseTokenLevel(value);
      if (!level)
        return makeError(level.error());
      s.level = *level;
      continue;
    }
    char *end = nullptr;
    long long v = std::strtoll(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0')
      return makeError("malformed seq2seq settings '" + text + "'");
    if (key == "min_count")
      s.minCount = v;
    else if (key == "max_len")
      s.maxLen = v;
    else
      return makeError("unknown seq2seq setting '" + key + "'");
  }
  if (!any)
    return makeError("no seq2seq settings");
  return s;
}

Result<Seq2SeqSettings> readSeq2SeqSettings(const std::string &modelFile) {
  std::ifstream in(modelFile, std::ios::binary);
  if (!in)
    return makeError(modelFile + ": cannot read the model file");
  std::ostringstream text;
  text << in.rdbuf();
  ir::Diagnostics diags;
  frontend::Program program;
  if (!frontend::parseAndCheck(modelFile, text.str(), program, diags))
    return makeError(modelFile + " does not parse (run rnnc check)");
  Seq2SeqSettings s;
  if (program.trains.empty())
    return s;
  for (const frontend::TrainSetting &t : program.trains[0].settings) {
    if (t.key != "min_count" && t.key != "max_len")
      continue;
    const frontend::Expr &e = *t.value;
    double v = e.kind == frontend::Expr::Kind::Number ? e.number : -1;
    int64_t min = t.key == "min_count" ? 1 : 0;
    if (v < static_cast<double>(min) || v != std::floor(v) || v > 1e9)
      return makeError(modelFile + ": train setting '" + t.key +
                       "' must be an integer >= " + std::to_string(min));
    (t.key == "min_count" ? s.minCount : s.maxLen) = static_cast<int64_t>(v);
  }
  return s;
}

std::string normalizeSentence(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto at = [&](size_t k) {
      return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    // U+00A0 is C2 A0; U+2009 is E2 80 89; U+202F is E2 80 AF.
    if (at(0) == 0xC2 && at(1) == 0xA0) {
      out += ' ';
      i += 1;
    } else if (at(0) == 0xE2 && at(1) == 0x80 &&
               (at(2) == 0x89 || at(2) == 0xAF)) {
      out += ' ';
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Result<Seq2SeqSlots> findSeq2SeqSlots(const ModelArgs &layout) {
  const frontend::ModelInfo &info = layout.info();
  auto isTokens = [&](unsigned a) {
    const ir::TensorType &t = info.args[a].type;
    return t.dtype() == DType::I32 && t.rank() == 2;
  };
  std::string shape = "'" + info.name +
                      "' is not an encoder-decoder: seq2seq needs inputs "
                      "seq[token[Vs], S] and seq[token[Vt]], a target "
                      "seq[token[Vt]] and a loss";
  if (layout.inputs().size() != 2 || layout.targets().size() != 1 ||
      layout.lossResult() < 0)
    return makeError(shape);
  Seq2SeqSlots s;
  int src = -1, srcLen = -1, len = -1;
  for (unsigned in : layout.inputs())
    for (unsigned l : layout.lengths())
      if (info.args[l].name == info.args[in].name + "_lengths") {
        src = static_cast<int>(in);
        srcLen = static_cast<int>(l);
      }
  for (unsigned l : layout.lengths())
    if (info.args[l].name == "lengths")
      len = static_cast<int>(l);
  if (src < 0 || len < 0)
    return makeError(shape + " (the source has its own length, as in "
                             "`input src: seq[token[Vs], S]`)");
  s.src = static_cast<unsigned>(src);
  s.srcLengths = static_cast<unsigned>(srcLen);
  s.lengths = static_cast<unsigned>(len);
  s.tgtIn =
      layout.inputs()[0] == s.src ? layout.inputs()[1] : layout.inputs()[0];
  s.tgtOut = layout.targets()[0];
  if (!isTokens(s.src) || !isTokens(s.tgtIn) || !isTokens(s.tgtOut))
    return makeError(shape);
  for (unsigned o : layout.outputs()) {
    const ir::TensorType &t = info.results[o].type;
    if (t.dtype() == DType::F32 && t.rank() == 3) {
      s.logits = static_cast<int>(o);
      break;
    }
  }
  return s;
}

Seq2SeqDecoder::Seq2SeqDecoder(const codegen::CompiledFunction &forward,
                               const ModelArgs &layout,
                               const Seq2SeqSlots &slots,
                               std::vector<Tensor> args, const Vocab &target)
    : forward(forward), layout(layout), slots(slots), args(std::move(args)),
      packed(this->args, layout.params()), target(target) {}

Result<std::vector<BeamHypothesis>>
Seq2SeqDecoder::decode(const std::vector<int32_t> &src, int64_t beam,
                       int64_t maxLen, double alpha) {
  if (slots.logits < 0)
    return makeError("'" + layout.info().name +
                     "' declares no logits output (add `output NAME` for "
                     "the decoder's logits) so it cannot be decoded");
  if (src.empty())
    return makeError("the source sentence has no tokens");
  BeamSearch search(beam, Vocab::Eos, alpha);
  const int64_t S = static_cast<int64_t>(src.size());
  const int64_t V = target.size();
  for (int64_t t = 0; t < maxLen && !search.isDone(); ++t) {
    const std::vector<BeamHypothesis> &live = search.live();
    const int64_t L = static_cast<int64_t>(live.size()), T = t + 1;
    std::vector<int32_t> srcIds(S * L), tgtIn(T * L);
    for (int64_t s = 0; s < S; ++s)
      for (int64_t l = 0; l < L; ++l)
        srcIds[s * L + l] = src[s];
    for (int64_t l = 0; l < L; ++l) {
      tgtIn[l] = Vocab::Bos;
      for (int64_t k = 1; k < T; ++k)
        tgtIn[k * L + l] = live[l].tokens[k - 1];
    }
    args[slots.src] = Tensor::i32({S, L}, std::move(srcIds));
    args[slots.srcLengths] =
        Tensor::i32({L}, std::vector<int32_t>(L, static_cast<int32_t>(S)));
    args[slots.tgtIn] = Tensor::i32({T, L}, std::move(tgtIn));
    args[slots.lengths] =
        Tensor::i32({L}, std::vector<int32_t>(L, static_cast<int32_t>(T)));
    // The loss needs a target; it is ignored here.
    args[slots.tgtOut] = Tensor::i32({T, L}, std::vector<int32_t>(T * L, 0));
    bindInitialStates(layout, args, L);
    auto out = forward.run(args, &packed);
    if (!out)
      return makeError(out.error());
    const Tensor &logits = (*out)[slots.logits];
    const std::vector<int64_t> &shape = logits.shape();
    if (shape.size() != 3 || shape[0] != T || shape[1] != L || shape[2] < V)
      return makeError("the logits output does not have the shape [T, B, " +
                       std::to_string(V) + "] of the target vocabulary");
    const int64_t Vm = shape[2];
    std::vector<float> rows(L * V);
    for (int64_t l = 0; l < L; ++l) {
      const float *z = logits.f32Data() + ((T - 1) * L + l) * Vm;
      // log-softmax over all the model's classes, in double.
      double m = *std::max_element(z, z + Vm), sum = 0;
      for (int64_t v = 0; v < Vm; ++v)
        sum += std::exp(static_cast<double>(z[v]) - m);
      double lse = m + std::log(sum);
      for (int64_t v = 0; v < V; ++v)
        rows[l * V + v] = static_cast<float>(z[v] - lse);
      // Padding and <bos> are never predicted.
      rows[l * V + Vocab::Pad] = -INFINITY;
      rows[l * V + Vocab::Bos] = -INFINITY;
    }
    Status st = search.step(rows, V);
    if (!st)
      return makeError(st.error());
  }
  search.finish();
  return search.results();
}

} // namespace rnnc::driver
