//===- ir/IRLexer.cpp - Tokens of the textual IR --------------------------===//
#include "ir/IRLexer.h"

namespace rnnc::ir {

static bool isDigit(char c) { return c >= '0' && c <= '9'; }
static bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isNameChar(char c) { return isAlpha(c) || isDigit(c) || c == '.'; }

void IRLexer::advance() {
  if (pos >= src.size())
    return;
  if (src[pos] == '\n') {
    ++line;
    col = 1;
  } else {
    ++col;
  }
  ++pos;
}

void IRLexer::skipSpaceAndComments() {
  while (pos < src.size()) {
    char c = src[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance();
    } else if (c == '/' && peek(1) == '/') {
      while (pos < src.size() && src[pos] != '\n')
        advance();
    } else {
      return;
    }
  }
}

Token IRLexer::lexNumber(Token tok) {
  bool isFloat = false;
  if (peek() == '-') {
    tok.text += '-';
    advance();
  }
  while (isDigit(peek())) {
    tok.text += peek();
    advance();
  }
  if (peek() == '.') {
    isFloat = true;
    tok.text += '.';
    advance();
    while (isDigit(peek())) {
      tok.text += peek();
      advance();
    }
  }
  if (peek() == 'e' || peek() == 'E') {
    size_t ahead = 1;
    if (peek(1) == '+' || peek(1) == '-')
      ahead = 2;
    if (isDigit(peek(ahead))) {
      isFloat = true;
      for (size_t i = 0; i < ahead; ++i) {
        tok.text += peek();
        advance();
      }
      while (isDigit(peek())) {
        tok.text += peek();
        advance();
      }
    }
  }
  // "12abc" is one bad token, not a number followed by a name.
  if (isAlpha(peek())) {
    tok.kind = TokKind::Error;
    tok.text = "invalid number literal";
    while (isNameChar(peek()))
      advance();
    return tok;
  }
  tok.kind = isFloat ? TokKind::Float : TokKind::Integer;
  return tok;
}

Token IRLexer::lexString(Token tok) {
  advance(); // opening quote
  while (true) {
    char c = peek();
    if (pos >= src.size() || c == '\n') {
      tok.kind = TokKind::Error;
      tok.text = "unterminated string";
      return tok;
    }
    advance();
    if (c == '"')
      break;
    if (c == '\\') {
      char e = peek();
      if (e != '"' && e != '\\') {
        tok.kind = TokKind::Error;
        tok.text = "unknown escape in string";
        return tok;
      }
      advance();
      c = e;
    }
    tok.text += c;
  }
  tok.kind = TokKind::String;
  return tok;
}

Token IRLexer::next() {
  skipSpaceAndComments();
  Token tok;
  tok.line = line;
  tok.col = col;
  if (pos >= src.size()) {
    tok.kind = TokKind::Eof;
    return tok;
  }
  char c = src[pos];
  auto single = [&](TokKind kind) {
    advance();
    tok.kind = kind;
    tok.text = std::string(1, c);
    return tok;
  };
  switch (c) {
  case '(':
    return single(TokKind::LParen);
  case ')':
    return single(TokKind::RParen);
  case '[':
    return single(TokKind::LBracket);
  case ']':
    return single(TokKind::RBracket);
  case '{':
    return single(TokKind::LBrace);
  case '}':
    return single(TokKind::RBrace);
  case '<':
    return single(TokKind::Less);
  case '>':
    return single(TokKind::Greater);
  case ',':
    return single(TokKind::Comma);
  case ':':
    return single(TokKind::Colon);
  case '=':
    return single(TokKind::Equal);
  case '"':
    return lexString(tok);
  case '-':
    if (peek(1) == '>') {
      advance();
      advance();
      tok.kind = TokKind::Arrow;
      tok.text = "->";
      return tok;
    }
    if (isDigit(peek(1)))
      return lexNumber(tok);
    return single(TokKind::Minus);
  case '%':
  case '@':
  case '^': {
    advance();
    while (isNameChar(peek())) {
      tok.text += peek();
      advance();
    }
    if (tok.text.empty()) {
      tok.kind = TokKind::Error;
      tok.text = std::string("expected a name after '") + c + "'";
      return tok;
    }
    tok.kind = c == '%'   ? TokKind::ValueRef
               : c == '@' ? TokKind::FuncRef
                          : TokKind::Label;
    return tok;
  }
  default:
    break;
  }
  if (isDigit(c))
    return lexNumber(tok);
  if (isAlpha(c)) {
    while (isNameChar(peek())) {
      tok.text += peek();
      advance();
    }
    tok.kind = TokKind::Ident;
    return tok;
  }
  advance();
  tok.kind = TokKind::Error;
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) {
    tok.text = std::string("unexpected character '") + c + "'";
  } else {
    static const char hex[] = "0123456789abcdef";
    tok.text = std::string("unexpected byte 0x") + hex[u >> 4] + hex[u & 15];
  }
  return tok;
}

} // namespace rnnc::ir
