//===- runtime/Vocab.h - Token vocabularies with special ids ----*- C++ -*-===//
//
// The vocabulary of the whole-sequence tasks (classification, seq2seq): a
// tokenizer (bytes or words) and a map from tokens to ids whose first four
// ids are reserved: <pad> 0, <bos> 1, <eos> 2, <unk> 3. An unknown token
// encodes as <unk>, so text outside the training data (a new name to
// classify) still runs. The char-LM uses CharVocab (TextCorpus.h) instead,
// whose ids are exactly the text's bytes, as char-rnn's are.
//
// Tokenization:
//   bytes  every byte is a token (UTF-8 "é" is two), as in CharVocab;
//   words  ASCII letters are lowercased; a token is a run of letters,
//          digits, apostrophes and non-ASCII bytes (so accented words stay
//          whole); every other printable ASCII character is a token of its
//          own ("Go." -> "go", "."); whitespace and control bytes separate.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_VOCAB_H
#define RNNC_RUNTIME_VOCAB_H

#include "runtime/Result.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc {

enum class TokenLevel { Bytes, Words };

/// "bytes" / "words" and back (parse fails naming the bad word).
const char *tokenLevelName(TokenLevel level);
Result<TokenLevel> parseTokenLevel(const std::string &s);

std::vector<std::string> tokenize(std::string_view text, TokenLevel level);

class Vocab {
public:
  static constexpr int32_t Pad = 0, Bos = 1, Eos = 2, Unk = 3;
  static constexpr int32_t NumSpecial = 4;

  Vocab() : Vocab(TokenLevel::Bytes) {}
  explicit Vocab(TokenLevel level);

  /// The specials, then every token of `texts` seen at least minCount times,
  /// most frequent first (ties in byte order), so ids are deterministic.
  static Vocab build(const std::vector<std::string> &texts, TokenLevel level,
                     int64_t minCount = 1);

  TokenLevel level() const { return lvl; }
  int size() const { return static_cast<int>(tokens.size()); }
  /// The id of a token, Unk if absent.
  int32_t id(const std::string &token) const;
  /// The token of an id ("<pad>", ... for the specials); "" out of range.
  const std::string &token(int32_t id) const;

  /// tokenize + id: unknown tokens become Unk.
  std::vector<int32_t> encode(std::string_view text) const;
  /// Ids back to text, skipping Pad and Bos and stopping at Eos; words are
  /// joined by single spaces, bytes concatenated.
  std::string decode(const std::vector<int32_t> &ids) const;

  /// "vocab:<level>:" then the non-special tokens in id order, each as
  /// lowercase hex of its bytes, separated by ','. Plain ASCII, so safe in
  /// JSON metadata whatever the tokens hold.
  std::string serialize() const;
  /// Parses serialize()'s form; errors name the bad part.
  static Result<Vocab> parse(const std::string &s);

  bool operator==(const Vocab &o) const {
    return lvl == o.lvl && tokens == o.tokens;
  }

private:
  TokenLevel lvl;
  std::vector<std::string> tokens;
  std::map<std::string, int32_t> ids;
  void add(const std::string &token);
};

} // namespace rnnc

#endif // RNNC_RUNTIME_VOCAB_H
