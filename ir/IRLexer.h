//===- ir/IRLexer.h - Tokens of the textual IR -----------------*- C++ -*-===//
//
// Splits textual IR (docs/ir.md) into tokens with 1-based line and column, for
// ir/Parser.cpp. The lexer never fails hard: a byte it cannot place becomes an
// Error token carrying a message, and the parser reports it at that position.
// Number literals are only classified here; the parser converts them, so an
// out-of-range literal is reported as such rather than silently wrapped.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_IRLEXER_H
#define RNNC_IR_IRLEXER_H

#include <string>
#include <string_view>

namespace rnnc::ir {

enum class TokKind {
  Eof,
  Error,
  Ident,    // f32, matmul, true, T, reduce_sum
  ValueRef, // %name  (text excludes the sigil)
  FuncRef,  // @name
  Label,    // ^name
  Integer,  // 42, -3
  Float,    // 0.5, -1e-3
  String,   // "f32" (text is the unescaped contents)
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Less,
  Greater,
  Comma,
  Colon,
  Equal,
  Minus,
  Arrow,
};

struct Token {
  TokKind kind = TokKind::Eof;
  std::string text;
  unsigned line = 1, col = 1;
};

class IRLexer {
public:
  explicit IRLexer(std::string_view text) : src(text) {}
  /// The next token; Eof forever once the text is consumed.
  Token next();

private:
  char peek(size_t ahead = 0) const {
    return pos + ahead < src.size() ? src[pos + ahead] : '\0';
  }
  void advance();
  void skipSpaceAndComments();
  Token lexNumber(Token tok);
  Token lexString(Token tok);

  std::string_view src;
  size_t pos = 0;
  unsigned line = 1, col = 1;
};

/// Characters allowed in %value, @function and ^label names.
bool isNameChar(char c);

} // namespace rnnc::ir

#endif // RNNC_IR_IRLEXER_H
