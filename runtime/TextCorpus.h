//===- runtime/TextCorpus.h - Character vocabulary and corpus ---*- C++ -*-===//
//
// The data of a character-level language model: a vocabulary of the bytes a
// text uses, and the text as token ids split into a training head and a
// validation tail. TbpttStream (included here) cuts the ids into batches.
//
// The vocabulary is byte-level: a symbol is one byte, and the ids are the
// sorted distinct bytes of the text (id 0 is the smallest byte). Non-ASCII
// UTF-8 is therefore several symbols per character ("é" is 0xC3 0xA9); the
// model learns the sequences, and sampled text can hold an incomplete
// sequence, which decode() passes through as raw bytes. This keeps the
// vocabulary small, every file encodable, and needs no Unicode tables.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_TEXTCORPUS_H
#define RNNC_RUNTIME_TEXTCORPUS_H

#include "runtime/Result.h"
#include "runtime/TbpttStream.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc {

class CharVocab {
public:
  /// An empty vocabulary (every id() is -1).
  CharVocab() { ids.fill(-1); }
  /// The sorted distinct bytes of `text`.
  static CharVocab fromText(std::string_view text);
  /// A vocabulary of exactly these bytes (sorted, duplicates dropped).
  static CharVocab fromBytes(std::string_view bytes);

  /// "bytes:" and two lowercase hex digits per symbol in id order, e.g.
  /// "bytes:0a2041" for {'\n', ' ', 'A'}: plain ASCII, so safe inside JSON
  /// (checkpoint metadata) whatever bytes the text holds.
  std::string serialize() const;
  /// Parses serialize()'s form; fails on a wrong prefix, odd length, a
  /// non-hex digit, unsorted or repeated bytes, or an empty vocabulary.
  static Result<CharVocab> parse(const std::string &s);

  int size() const { return static_cast<int>(symbols.size()); }
  /// The id of byte `c`, or -1 if absent.
  int32_t id(unsigned char c) const { return ids[c]; }
  /// The byte of `id` as a one-byte string; empty for an id out of range.
  std::string decode(int32_t id) const;
  /// The bytes of a sequence of ids (out-of-range ids are skipped).
  std::string decode(const std::vector<int32_t> &idSeq) const;

  /// text -> ids; a byte not in the vocabulary is an error naming it and its
  /// offset (and line).
  Result<std::vector<int32_t>> encode(std::string_view text) const;

  bool operator==(const CharVocab &o) const { return symbols == o.symbols; }

private:
  std::string symbols;             // id -> byte
  std::array<int32_t, 256> ids{};  // byte -> id or -1
  void index();
};

struct TextCorpus {
  CharVocab vocab;
  std::vector<int32_t> train, val;

  /// Reads the file; the first (1 - valFraction) of the text trains, the tail
  /// validates (valFraction in [0, 1)); the vocabulary covers both. Errors
  /// name the file: missing, a directory, unreadable, empty, or too small
  /// (under 2 ids in the training part, or in a non-empty validation part,
  /// which could not form one input/target pair).
  static Result<TextCorpus> load(const std::string &path,
                                 double valFraction = 0.1);
  /// The same from text in memory; `source` names it in errors.
  static Result<TextCorpus> fromText(std::string_view text,
                                     double valFraction,
                                     const std::string &source);
};

} // namespace rnnc

#endif // RNNC_RUNTIME_TEXTCORPUS_H
