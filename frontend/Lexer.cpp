//===- frontend/Lexer.cpp - Tokens of the .rnn language -------------------===//
#include "frontend/Lexer.h"

namespace rnnc::frontend {

const char *tokenKindName(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof:
    return "end of file";
  case TokenKind::Newline:
    return "end of line";
  case TokenKind::Ident:
    return "a name";
  case TokenKind::Integer:
    return "an integer";
  case TokenKind::Float:
    return "a number";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Arrow:
    return "'->'";
  case TokenKind::Plus:
    return "'+'";
  case TokenKind::Minus:
    return "'-'";
  case TokenKind::Star:
    return "'*'";
  case TokenKind::Slash:
    return "'/'";
  case TokenKind::At:
    return "'@'";
  case TokenKind::Error:
    return "an invalid character";
  }
  return "a token";
}

static bool isIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool isDigit(char c) { return c >= '0' && c <= '9'; }

std::vector<Token> lex(std::string_view src) {
  std::vector<Token> toks;
  unsigned line = 1, col = 1;
  // Depth of open ( and [: newlines inside them do not end a statement.
  long depth = 0;
  size_t i = 0, n = src.size();
  auto push = [&](TokenKind kind, size_t begin, size_t len, unsigned c) {
    toks.push_back({kind, src.substr(begin, len), line, c});
  };
  while (i < n) {
    char c = src[i];
    if (c == '\n') {
      if (depth == 0 && !toks.empty() && toks.back().kind != TokenKind::Newline)
        push(TokenKind::Newline, i, 1, col);
      ++i;
      ++line;
      col = 1;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      ++col;
      continue;
    }
    if (c == '#') {
      while (i < n && src[i] != '\n') {
        ++i;
        ++col;
      }
      continue;
    }
    size_t begin = i;
    unsigned startCol = col;
    if (isIdentStart(c)) {
      while (i < n && (isIdentStart(src[i]) || isDigit(src[i])))
        ++i;
      push(TokenKind::Ident, begin, i - begin, startCol);
    } else if (isDigit(c) || (c == '.' && i + 1 < n && isDigit(src[i + 1]))) {
      bool isFloat = false;
      while (i < n && isDigit(src[i]))
        ++i;
      if (i < n && src[i] == '.') {
        isFloat = true;
        ++i;
        while (i < n && isDigit(src[i]))
          ++i;
      }
      if (i < n && (src[i] == 'e' || src[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (src[j] == '+' || src[j] == '-'))
          ++j;
        if (j < n && isDigit(src[j])) {
          isFloat = true;
          i = j;
          while (i < n && isDigit(src[i]))
            ++i;
        }
      }
      // A number running straight into letters ("3x", "1e") is one bad token.
      bool bad = false;
      while (i < n && (isIdentStart(src[i]) || isDigit(src[i]))) {
        ++i;
        bad = true;
      }
      push(bad ? TokenKind::Error
               : (isFloat ? TokenKind::Float : TokenKind::Integer),
           begin, i - begin, startCol);
    } else {
      TokenKind kind = TokenKind::Error;
      size_t len = 1;
      switch (c) {
      case '(':
        kind = TokenKind::LParen;
        ++depth;
        break;
      case ')':
        kind = TokenKind::RParen;
        depth = depth > 0 ? depth - 1 : 0;
        break;
      case '[':
        kind = TokenKind::LBracket;
        ++depth;
        break;
      case ']':
        kind = TokenKind::RBracket;
        depth = depth > 0 ? depth - 1 : 0;
        break;
      case '{':
        kind = TokenKind::LBrace;
        depth = 0; // a brace always starts fresh statements
        break;
      case '}':
        kind = TokenKind::RBrace;
        depth = 0;
        break;
      case ',':
        kind = TokenKind::Comma;
        break;
      case ':':
        kind = TokenKind::Colon;
        break;
      case '=':
        kind = TokenKind::Equal;
        break;
      case '+':
        kind = TokenKind::Plus;
        break;
      case '-':
        if (i + 1 < n && src[i + 1] == '>') {
          kind = TokenKind::Arrow;
          len = 2;
        } else {
          kind = TokenKind::Minus;
        }
        break;
      case '*':
        kind = TokenKind::Star;
        break;
      case '/':
        kind = TokenKind::Slash;
        break;
      case '@':
        kind = TokenKind::At;
        break;
      default:
        // One error token per UTF-8 sequence, so a column points at a
        // whole character.
        if (static_cast<unsigned char>(c) >= 0xC0)
          while (begin + len < n &&
                 (static_cast<unsigned char>(src[begin + len]) & 0xC0) == 0x80)
            ++len;
        break;
      }
      i += len;
      push(kind, begin, len, startCol);
    }
    col += static_cast<unsigned>(i - begin);
  }
  toks.push_back({TokenKind::Eof, src.substr(n), line, col});
  return toks;
}

} // namespace rnnc::frontend
