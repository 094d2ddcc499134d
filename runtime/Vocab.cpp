//===- runtime/Vocab.cpp - Token vocabularies with special ids ------------===//
#include "runtime/Vocab.h"

#include <algorithm>

namespace rnnc {

static const char *const SpecialNames[] = {"<pad>", "<bos>", "<eos>", "<unk>"};

const char *tokenLevelName(TokenLevel level) {
  return level == TokenLevel::Bytes ? "bytes" : "words";
}

Result<TokenLevel> parseTokenLevel(const std::string &s) {
  if (s == "bytes")
    return TokenLevel::Bytes;
  if (s == "words")
    return TokenLevel::Words;
  return makeError("unknown token level '" + s + "' (expected bytes or words)");
}

std::vector<std::string> tokenize(std::string_view text, TokenLevel level) {
  std::vector<std::string> out;
  if (level == TokenLevel::Bytes) {
    for (char c : text)
      out.emplace_back(1, c);
    return out;
  }
  std::string word;
  auto flush = [&] {
    if (!word.empty())
      out.push_back(std::move(word));
    word.clear();
  };
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool wordByte = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
    if (wordByte) {
      word += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch;
    } else {
      flush();
      if (c > 0x20 && c < 0x7f)
        out.emplace_back(1, ch);
    }
  }
  flush();
  return out;
}

Vocab::Vocab(TokenLevel level) : lvl(level) {
  for (const char *s : SpecialNames)
    add(s);
}

void Vocab::add(const std::string &token) {
  ids.emplace(token, static_cast<int32_t>(tokens.size()));
  tokens.push_back(token);
}

Vocab Vocab::build(const std::vector<std::string> &texts, TokenLevel level,
                   int64_t minCount) {
  std::map<std::string, int64_t> counts;
  for (const std::string &t : texts)
    for (std::string &tok : tokenize(t, level))
      ++counts[tok];
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(),
                                                      counts.end());
  // Stable on the byte-ordered map: equal counts stay in byte order.
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto &a, const auto &b) { return a.second > b.second; });
  Vocab v(level);
  for (const auto &[tok, n] : sorted)
    if (n >= minCount && !v.ids.count(tok))
      v.add(tok);
  return v;
}

int32_t Vocab::id(const std::string &token) const {
  auto it = ids.find(token);
  return it == ids.end() ? Unk : it->second;
}

const std::string &Vocab::token(int32_t id) const {
  static const std::string empty;
  return id >= 0 && id < size() ? tokens[id] : empty;
}

std::vector<int32_t> Vocab::encode(std::string_view text) const {
  std::vector<int32_t> out;
  for (const std::string &tok : tokenize(text, lvl))
    out.push_back(id(tok));
  return out;
}

std::string Vocab::decode(const std::vector<int32_t> &idSeq) const {
  std::string out;
  for (int32_t i : idSeq) {
    if (i == Eos)
      break;
    if (i == Pad || i == Bos || i < 0 || i >= size())
      continue;
    if (lvl == TokenLevel::Words && !out.empty())
      out += ' ';
    out += tokens[i];
  }
  return out;
}

std::string Vocab::serialize() const {
  static const char Hex[] = "0123456789abcdef";
  std::string out = std::string("vocab:") + tokenLevelName(lvl) + ":";
  for (size_t k = NumSpecial; k < tokens.size(); ++k) {
    if (k > NumSpecial)
      out += ',';
    for (char c : tokens[k]) {
      out += Hex[static_cast<unsigned char>(c) >> 4];
      out += Hex[static_cast<unsigned char>(c) & 15];
    }
  }
  return out;
}

static int hexDigit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

Result<Vocab> Vocab::parse(const std::string &s) {
  if (s.compare(0, 6, "vocab:") != 0)
    return makeError("vocabulary must start with 'vocab:'");
  size_t colon = s.find(':', 6);
  if (colon == std::string::npos)
    return makeError("vocabulary: expected 'vocab:<level>:<tokens>'");
  auto level = parseTokenLevel(s.substr(6, colon - 6));
  if (!level)
    return makeError("vocabulary: " + level.error());
  Vocab v(*level);
  std::string_view rest(s.data() + colon + 1, s.size() - colon - 1);
  size_t index = 0;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view hex = rest.substr(0, comma);
    std::string tok;
    if (hex.empty() || hex.size() % 2)
      return makeError("vocabulary: token " + std::to_string(index) +
                       " is not hex bytes");
    for (size_t k = 0; k < hex.size(); k += 2) {
      int hi = hexDigit(hex[k]), lo = hexDigit(hex[k + 1]);
      if (hi < 0 || lo < 0)
        return makeError("vocabulary: token " + std::to_string(index) +
                         " has the non-hex '" + std::string(hex.substr(k, 2)) +
                         "'");
      tok += static_cast<char>(hi * 16 + lo);
    }
    if (v.ids.count(tok))
      return makeError("vocabulary: token " + std::to_string(index) +
                       " is repeated or special");
    v.add(tok);
    ++index;
    if (comma == std::string_view::npos)
      break;
    rest.remove_prefix(comma + 1);
    if (rest.empty())
      return makeError("vocabulary: trailing ','");
  }
  return v;
}

} // namespace rnnc
