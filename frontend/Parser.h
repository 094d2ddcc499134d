//===- frontend/Parser.h - Recursive-descent parser for .rnn ---*- C++ -*-===//
//
// Turns tokens into a Program. Each parse method's comment states the grammar
// rule it implements (docs/language.md collects them). On a syntax error the
// parser reports it, skips to the end of the statement and goes on, so one run
// shows several independent errors. Nesting depth is limited explicitly, so
// deeply nested input is an error, not a stack overflow.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_PARSER_H
#define RNNC_FRONTEND_PARSER_H

#include "frontend/AST.h"
#include "frontend/Lexer.h"
#include "ir/Diagnostics.h"

#include <string_view>

namespace rnnc::frontend {

/// The deepest expression or shape nesting the parser accepts.
constexpr unsigned kMaxNestingDepth = 200;
/// The most operations one expression or size may nest, counting each
/// operator of a chain such as `x + x + ... + x` as a level (the tree is
/// left-deep). The frontend walks expressions recursively; past this an
/// expression is an error rather than a stack overflow.
constexpr unsigned kMaxExprHeight = 1000;
/// After this many syntax errors the parser stops (the rest is likely noise).
constexpr unsigned kMaxParseErrors = 20;

/// Parses `source` (named `file` in locations) and appends its declarations to
/// `program`. Errors go to `diags`; `file` must already be registered there
/// with addSource if diagnostics should quote lines.
void parseSource(std::shared_ptr<const std::string> file,
                 std::string_view source, Program &program,
                 ir::Diagnostics &diags, bool isPrelude = false);

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_PARSER_H
