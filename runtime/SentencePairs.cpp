//===- runtime/SentencePairs.cpp - Parallel text for seq2seq --------------===//
#include "runtime/SentencePairs.h"

#include "runtime/TextFile.h"

namespace rnnc {

Result<SentencePairs> loadSentencePairs(const std::string &path) {
  auto text = readWholeFile(path);
  if (!text)
    return makeError(text.error());
  SentencePairs out;
  std::vector<std::string_view> lines = splitLines(*text);
  for (size_t k = 0; k < lines.size(); ++k) {
    std::string_view line = lines[k];
    if (line.empty())
      continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos)
      return lineError(path, k + 1, "expected 'source<TAB>target', found no TAB");
    size_t end = line.find('\t', tab + 1);
    std::string_view src = line.substr(0, tab);
    std::string_view tgt = line.substr(tab + 1, end == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : end - tab - 1);
    if (src.empty() || tgt.empty())
      return lineError(path, k + 1,
                       src.empty() ? "empty source" : "empty target");
    out.source.emplace_back(src);
    out.target.emplace_back(tgt);
    out.origins.push_back(path + ":" + std::to_string(k + 1));
  }
  if (out.source.empty())
    return makeError(path + ": no sentence pairs");
  return out;
}

Result<ExampleSet> encodePairs(const SentencePairs &pairs, const Vocab &source,
                               const Vocab &target, int64_t maxTokens) {
  ExampleSet set;
  for (size_t k = 0; k < pairs.size(); ++k) {
    Example e;
    e.tokens = source.encode(pairs.source[k]);
    std::vector<int32_t> t = target.encode(pairs.target[k]);
    std::string where =
        k < pairs.origins.size() ? pairs.origins[k] : "pair " + std::to_string(k);
    if (e.tokens.empty() || t.empty())
      return makeError(where + ": the " +
                       std::string(e.tokens.empty() ? "source" : "target") +
                       " has no tokens");
    if (maxTokens > 0 && (static_cast<int64_t>(e.tokens.size()) > maxTokens ||
                          static_cast<int64_t>(t.size()) > maxTokens))
      continue;
    e.decoderIn.push_back(Vocab::Bos);
    e.decoderIn.insert(e.decoderIn.end(), t.begin(), t.end());
    e.decoderOut = std::move(t);
    e.decoderOut.push_back(Vocab::Eos);
    set.examples.push_back(std::move(e));
  }
  if (set.examples.empty())
    return makeError("no sentence pairs within " + std::to_string(maxTokens) +
                     " tokens");
  return set;
}

Result<Seq2SeqData> makeSeq2Seq(const SentencePairs &pairs, TokenLevel level,
                                int64_t minCount, int64_t maxTokens) {
  Seq2SeqData d;
  d.source = Vocab::build(pairs.source, level, minCount);
  d.target = Vocab::build(pairs.target, level, minCount);
  auto ex = encodePairs(pairs, d.source, d.target, maxTokens);
  if (!ex)
    return makeError(ex.error());
  d.examples = ex.take();
  return d;
}

} // namespace rnnc
