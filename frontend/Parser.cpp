//===- frontend/Parser.cpp - Recursive-descent parser for .rnn ------------===//
//
// Statements end at a newline (or at the '}' closing their block). A failed
// parse method reports one error and returns false/null; its caller skips the
// rest of the statement, so errors do not cascade.
//
//===----------------------------------------------------------------------===//
#include "frontend/ParserImpl.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>

namespace rnnc::frontend::detail {

/// file ::= (cellDecl | modelDecl | trainDecl)* EOF
void Parser::parseFile(Program &program) {
  while (!stopped) {
    skipNewlines();
    if (is(TokenKind::Eof))
      return;
    reportedDepth = false;
    bool ok;
    if (isKeyword("cell"))
      ok = parseCell(program);
    else if (isKeyword("model"))
      ok = parseModel(program);
    else if (isKeyword("train"))
      ok = parseTrain(program);
    else
      ok = expected("'cell', 'model' or 'train'");
    if (!ok)
      skipToDeclaration();
  }
}

/// block ::= '{' (statement NEWLINE)* '}'
/// Calls body() at the start of each statement; on its failure skips the
/// statement. Reports an unterminated block at the end of the file.
template <typename Body>
bool Parser::parseBlock(const std::string &what, Body body) {
  Location open = here();
  if (!expect(TokenKind::LBrace, "'{' to open the " + what))
    return false;
  while (!stopped) {
    skipNewlines();
    if (consumeIf(TokenKind::RBrace))
      return true;
    if (is(TokenKind::Eof)) {
      error(here(), "expected '}' to close the " + what);
      diags.note(open, "the block opened here");
      return true;
    }
    reportedDepth = false;
    if (!body() || !endOfStatement())
      skipStatement();
  }
  return true;
}

/// cellDecl ::= 'cell' IDENT '(' cellInput (',' cellInput)* ')'
///              '->' IDENT ':' shape block
/// cellStmt ::= 'state' varGroups | 'param' varGroups | assignment
bool Parser::parseCell(Program &program) {
  CellDecl cell;
  cell.loc = here();
  cell.fromPrelude = isPrelude;
  advance(); // 'cell'
  if (!expectIdent(cell.name, cell.loc, "a cell name after 'cell'"))
    return false;
  if (!expect(TokenKind::LParen, "'(' after the cell name"))
    return false;
  do {
    CellInput in;
    if (!parseCellInput(in))
      return false;
    cell.inputs.push_back(std::move(in));
  } while (consumeIf(TokenKind::Comma));
  if (!expect(TokenKind::RParen, "')' after the cell inputs"))
    return false;
  if (!expect(TokenKind::Arrow,
              "'->' and the cell's output, as in '-> h: [H]'"))
    return false;
  if (!expectIdent(cell.output.name, cell.output.loc, "the output's name"))
    return false;
  if (!expect(TokenKind::Colon, "':' after the output's name") ||
      !parseShape(cell.output.shape))
    return false;
  bool ok = parseBlock("body of cell '" + cell.name + "'", [&]() {
    if (isKeyword("state") && peek().kind == TokenKind::Ident) {
      advance();
      return parseVarGroups(cell.states);
    }
    if (isKeyword("param") && peek().kind == TokenKind::Ident) {
      advance();
      return parseVarGroups(cell.params);
    }
    Assign a;
    if (!parseAssign(a))
      return false;
    cell.body.push_back(std::move(a));
    return true;
  });
  program.cells.push_back(std::move(cell));
  return ok;
}

/// cellInput ::= IDENT ':' (shape | 'seq' '[' shape ']')
bool Parser::parseCellInput(CellInput &in) {
  if (!expectIdent(in.name, in.loc, "an input name"))
    return false;
  if (!expect(TokenKind::Colon, "':' after the input's name"))
    return false;
  if (isKeyword("seq")) {
    advance();
    in.isSeq = true;
    if (!expect(TokenKind::LBracket, "'[' after 'seq'") ||
        !parseShape(in.shape) ||
        !expect(TokenKind::RBracket, "']' to close 'seq['"))
      return false;
    return true;
  }
  return parseShape(in.shape);
}

/// varGroups ::= varGroup (',' varGroup)*
/// varGroup  ::= IDENT (',' IDENT)* ':' shape ('=' signedNumber)?
bool Parser::parseVarGroups(std::vector<VarDecl> &out) {
  do {
    std::vector<VarDecl> group;
    do {
      VarDecl v;
      if (!expectIdent(v.name, v.loc, "a name"))
        return false;
      group.push_back(std::move(v));
    } while (consumeIf(TokenKind::Comma));
    if (!expect(TokenKind::Colon,
                "':' and a shape after '" + group.back().name + "'"))
      return false;
    Shape shape;
    if (!parseShape(shape))
      return false;
    std::optional<double> init;
    if (consumeIf(TokenKind::Equal)) {
      double value = 0;
      if (!parseSignedNumber(value))
        return false;
      init = value;
    }
    for (VarDecl &v : group) {
      v.shape.loc = shape.loc;
      for (const DimExprPtr &d : shape.dims) {
        // Each declaration gets its own copy of the shape.
        std::function<DimExprPtr(const DimExpr &)> copy =
            [&](const DimExpr &e) {
              auto c = std::make_unique<DimExpr>();
              c->kind = e.kind;
              c->value = e.value;
              c->name = e.name;
              c->loc = e.loc;
              if (e.lhs)
                c->lhs = copy(*e.lhs);
              if (e.rhs)
                c->rhs = copy(*e.rhs);
              return c;
            };
        v.shape.dims.push_back(copy(*d));
      }
      v.init = init;
      out.push_back(std::move(v));
    }
  } while (consumeIf(TokenKind::Comma));
  return true;
}

/// signedNumber ::= '-'? (INTEGER | FLOAT)
bool Parser::parseSignedNumber(double &value) {
  bool neg = consumeIf(TokenKind::Minus);
  if (!is(TokenKind::Integer) && !is(TokenKind::Float))
    return expected("a number");
  errno = 0;
  value = std::strtod(std::string(cur().text).c_str(), nullptr);
  if (errno == ERANGE)
    return error(here(),
                 "number '" + std::string(cur().text) + "' is out of range");
  if (neg)
    value = -value;
  advance();
  return true;
}

/// shape ::= '[' (dimExpr (',' dimExpr)*)? ']'
bool Parser::parseShape(Shape &shape) {
  shape.loc = here();
  if (!expect(TokenKind::LBracket, "a shape such as '[H]'"))
    return false;
  if (consumeIf(TokenKind::RBracket))
    return true;
  do {
    DimExprPtr d = parseDimExpr();
    if (!d)
      return false;
    shape.dims.push_back(std::move(d));
  } while (consumeIf(TokenKind::Comma));
  return expect(TokenKind::RBracket, "',' or ']' in the shape");
}

/// dimExpr ::= dimTerm (('+' | '-') dimTerm)*
DimExprPtr Parser::parseDimExpr() {
  DepthGuard guard(*this);
  if (!guard.ok)
    return nullptr;
  DimExprPtr lhs = parseDimTerm();
  while (lhs && (is(TokenKind::Plus) || is(TokenKind::Minus))) {
    auto node = std::make_unique<DimExpr>();
    node->kind = is(TokenKind::Plus) ? DimExpr::Kind::Add : DimExpr::Kind::Sub;
    node->loc = lhs->loc;
    advance();
    node->lhs = std::move(lhs);
    node->rhs = parseDimTerm();
    if (!node->rhs)
      return nullptr;
    node->height = 1 + std::max(node->lhs->height, node->rhs->height);
    if (!heightOk(node->height, node->loc))
      return nullptr;
    lhs = std::move(node);
  }
  return lhs;
}

/// dimTerm ::= dimAtom ('*' dimAtom)*
DimExprPtr Parser::parseDimTerm() {
  DimExprPtr lhs = parseDimAtom();
  while (lhs && is(TokenKind::Star)) {
    advance();
    auto node = std::make_unique<DimExpr>();
    node->kind = DimExpr::Kind::Mul;
    node->loc = lhs->loc;
    node->lhs = std::move(lhs);
    node->rhs = parseDimAtom();
    if (!node->rhs)
      return nullptr;
    node->height = 1 + std::max(node->lhs->height, node->rhs->height);
    if (!heightOk(node->height, node->loc))
      return nullptr;
    lhs = std::move(node);
  }
  return lhs;
}

/// dimAtom ::= INTEGER | IDENT | '(' dimExpr ')'
DimExprPtr Parser::parseDimAtom() {
  auto node = std::make_unique<DimExpr>();
  node->loc = here();
  if (is(TokenKind::Integer)) {
    errno = 0;
    long long v = std::strtoll(std::string(cur().text).c_str(), nullptr, 10);
    if (errno == ERANGE || v > (1LL << 40)) {
      error(here(), "size '" + std::string(cur().text) + "' is too large");
      return nullptr;
    }
    node->kind = DimExpr::Kind::Int;
    node->value = v;
    advance();
    return node;
  }
  if (is(TokenKind::Ident)) {
    node->kind = DimExpr::Kind::Name;
    node->name = std::string(cur().text);
    advance();
    return node;
  }
  if (consumeIf(TokenKind::LParen)) {
    DimExprPtr inner = parseDimExpr();
    if (!inner || !expect(TokenKind::RParen, "')' in the size expression"))
      return nullptr;
    return inner;
  }
  expected("a size (an integer or a size name)");
  return nullptr;
}

/// modelDecl ::= 'model' IDENT ('(' (sizeParam (',' sizeParam)*)? ')')? block
/// sizeParam ::= IDENT ('=' INTEGER)?
bool Parser::parseModel(Program &program) {
  ModelDecl model;
  model.loc = here();
  advance(); // 'model'
  if (!expectIdent(model.name, model.loc, "a model name after 'model'"))
    return false;
  // The size parameter list is optional: `model m { ... }`.
  bool hasSizes = is(TokenKind::LParen);
  if (hasSizes)
    advance();
  if (hasSizes && !is(TokenKind::RParen)) {
    do {
      SizeParam s;
      if (!expectIdent(s.name, s.loc, "a size parameter name"))
        return false;
      if (consumeIf(TokenKind::Equal)) {
        if (!is(TokenKind::Integer))
          return expected("an integer default for size '" + s.name + "'");
        errno = 0;
        long long v =
            std::strtoll(std::string(cur().text).c_str(), nullptr, 10);
        if (errno == ERANGE || v > (1LL << 40))
          return error(here(),
                       "size '" + std::string(cur().text) + "' is too large");
        s.defaultValue = v;
        advance();
      }
      model.sizes.push_back(std::move(s));
    } while (consumeIf(TokenKind::Comma));
  }
  if (hasSizes &&
      !expect(TokenKind::RParen, "',' or ')' after the size parameters"))
    return false;
  bool ok = parseBlock("body of model '" + model.name + "'",
                       [&]() { return parseModelStmt(model); });
  program.models.push_back(std::move(model));
  return ok;
}

/// modelStmt ::= 'input' IDENT ':' dataType | 'target' IDENT ':' dataType
///             | 'loss' expr | 'output' expr | assignment
bool Parser::parseModelStmt(ModelDecl &model) {
  ModelStmt s;
  s.loc = here();
  // Keywords are contextual: `loss = ...` still assigns a value named loss.
  bool keyword =
      peek().kind != TokenKind::Equal && peek().kind != TokenKind::Comma;
  if (keyword && (isKeyword("input") || isKeyword("target"))) {
    s.kind =
        isKeyword("input") ? ModelStmt::Kind::Input : ModelStmt::Kind::Target;
    advance();
    Location l;
    if (!expectIdent(s.name, l, "a name"))
      return false;
    s.loc = l;
    if (!expect(TokenKind::Colon, "':' and a type such as 'seq[token[V]]'") ||
        !parseDataType(s.type))
      return false;
  } else if (keyword && (isKeyword("loss") || isKeyword("output"))) {
    s.kind =
        isKeyword("loss") ? ModelStmt::Kind::Loss : ModelStmt::Kind::Output;
    advance();
    s.expr = parseExpr();
    if (!s.expr)
      return false;
  } else {
    s.kind = ModelStmt::Kind::Assign;
    if (!parseAssign(s.assign))
      return false;
  }
  model.stmts.push_back(std::move(s));
  return true;
}

/// dataType ::= 'seq' '[' elemType (',' IDENT)? ']' | elemType
/// elemType ::= ('token' | 'f32') shape
bool Parser::parseDataType(DataType &type) {
  type.loc = here();
  bool seq = isKeyword("seq");
  if (seq) {
    advance();
    type.isSeq = true;
    if (!expect(TokenKind::LBracket, "'[' after 'seq'"))
      return false;
  }
  if (isKeyword("token"))
    type.isToken = true;
  else if (!isKeyword("f32"))
    return expected("'token[...]' or 'f32[...]'");
  advance();
  if (!parseShape(type.shape))
    return false;
  if (type.isToken && type.shape.dims.size() != 1)
    return error(type.shape.loc, "a token type has exactly one size, its "
                                 "vocabulary, as in 'token[V]'");
  if (seq && consumeIf(TokenKind::Comma)) {
    Location l;
    if (!expectIdent(type.timeName, l, "the name of the sequence's length"))
      return false;
    type.timeLoc = l;
  }
  if (seq && !expect(TokenKind::RBracket, "']' to close 'seq['"))
    return false;
  return true;
}

/// trainDecl ::= 'train' '{' (IDENT expr NEWLINE)* '}'
bool Parser::parseTrain(Program &program) {
  TrainDecl train;
  train.loc = here();
  advance(); // 'train'
  bool ok = parseBlock("train block", [&]() {
    TrainSetting s;
    if (!expectIdent(s.key, s.loc, "a setting name such as 'batch'"))
      return false;
    s.value = parseExpr();
    if (!s.value)
      return false;
    train.settings.push_back(std::move(s));
    return true;
  });
  program.trains.push_back(std::move(train));
  return ok;
}

/// assignment ::= IDENT (',' IDENT)* '=' expr
bool Parser::parseAssign(Assign &a) {
  a.loc = here();
  do {
    std::string name;
    Location l;
    if (!expectIdent(name, l, "a statement"))
      return false;
    a.targets.push_back(std::move(name));
    a.targetLocs.push_back(l);
  } while (consumeIf(TokenKind::Comma));
  if (!expect(TokenKind::Equal, "'=' in the assignment"))
    return false;
  a.value = parseExpr();
  return a.value != nullptr;
}

} // namespace rnnc::frontend::detail

namespace rnnc::frontend {

void parseSource(std::shared_ptr<const std::string> file,
                 std::string_view source, Program &program,
                 ir::Diagnostics &diags, bool isPrelude) {
  detail::Parser parser(std::move(file), source, diags, isPrelude);
  parser.parseFile(program);
}

} // namespace rnnc::frontend
