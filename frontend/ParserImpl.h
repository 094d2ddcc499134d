//===- frontend/ParserImpl.h - The parser's internal class ----*- C++ -*-===//
//
// Shared by Parser.cpp (declarations, statements, shapes) and ParseExpr.cpp
// (expressions). Not part of the frontend's interface: use Parser.h.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_PARSERIMPL_H
#define RNNC_FRONTEND_PARSERIMPL_H

#include "frontend/Parser.h"

#include <algorithm>

namespace rnnc::frontend::detail {

class Parser {
public:
  Parser(std::shared_ptr<const std::string> file, std::string_view source,
         ir::Diagnostics &diags, bool isPrelude)
      : file(std::move(file)), toks(lex(source)), diags(diags),
        isPrelude(isPrelude) {}

  void parseFile(Program &program);

private:
  // --- Token helpers -------------------------------------------------------
  const Token &cur() const { return toks[pos]; }
  const Token &peek(size_t n = 1) const {
    return toks[std::min(pos + n, toks.size() - 1)];
  }
  bool is(TokenKind k) const { return cur().kind == k; }
  bool isKeyword(std::string_view kw) const {
    return is(TokenKind::Ident) && cur().text == kw;
  }
  void advance() {
    if (pos + 1 < toks.size())
      ++pos;
  }
  bool consumeIf(TokenKind k) {
    if (!is(k))
      return false;
    advance();
    return true;
  }
  Location loc(const Token &t) const { return Location{file, t.line, t.col}; }
  Location here() const { return loc(cur()); }

  bool error(const Location &l, std::string message) {
    if (!stopped)
      diags.error(l, std::move(message));
    if (++numErrors >= kMaxParseErrors && !stopped) {
      diags.note(l, "too many syntax errors; stopping here");
      stopped = true;
    }
    return false;
  }
  /// "expected X, found Y" at the current token.
  bool expected(const std::string &what) {
    std::string found;
    if (is(TokenKind::Ident) || is(TokenKind::Integer) || is(TokenKind::Float))
      found = "'" + std::string(cur().text) + "'";
    else if (is(TokenKind::Error))
      found = "invalid character '" + printable(cur().text) + "'";
    else
      found = tokenKindName(cur().kind);
    return error(here(), "expected " + what + ", found " + found);
  }
  static std::string printable(std::string_view text) {
    std::string s;
    for (char c : text) {
      unsigned char u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        static const char *hex = "0123456789abcdef";
        s += "\\x";
        s += hex[u >> 4];
        s += hex[u & 15];
      } else {
        s += c;
      }
    }
    return s;
  }
  bool expect(TokenKind k, const std::string &what) {
    if (consumeIf(k))
      return true;
    return expected(what);
  }
  bool expectIdent(std::string &name, Location &l, const std::string &what) {
    if (!is(TokenKind::Ident))
      return expected(what);
    name = std::string(cur().text);
    l = here();
    advance();
    return true;
  }
  void skipNewlines() {
    while (is(TokenKind::Newline))
      advance();
  }
  /// Skips the rest of a statement: up to (not past) a newline or '}'.
  void skipStatement() {
    while (!is(TokenKind::Eof) && !is(TokenKind::Newline) &&
           !is(TokenKind::RBrace))
      advance();
  }
  /// Skips to the next top-level declaration keyword at a line start.
  void skipToDeclaration() {
    while (!is(TokenKind::Eof)) {
      advance();
      const Token &prev = toks[pos - 1];
      if ((prev.kind == TokenKind::Newline || prev.kind == TokenKind::RBrace) &&
          (isKeyword("cell") || isKeyword("model") || isKeyword("train")))
        return;
    }
  }
  /// A statement must end here: at a newline, '}' or the end of file.
  bool endOfStatement() {
    if (is(TokenKind::Newline) || is(TokenKind::RBrace) || is(TokenKind::Eof))
      return true;
    return expected("end of line");
  }

  // --- Grammar ---------------------------------------------------------------
  bool parseCell(Program &program);
  bool parseCellInput(CellInput &in);
  bool parseVarGroups(std::vector<VarDecl> &out);
  bool parseShape(Shape &shape);
  DimExprPtr parseDimExpr();
  DimExprPtr parseDimTerm();
  DimExprPtr parseDimAtom();
  bool parseModel(Program &program);
  bool parseModelStmt(ModelDecl &model);
  bool parseDataType(DataType &type);
  bool parseTrain(Program &program);
  bool parseAssign(Assign &assign);
  bool parseSignedNumber(double &value);
  ExprPtr parseExpr();
  ExprPtr parseAdditive();
  ExprPtr parseMultiplicative();
  ExprPtr parseUnary();
  ExprPtr parsePrimary();
  bool parseArgs(Expr &call);
  template <typename Body> bool parseBlock(const std::string &what, Body body);

  /// False (with an error at `loc`) when an expression or size tree has
  /// grown past kMaxExprHeight: a long operator chain nests no parentheses,
  /// so DepthGuard does not see it, but the walks over the tree recurse.
  bool heightOk(unsigned height, const Location &loc) {
    if (height <= kMaxExprHeight)
      return true;
    error(loc, "expression is too long (more than " +
                   std::to_string(kMaxExprHeight) +
                   " nested operations); split it into several assignments");
    return false;
  }

  /// Guards recursion: false (with an error) past kMaxNestingDepth.
  struct DepthGuard {
    Parser &p;
    bool ok;
    explicit DepthGuard(Parser &p) : p(p), ok(++p.depth <= kMaxNestingDepth) {
      if (!ok && !p.reportedDepth) {
        p.reportedDepth = true;
        p.error(p.here(), "nesting is too deep (more than " +
                              std::to_string(kMaxNestingDepth) + " levels)");
      }
    }
    ~DepthGuard() { --p.depth; }
  };

  std::shared_ptr<const std::string> file;
  std::vector<Token> toks;
  size_t pos = 0;
  ir::Diagnostics &diags;
  bool isPrelude;
  unsigned depth = 0;
  bool reportedDepth = false;
  unsigned numErrors = 0;
  bool stopped = false;
};

} // namespace rnnc::frontend::detail

#endif // RNNC_FRONTEND_PARSERIMPL_H
