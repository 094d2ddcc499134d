//===- frontend/Lexer.h - Tokens of the .rnn language ----------*- C++ -*-===//
//
// Splits a model file into tokens. Newlines end statements, so they are tokens
// too, except inside parentheses and brackets, where an expression may wrap.
// Comments run from '#' to the end of the line. Bytes that start no token
// become Error tokens (reported by the parser) rather than stopping the lexer,
// so a file of binary junk yields diagnostics, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_LEXER_H
#define RNNC_FRONTEND_LEXER_H

#include "ir/Location.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::frontend {

enum class TokenKind {
  Eof,
  Newline,
  Ident,
  Integer,
  Float,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Equal,
  Arrow,
  Plus,
  Minus,
  Star,
  Slash,
  At,
  Error,
};

/// A readable name for a token kind, used in "expected X" messages.
const char *tokenKindName(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  /// The token's text (a view into the lexed source, which must outlive it).
  std::string_view text;
  unsigned line = 1, col = 1;
};

/// Lexes all of `source`; the result always ends with an Eof token.
std::vector<Token> lex(std::string_view source);

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_LEXER_H
