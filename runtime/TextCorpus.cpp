//===- runtime/TextCorpus.cpp - Character vocabulary and corpus -----------===//
#include "runtime/TextCorpus.h"

#include "runtime/TextFile.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rnnc {

void CharVocab::index() {
  ids.fill(-1);
  for (size_t k = 0; k < symbols.size(); ++k)
    ids[static_cast<unsigned char>(symbols[k])] = static_cast<int32_t>(k);
}

CharVocab CharVocab::fromBytes(std::string_view bytes) {
  bool seen[256] = {};
  for (char c : bytes)
    seen[static_cast<unsigned char>(c)] = true;
  CharVocab v;
  for (int b = 0; b < 256; ++b)
    if (seen[b])
      v.symbols += static_cast<char>(b);
  v.index();
  return v;
}

CharVocab CharVocab::fromText(std::string_view text) {
  return fromBytes(text);
}

static const char Prefix[] = "bytes:";

std::string CharVocab::serialize() const {
  static const char Hex[] = "0123456789abcdef";
  std::string out = Prefix;
  for (char c : symbols) {
    unsigned char b = static_cast<unsigned char>(c);
    out += Hex[b >> 4];
    out += Hex[b & 15];
  }
  return out;
}

static int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

Result<CharVocab> CharVocab::parse(const std::string &s) {
  const size_t n = sizeof(Prefix) - 1;
  if (s.compare(0, n, Prefix) != 0)
    return makeError("character vocabulary must start with '" +
                     std::string(Prefix) + "'");
  std::string_view hex(s.data() + n, s.size() - n);
  if (hex.empty())
    return makeError("character vocabulary is empty");
  if (hex.size() % 2)
    return makeError("character vocabulary has an odd number of hex digits");
  CharVocab v;
  for (size_t k = 0; k < hex.size(); k += 2) {
    int hi = hexDigit(hex[k]), lo = hexDigit(hex[k + 1]);
    if (hi < 0 || lo < 0)
      return makeError("character vocabulary: '" +
                       std::string(hex.substr(k, 2)) + "' at offset " +
                       std::to_string(n + k) + " is not a hex byte");
    int b = hi * 16 + lo;
    if (!v.symbols.empty() &&
        b <= static_cast<unsigned char>(v.symbols.back()))
      return makeError("character vocabulary: byte " +
                       std::string(hex.substr(k, 2)) +
                       " is out of order or repeated");
    v.symbols += static_cast<char>(b);
  }
  v.index();
  return v;
}

std::string CharVocab::decode(int32_t id) const {
  if (id < 0 || id >= size())
    return {};
  return std::string(1, symbols[id]);
}

std::string CharVocab::decode(const std::vector<int32_t> &idSeq) const {
  std::string out;
  out.reserve(idSeq.size());
  for (int32_t id : idSeq)
    if (id >= 0 && id < size())
      out += symbols[id];
  return out;
}

static std::string describeByte(unsigned char b) {
  char buf[40];
  if (b >= 0x20 && b < 0x7f && b != '\'')
    std::snprintf(buf, sizeof buf, "'%c' (0x%02x)", b, b);
  else
    std::snprintf(buf, sizeof buf, "byte 0x%02x", b);
  return buf;
}

Result<std::vector<int32_t>> CharVocab::encode(std::string_view text) const {
  std::vector<int32_t> out(text.size());
  for (size_t k = 0; k < text.size(); ++k) {
    int32_t id = ids[static_cast<unsigned char>(text[k])];
    if (id < 0) {
      size_t line = 1 + std::count(text.begin(), text.begin() + k, '\n');
      return makeError("character " +
                       describeByte(static_cast<unsigned char>(text[k])) +
                       " at offset " + std::to_string(k) + " (line " +
                       std::to_string(line) + ") is not in the vocabulary");
    }
    out[k] = id;
  }
  return out;
}

Result<TextCorpus> TextCorpus::fromText(std::string_view text,
                                        double valFraction,
                                        const std::string &source) {
  if (!(valFraction >= 0 && valFraction < 1))
    return makeError(source + ": validation fraction must be in [0, 1)");
  if (text.empty())
    return makeError(source + ": file is empty");
  TextCorpus c;
  c.vocab = CharVocab::fromText(text);
  size_t nVal = static_cast<size_t>(
      std::floor(static_cast<double>(text.size()) * valFraction));
  size_t nTrain = text.size() - nVal;
  if (nTrain < 2 || (valFraction > 0 && nVal < 2))
    return makeError(source + ": too small (" + std::to_string(text.size()) +
                     " bytes): need at least 2 for training" +
                     (valFraction > 0 ? " and 2 for validation" : ""));
  auto ids = c.vocab.encode(text); // cannot fail: the vocabulary is the text's
  if (!ids)
    return makeError(source + ": " + ids.error());
  c.train.assign(ids->begin(), ids->begin() + nTrain);
  c.val.assign(ids->begin() + nTrain, ids->end());
  return c;
}

Result<TextCorpus> TextCorpus::load(const std::string &path,
                                    double valFraction) {
  auto text = readWholeFile(path);
  if (!text)
    return makeError(text.error());
  return fromText(*text, valFraction, path);
}

} // namespace rnnc
