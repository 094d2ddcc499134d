//===- ir/Parser.cpp - Reading the textual form of IR ---------------------===//
//
// A recursive-descent parser for the grammar in docs/ir.md. It stops at the
// first error (later errors in a broken file are mostly echoes of the first)
// and reports it at the offending token. Only syntax and names are checked
// while reading; once a function is read, the verifier checks its types and
// structure, so a module returned by parseModule is always well formed.
//
// Robustness: the only recursion is into scan bodies, bounded by
// kMaxRegionDepth; attribute lists are flat; literals are range-checked.
//
//===----------------------------------------------------------------------===//
#include "ir/Parser.h"

#include "ir/IRLexer.h"
#include "ir/Verifier.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <unordered_map>

namespace rnnc::ir {

namespace {

constexpr unsigned kMaxRegionDepth = 64;
// Static dims and element counts are bounded so that shape arithmetic in the
// type rules, the interpreter and codegen cannot overflow int64.
constexpr int64_t kMaxDimSize = int64_t(1) << 32;
constexpr int64_t kMaxElements = int64_t(1) << 48;

std::string describe(const Token &t) {
  switch (t.kind) {
  case TokKind::Eof:
    return "end of file";
  case TokKind::ValueRef:
    return "'%" + t.text.substr(0, 40) + "'";
  case TokKind::FuncRef:
    return "'@" + t.text.substr(0, 40) + "'";
  case TokKind::Label:
    return "'^" + t.text.substr(0, 40) + "'";
  case TokKind::String:
    return "string \"" + t.text.substr(0, 40) + "\"";
  default:
    return "'" + t.text.substr(0, 40) + "'";
  }
}

std::string typeList(const std::vector<TensorType> &types) {
  std::string s = "(";
  for (size_t i = 0; i < types.size(); ++i)
    s += (i ? ", " : "") + types[i].str();
  return s + ")";
}

bool allDigits(const std::string &s) {
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return true;
}

class Parser {
public:
  Parser(std::string_view text, const std::string &filename, Diagnostics &diags)
      : lex(text), diags(diags) {
    file = diags.addSource(filename, std::string(text));
    tok = lex.next();
  }

  std::unique_ptr<Module> parseModule() {
    auto module = std::make_unique<Module>();
    while (tok.kind != TokKind::Eof)
      if (!parseFunction(*module))
        return nullptr;
    return module;
  }

private:
  struct Def {
    Value *value;
    Location loc;
  };
  using Scope = std::unordered_map<std::string, Def>;

  Location locOf(const Token &t) const { return Location{file, t.line, t.col}; }

  void consume() {
    if (peeked) {
      tok = std::move(*peeked);
      peeked.reset();
    } else {
      tok = lex.next();
    }
  }
  const Token &peekNext() {
    if (!peeked)
      peeked = lex.next();
    return *peeked;
  }

  bool error(const Token &t, std::string msg) {
    diags.error(locOf(t), std::move(msg));
    return false;
  }
  /// Reports that the current token is not what `expected` describes; a lexer
  /// error token reports its own message instead.
  bool unexpected(const std::string &expected) {
    if (tok.kind == TokKind::Error)
      return error(tok, tok.text);
    return error(tok, "expected " + expected + ", got " + describe(tok));
  }
  bool expect(TokKind kind, const std::string &expected) {
    if (tok.kind != kind)
      return unexpected(expected);
    consume();
    return true;
  }

  // --- Values and scopes ------------------------------------------------

  Value *lookup(const std::string &name) const {
    for (auto it = scopes.rbegin(); it != scopes.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end())
        return found->second.value;
    }
    return nullptr;
  }

  bool define(const Token &t, Value *v) {
    for (const Scope &s : scopes) {
      auto found = s.find(t.text);
      if (found != s.end()) {
        error(t, "redefinition of value '%" + t.text + "'");
        diags.note(found->second.loc, "previous definition is here");
        return false;
      }
    }
    scopes.back()[t.text] = Def{v, locOf(t)};
    if (!allDigits(t.text))
      v->setName(t.text);
    return true;
  }

  // --- Types ------------------------------------------------------------

  /// type ::= ('f32' | 'i32') '[' [dim (',' dim)*] ']'
  bool parseType(TensorType &out) {
    if (tok.kind != TokKind::Ident)
      return unexpected("a type such as f32[B,4]");
    DType dtype;
    if (tok.text == "f32")
      dtype = DType::F32;
    else if (tok.text == "i32")
      dtype = DType::I32;
    else
      return error(tok, "unknown element type '" + tok.text.substr(0, 40) +
                            "' (expected f32 or i32)");
    consume();
    if (!expect(TokKind::LBracket, "'[' after the element type"))
      return false;
    std::vector<Dim> dims;
    int64_t elements = 1;
    if (tok.kind != TokKind::RBracket) {
      while (true) {
        if (tok.kind == TokKind::Ident) {
          dims.push_back(Dim::symbolic(tok.text));
        } else if (tok.kind == TokKind::Integer) {
          int64_t n = 0;
          auto [p, ec] = std::from_chars(tok.text.data(),
                                         tok.text.data() + tok.text.size(), n);
          if (tok.text[0] == '-')
            return error(tok, "dimension size must not be negative");
          if (ec != std::errc() || n > kMaxDimSize)
            return error(tok, "dimension size " + tok.text.substr(0, 40) +
                                  " is too large");
          if (__builtin_mul_overflow(elements, n, &elements) ||
              elements > kMaxElements)
            return error(tok, "tensor type has too many elements");
          dims.push_back(Dim::fixed(n));
        } else {
          return unexpected("a dimension (a size or a symbolic name)");
        }
        consume();
        if (tok.kind == TokKind::RBracket)
          break;
        if (!expect(TokKind::Comma, "',' or ']' in the dimension list"))
          return false;
      }
    }
    consume(); // ']'
    out = TensorType(dtype, std::move(dims));
    return true;
  }

  // --- Attributes -------------------------------------------------------

  bool parseInt(int64_t &out) {
    auto [p, ec] = std::from_chars(tok.text.data(),
                                   tok.text.data() + tok.text.size(), out);
    if (ec != std::errc() || p != tok.text.data() + tok.text.size())
      return error(tok, "integer literal " + tok.text.substr(0, 40) +
                            " is out of range");
    consume();
    return true;
  }

  /// A float in a dense list or an attribute: a literal, inf, -inf or nan.
  bool parseFloat(double &out) {
    if (tok.kind == TokKind::Integer || tok.kind == TokKind::Float) {
      auto [p, ec] = std::from_chars(tok.text.data(),
                                     tok.text.data() + tok.text.size(), out);
      if (ec != std::errc() || p != tok.text.data() + tok.text.size())
        return error(tok, "float literal " + tok.text.substr(0, 40) +
                              " is out of range");
      consume();
      return true;
    }
    bool negative = false;
    Token start = tok;
    if (tok.kind == TokKind::Minus) {
      negative = true;
      consume();
    }
    if (tok.kind == TokKind::Ident && tok.text == "inf") {
      out = negative ? -std::numeric_limits<double>::infinity()
                     : std::numeric_limits<double>::infinity();
    } else if (tok.kind == TokKind::Ident && tok.text == "nan" && !negative) {
      out = std::numeric_limits<double>::quiet_NaN();
    } else {
      return negative ? error(start, "expected a number after '-'")
                      : unexpected("a number");
    }
    consume();
    return true;
  }

  /// attr-value ::= int | float | 'true' | 'false' | string
  ///              | '[' [int (',' int)*] ']' | 'dense' '<' '[' floats ']' '>'
  bool parseAttrValue(Attribute &out) {
    switch (tok.kind) {
    case TokKind::Integer: {
      int64_t v;
      if (!parseInt(v))
        return false;
      out = v;
      return true;
    }
    case TokKind::Float:
    case TokKind::Minus: {
      double v;
      if (!parseFloat(v))
        return false;
      out = v;
      return true;
    }
    case TokKind::String:
      out = tok.text;
      consume();
      return true;
    case TokKind::LBracket: {
      consume();
      std::vector<int64_t> list;
      while (tok.kind != TokKind::RBracket) {
        if (!list.empty() &&
            !expect(TokKind::Comma, "',' or ']' in the integer list"))
          return false;
        if (tok.kind != TokKind::Integer)
          return unexpected("an integer in the list");
        int64_t v;
        if (!parseInt(v))
          return false;
        list.push_back(v);
      }
      consume();
      out = std::move(list);
      return true;
    }
    case TokKind::Ident:
      if (tok.text == "true" || tok.text == "false") {
        out = tok.text == "true";
        consume();
        return true;
      }
      if (tok.text == "inf" || tok.text == "nan") {
        double v;
        if (!parseFloat(v))
          return false;
        out = v;
        return true;
      }
      if (tok.text == "dense") {
        consume();
        if (!expect(TokKind::Less, "'<' after 'dense'") ||
            !expect(TokKind::LBracket, "'[' in dense<[...]>"))
          return false;
        DenseFloats dense;
        while (tok.kind != TokKind::RBracket) {
          if (!dense.values.empty() &&
              !expect(TokKind::Comma, "',' or ']' in the dense list"))
            return false;
          double v;
          if (!parseFloat(v))
            return false;
          dense.values.push_back(v);
        }
        consume();
        if (!expect(TokKind::Greater, "'>' to close dense<[...]>"))
          return false;
        out = std::move(dense);
        return true;
      }
      return error(tok,
                   "unknown attribute value '" + tok.text.substr(0, 40) + "'");
    default:
      return unexpected("an attribute value");
    }
  }

  /// attr-dict ::= '{' [name '=' attr-value (',' name '=' attr-value)*] '}'
  bool parseAttrDict(AttrMap &out) {
    consume(); // '{'
    while (tok.kind != TokKind::RBrace) {
      if (!out.empty() &&
          !expect(TokKind::Comma, "',' or '}' in the attribute list"))
        return false;
      if (tok.kind != TokKind::Ident)
        return unexpected("an attribute name");
      Token name = tok;
      consume();
      if (!expect(TokKind::Equal, "'=' after the attribute name"))
        return false;
      Attribute value;
      if (!parseAttrValue(value))
        return false;
      if (out.count(name.text))
        return error(name, "duplicate attribute '" + name.text + "'");
      out[name.text] = std::move(value);
    }
    consume();
    return true;
  }

  // --- Ops and blocks ---------------------------------------------------

  /// Parses ops up to the closing '}' of a block, which it consumes.
  /// `terminator` is the op a well-formed block must end with.
  bool parseBlockOps(Block &block, unsigned depth, std::string_view terminator,
                     const std::string &what) {
    while (tok.kind != TokKind::RBrace) {
      if (tok.kind == TokKind::Eof)
        return error(tok, "unterminated " + what + ": expected '}'");
      if (!parseOp(block, depth))
        return false;
    }
    Operation *last = block.empty() ? nullptr : block.ops().back().get();
    if (!last || last->name() != terminator)
      return error(tok, "missing terminator: " + what + " must end in '" +
                            std::string(terminator) + "'");
    consume();
    return true;
  }

  /// region ::= '{' label '(' [arg (',' arg)*] ')' ':' op* '}'
  bool parseRegion(Operation &op, unsigned depth) {
    if (depth >= kMaxRegionDepth)
      return error(tok, "regions are nested too deeply");
    consume(); // '{'
    if (!expect(TokKind::Label, "a block label such as '^body'") ||
        !expect(TokKind::LParen, "'(' before the block arguments"))
      return false;
    Block *body = op.addRegion();
    scopes.emplace_back();
    while (tok.kind != TokKind::RParen) {
      if (body->numArgs() &&
          !expect(TokKind::Comma, "',' or ')' in the block arguments"))
        return false;
      if (tok.kind != TokKind::ValueRef)
        return unexpected("a block argument such as '%x'");
      Token name = tok;
      consume();
      TensorType type;
      if (!expect(TokKind::Colon, "':' after the argument name") ||
          !parseType(type) || !define(name, body->addArg(type)))
        return false;
    }
    consume();
    if (!expect(TokKind::Colon, "':' after the block arguments"))
      return false;
    if (!parseBlockOps(*body, depth + 1, "yield",
                       "body of '" + std::string(op.name()) + "'"))
      return false;
    scopes.pop_back();
    return true;
  }

  /// op ::= [value-ref (',' value-ref)* '='] op-name '(' [value-ref (','
  ///        value-ref)*] ')' [attr-dict] [':' type (',' type)*] region*
  bool parseOp(Block &block, unsigned depth) {
    std::vector<Token> resultNames;
    if (tok.kind == TokKind::ValueRef) {
      while (true) {
        resultNames.push_back(tok);
        consume();
        if (tok.kind != TokKind::Comma)
          break;
        consume();
        if (tok.kind != TokKind::ValueRef)
          return unexpected("a result name such as '%x'");
      }
      if (!expect(TokKind::Equal, "'=' after the result names"))
        return false;
    }
    if (tok.kind != TokKind::Ident)
      return unexpected("an op name");
    Token opTok = tok;
    std::optional<OpKind> kind = lookupOpKind(tok.text);
    if (!kind)
      return error(tok, "unknown op '" + tok.text.substr(0, 40) + "'");
    consume();
    if (!expect(TokKind::LParen, "'(' after the op name"))
      return false;
    std::vector<Value *> operands;
    while (tok.kind != TokKind::RParen) {
      if (!operands.empty() &&
          !expect(TokKind::Comma, "',' or ')' in the operand list"))
        return false;
      if (tok.kind != TokKind::ValueRef)
        return unexpected("an operand such as '%x'");
      Value *v = lookup(tok.text);
      if (!v)
        return error(tok, "use of undefined value '%" + tok.text + "'");
      operands.push_back(v);
      consume();
    }
    consume();
    AttrMap attrs;
    if (tok.kind == TokKind::LBrace && peekNext().kind != TokKind::Label &&
        !parseAttrDict(attrs))
      return false;
    std::vector<TensorType> types;
    Token typesTok = tok;
    if (tok.kind == TokKind::Colon) {
      consume();
      typesTok = tok;
      while (true) {
        TensorType t;
        if (!parseType(t))
          return false;
        types.push_back(std::move(t));
        if (tok.kind != TokKind::Comma)
          break;
        consume();
      }
    }
    if (types.size() != resultNames.size())
      return error(typesTok, "'" + opTok.text + "' op has " +
                                 std::to_string(resultNames.size()) +
                                 " result name(s) but " +
                                 std::to_string(types.size()) +
                                 " result type(s)");
    auto op = std::make_unique<Operation>(*kind, operands, types,
                                          std::move(attrs), locOf(opTok));
    while (tok.kind == TokKind::LBrace)
      if (!parseRegion(*op, depth))
        return false;
    for (size_t i = 0; i < resultNames.size(); ++i)
      if (!define(resultNames[i], op->result(static_cast<unsigned>(i))))
        return false;
    block.append(std::move(op));
    return true;
  }

  // --- Functions --------------------------------------------------------

  /// function ::= 'func' func-ref '(' [arg (',' arg)*] ')' '->' results
  ///              '{' op* '}'
  /// arg ::= value-ref ':' type [attr-dict]
  /// results ::= '(' [type (',' type)*] ')' | type
  bool parseFunction(Module &module) {
    if (tok.kind != TokKind::Ident || tok.text != "func")
      return unexpected("'func'");
    Token funcTok = tok;
    consume();
    if (tok.kind != TokKind::FuncRef)
      return unexpected("a function name such as '@forward'");
    Token nameTok = tok;
    if (module.lookup(tok.text))
      return error(tok, "redefinition of function '@" + tok.text + "'");
    consume();
    auto fn = std::make_unique<Function>(nameTok.text, locOf(funcTok));
    scopes.clear();
    scopes.emplace_back();
    if (!expect(TokKind::LParen, "'(' before the function arguments"))
      return false;
    while (tok.kind != TokKind::RParen) {
      if (fn->numArgs() &&
          !expect(TokKind::Comma, "',' or ')' in the function arguments"))
        return false;
      if (tok.kind != TokKind::ValueRef)
        return unexpected("an argument such as '%x'");
      Token name = tok;
      consume();
      TensorType type;
      if (!expect(TokKind::Colon, "':' after the argument name") ||
          !parseType(type))
        return false;
      AttrMap attrs;
      if (tok.kind == TokKind::LBrace && !parseAttrDict(attrs))
        return false;
      if (!define(name, fn->addArg(type, {}, std::move(attrs))))
        return false;
    }
    consume();
    if (!expect(TokKind::Arrow, "'->' before the result types"))
      return false;
    std::vector<TensorType> results;
    Token resultsTok = tok;
    if (tok.kind == TokKind::LParen) {
      consume();
      while (tok.kind != TokKind::RParen) {
        if (!results.empty() &&
            !expect(TokKind::Comma, "',' or ')' in the result types"))
          return false;
        TensorType t;
        if (!parseType(t))
          return false;
        results.push_back(std::move(t));
      }
      consume();
    } else {
      TensorType t;
      if (!parseType(t))
        return false;
      results.push_back(std::move(t));
    }
    if (tok.kind != TokKind::LBrace)
      return unexpected("'{' to open the function body");
    consume();
    if (!parseBlockOps(fn->body(), 0, "return",
                       "body of function '@" + nameTok.text + "'"))
      return false;
    // Types are checked before the declared results, so a mistyped op is
    // reported at the op rather than as a confusing return mismatch.
    if (!verifyFunction(*fn, diags))
      return false;
    Operation *ret = fn->returnOp();
    std::vector<TensorType> returned;
    for (Value *v : ret->operands())
      returned.push_back(v->type());
    if (returned != results) {
      error(Token{TokKind::Eof, {}, ret->loc().line, ret->loc().col},
            "'return' op returns " + typeList(returned) + " but function '@" +
                nameTok.text + "' declares " + typeList(results));
      diags.note(locOf(resultsTok), "result types declared here");
      return false;
    }
    module.addFunction(std::move(fn));
    return true;
  }

  IRLexer lex;
  Diagnostics &diags;
  std::shared_ptr<const std::string> file;
  Token tok;
  std::optional<Token> peeked;
  std::vector<Scope> scopes;
};

} // namespace

std::unique_ptr<Module> parseModule(std::string_view text,
                                    const std::string &filename,
                                    Diagnostics &diags) {
  unsigned before = diags.errorCount();
  std::unique_ptr<Module> module = Parser(text, filename, diags).parseModule();
  if (!module || diags.errorCount() != before)
    return nullptr;
  return module;
}

} // namespace rnnc::ir
