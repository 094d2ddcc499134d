//===- runtime/SentencePairs.h - Parallel text for seq2seq ------*- C++ -*-===//
//
// Translation data as in ../shared/data/seq2seq/eng-fra-10k.txt: one pair
// per line, `source<TAB>target`; further TAB-separated columns (newer
// manythings.org files add an attribution) are ignored. Source and target
// get their own Vocab (Vocab.h, with <pad> <bos> <eos> <unk>), and each pair
// becomes an Example for a model like examples/seq2seq.rnn:
//
//   tokens     = source ids                  (the encoder input, src)
//   decoderIn  = <bos> + target ids          (teacher forcing, tgt_in)
//   decoderOut = target ids + <eos>          (the loss target, tgt_out)
//
// so makeBatch gives x i32[S,B] with its lengths (src_lengths), and
// decoderIn/decoderOut i32[T,B] with decoderLengths (the model's lengths).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_SENTENCEPAIRS_H
#define RNNC_RUNTIME_SENTENCEPAIRS_H

#include "runtime/Batching.h"
#include "runtime/Result.h"
#include "runtime/Vocab.h"

#include <string>
#include <vector>

namespace rnnc {

struct SentencePairs {
  std::vector<std::string> source, target;
  /// "file:line" of each pair.
  std::vector<std::string> origins;
  size_t size() const { return source.size(); }
};

/// Errors name the file and line (no TAB, an empty side) or the file
/// (missing, unreadable, empty).
Result<SentencePairs> loadSentencePairs(const std::string &path);

struct Seq2SeqData {
  Vocab source, target;
  ExampleSet examples;
};

/// Vocabularies built from all pairs (tokens seen at least minCount times;
/// rarer ones encode as <unk>) and the examples. Pairs with more than
/// maxTokens tokens on either side (maxTokens > 0) are dropped.
Result<Seq2SeqData> makeSeq2Seq(const SentencePairs &pairs, TokenLevel level,
                                int64_t minCount = 1, int64_t maxTokens = 0);

/// The examples of `pairs` with given vocabularies (e.g. restored from a
/// checkpoint), with the same dropping rule.
Result<ExampleSet> encodePairs(const SentencePairs &pairs, const Vocab &source,
                               const Vocab &target, int64_t maxTokens = 0);

} // namespace rnnc

#endif // RNNC_RUNTIME_SENTENCEPAIRS_H
