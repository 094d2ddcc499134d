//===- frontend/ParseExpr.cpp - Expressions of the .rnn language ----------===//
//
// Precedence, loosest first: '+' '-', then '*' '/' '@' (as in Python), then
// unary '-'; calls take positional and keyword arguments.
//
//===----------------------------------------------------------------------===//
#include "frontend/ParserImpl.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace rnnc::frontend::detail {

/// expr ::= additive
ExprPtr Parser::parseExpr() {
  DepthGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  return parseAdditive();
}

static ExprPtr makeBinary(char op, ExprPtr lhs, ExprPtr rhs, Location l) {
  auto e = std::make_unique<Expr>();
  e->kind = Expr::Kind::Binary;
  e->op = op;
  e->loc = std::move(l);
  e->lhs = std::move(lhs);
  e->rhs = std::move(rhs);
  e->height = 1 + std::max(e->lhs->height, e->rhs->height);
  return e;
}

/// additive ::= multiplicative (('+' | '-') multiplicative)*
ExprPtr Parser::parseAdditive() {
  ExprPtr lhs = parseMultiplicative();
  while (lhs && (is(TokenKind::Plus) || is(TokenKind::Minus))) {
    char op = is(TokenKind::Plus) ? '+' : '-';
    Location l = here();
    advance();
    ExprPtr rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, std::move(lhs), std::move(rhs), l);
    if (!heightOk(lhs->height, lhs->loc))
      return nullptr;
  }
  return lhs;
}

/// multiplicative ::= unary (('*' | '/' | '@') unary)*
ExprPtr Parser::parseMultiplicative() {
  ExprPtr lhs = parseUnary();
  while (lhs &&
         (is(TokenKind::Star) || is(TokenKind::Slash) || is(TokenKind::At))) {
    char op = is(TokenKind::Star) ? '*' : is(TokenKind::Slash) ? '/' : '@';
    Location l = here();
    advance();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = makeBinary(op, std::move(lhs), std::move(rhs), l);
    if (!heightOk(lhs->height, lhs->loc))
      return nullptr;
  }
  return lhs;
}

/// unary ::= '-' unary | primary
ExprPtr Parser::parseUnary() {
  if (is(TokenKind::Minus)) {
    DepthGuard guard(*this);
    if (!guard.ok)
      return nullptr;
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::Neg;
    e->loc = here();
    advance();
    e->lhs = parseUnary();
    if (!e->lhs)
      return nullptr;
    e->height = 1 + e->lhs->height;
    if (!heightOk(e->height, e->loc))
      return nullptr;
    return e;
  }
  return parsePrimary();
}

/// primary ::= INTEGER | FLOAT | IDENT | IDENT '(' args? ')' | '(' expr ')'
ExprPtr Parser::parsePrimary() {
  auto e = std::make_unique<Expr>();
  e->loc = here();
  if (is(TokenKind::Integer) || is(TokenKind::Float)) {
    e->kind = Expr::Kind::Number;
    e->isInteger = is(TokenKind::Integer);
    errno = 0;
    e->number = std::strtod(std::string(cur().text).c_str(), nullptr);
    if (errno == ERANGE) {
      error(here(), "number '" + std::string(cur().text) + "' is out of range");
      return nullptr;
    }
    advance();
    return e;
  }
  if (is(TokenKind::Ident)) {
    e->name = std::string(cur().text);
    advance();
    if (!is(TokenKind::LParen)) {
      e->kind = Expr::Kind::Name;
      return e;
    }
    advance();
    e->kind = Expr::Kind::Call;
    if (consumeIf(TokenKind::RParen))
      return e;
    if (!parseArgs(*e) ||
        !expect(TokenKind::RParen, "',' or ')' after the argument"))
      return nullptr;
    for (const Arg &a : e->args)
      e->height = std::max(e->height, 1 + a.value->height);
    if (!heightOk(e->height, e->loc))
      return nullptr;
    return e;
  }
  if (consumeIf(TokenKind::LParen)) {
    ExprPtr inner = parseExpr();
    if (!inner || !expect(TokenKind::RParen, "')'"))
      return nullptr;
    return inner;
  }
  if (is(TokenKind::Error) && (cur().text[0] >= '0' && cur().text[0] <= '9')) {
    error(here(), "invalid number '" + printable(cur().text) + "'");
    return nullptr;
  }
  expected("an expression");
  return nullptr;
}

/// args ::= arg (',' arg)*
/// arg  ::= (IDENT '=')? expr
bool Parser::parseArgs(Expr &call) {
  do {
    Arg a;
    if (is(TokenKind::Ident) && peek().kind == TokenKind::Equal) {
      a.keyword = std::string(cur().text);
      a.keywordLoc = here();
      advance();
      advance();
    }
    a.value = parseExpr();
    if (!a.value)
      return false;
    call.args.push_back(std::move(a));
  } while (consumeIf(TokenKind::Comma));
  return true;
}

} // namespace rnnc::frontend::detail
