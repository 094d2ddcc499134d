//===- tools/rnnc/Seq2Seq.h - What seq2seq training and decoding share -*- C++
//-*-===//
//
// The seq2seq task (Seq2SeqTask.cpp) and `rnnc translate`
// (TranslateCommand.cpp) must agree on how a sentence becomes ids and on
// which argument of the lowered model is which; this file holds both:
//   - the data settings, read from the model's train block (`min_count`,
//     `max_len`) and kept in the checkpoint with the two vocabularies;
//   - the text normalization applied before tokenizing (the eng-fra file
//     writes French "!" and "?" after a narrow no-break space; without it
//     "alors!" and "alors !" would be different words);
//   - the model's slots: the source input (the one with its own lengths
//     argument `<name>_lengths`), the decoder input (sharing `lengths` with
//     the target), the target and the logits output;
//   - decoding: greedy and beam search by re-running the whole model with
//     the decoder prefix one token longer each step and reading the logits
//     of its last position (quadratic in the output length, but the model
//     stays one function and the sentences are short). All beam hypotheses
//     of a step run as the rows of one batch.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_SEQ2SEQ_H
#define RNNC_TOOLS_RNNC_SEQ2SEQ_H

#include "codegen/CompiledFunction.h"
#include "runtime/BeamSearch.h"
#include "runtime/Result.h"
#include "runtime/Tensor.h"
#include "runtime/Vocab.h"
#include "tools/rnnc/ModelArgs.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::driver {

/// Checkpoint metadata keys of a seq2seq model.
inline constexpr const char *kMetaSourceVocab = "rnnc.source_vocab";
inline constexpr const char *kMetaTargetVocab = "rnnc.target_vocab";
inline constexpr const char *kMetaSeq2Seq = "rnnc.seq2seq";

/// How sentence pairs become examples. Tokenization is by words (Vocab.h):
/// lowercased ASCII words, accented words kept whole, punctuation its own
/// token.
struct Seq2SeqSettings {
  /// Words seen fewer times (over all pairs) are <unk>.
  int64_t minCount = 1;
  /// Pairs with more tokens on either side are left out (0: none are).
  int64_t maxLen = 50;
  TokenLevel level = TokenLevel::Words;

  /// "tokens=words,min_count=2,max_len=50" and back.
  std::string str() const;
  static Result<Seq2SeqSettings> parse(const std::string &text);
  bool operator==(const Seq2SeqSettings &) const = default;
};

/// The settings the model file's train block gives (`min_count N`,
/// `max_len N`), defaults for the others; errors name the file.
Result<Seq2SeqSettings> readSeq2SeqSettings(const std::string &modelFile);

/// Unicode spaces (no-break U+00A0, narrow no-break U+202F, thin U+2009)
/// become ASCII spaces, so the word tokenizer separates on them.
std::string normalizeSentence(std::string_view text);

/// Argument and result indices of an encoder-decoder model.
struct Seq2SeqSlots {
  unsigned src = 0, srcLengths = 0, tgtIn = 0, lengths = 0, tgtOut = 0;
  /// The logits output (f32[T,B,Vt]), -1 if the model declares none.
  int logits = -1;
};

/// Finds the slots in the model's convention; errors say what is missing.
Result<Seq2SeqSlots> findSeq2SeqSlots(const ModelArgs &layout);

/// Decodes source sentences with a trained model.
class Seq2SeqDecoder {
public:
  /// `args` has the parameters bound (ModelArgs::withParams); the model
  /// must have a logits output; `target` is the vocabulary whose ids it
  /// predicts.
  Seq2SeqDecoder(const codegen::CompiledFunction &forward,
                 const ModelArgs &layout, const Seq2SeqSlots &slots,
                 std::vector<Tensor> args, const Vocab &target);

  /// The candidates best first (BeamSearch::results); beam 1 is greedy.
  /// At most maxLen tokens (EOS included) are generated.
  Result<std::vector<BeamHypothesis>> decode(const std::vector<int32_t> &src,
                                             int64_t beam, int64_t maxLen,
                                             double alpha);

private:
  const codegen::CompiledFunction &forward;
  const ModelArgs &layout;
  Seq2SeqSlots slots;
  std::vector<Tensor> args;
  /// The parameters packed once: each decoding step re-runs the model, and
  /// its fused gate weights are then used in place, not copied per token.
  codegen::PackedArgs packed;
  const Vocab &target;
};

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_SEQ2SEQ_H
