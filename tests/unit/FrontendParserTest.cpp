//===- tests/unit/FrontendParserTest.cpp - Lexer, parser, calling convention
//===//
#include "frontend/Frontend.h"
#include "frontend/Lexer.h"
#include "frontend/Parser.h"

#include <gtest/gtest.h>

using namespace rnnc;
using namespace rnnc::frontend;

namespace {

std::vector<TokenKind> kinds(std::string_view src) {
  std::vector<TokenKind> out;
  for (const Token &t : lex(src))
    out.push_back(t.kind);
  return out;
}

TEST(Lexer, NewlinesEndStatementsExceptInsideBrackets) {
  using K = TokenKind;
  EXPECT_EQ(kinds("a = f(b,\n c)\nd"),
            (std::vector<K>{K::Ident, K::Equal, K::Ident, K::LParen, K::Ident,
                            K::Comma, K::Ident, K::RParen, K::Newline, K::Ident,
                            K::Eof}));
  EXPECT_EQ(kinds("x -> 2e-3 # comment\n"),
            (std::vector<K>{K::Ident, K::Arrow, K::Float, K::Newline, K::Eof}));
  // A number running into letters is one bad token, not two good ones.
  EXPECT_EQ(kinds("3x"), (std::vector<K>{K::Error, K::Eof}));
}

TEST(Lexer, TracksLinesAndColumns) {
  auto toks = lex("a\n  bb = 1");
  ASSERT_GE(toks.size(), 5u);
  EXPECT_EQ(toks[2].text, "bb");
  EXPECT_EQ(toks[2].line, 2u);
  EXPECT_EQ(toks[2].col, 3u);
  EXPECT_EQ(toks[3].col, 6u);
}

Program parse(const std::string &src, ir::Diagnostics &diags) {
  Program p;
  auto file = diags.addSource("t.rnn", src);
  parseSource(file, src, p, diags);
  return p;
}

TEST(Parser, MatmulBindsLikeMultiplication) {
  ir::Diagnostics diags;
  Program p = parse("cell c(x: [I]) -> h: [H] {\n"
                    "  h = tanh(W @ x + U @ h + b) * -z / 2\n}\n",
                    diags);
  ASSERT_FALSE(diags.hasErrors()) << diags.str();
  ASSERT_EQ(p.cells.size(), 1u);
  EXPECT_EQ(exprToString(*p.cells[0].body[0].value),
            "((tanh((((W @ x) + (U @ h)) + b)) * -z) / 2)");
}

TEST(Parser, ParamGroupsShareShapesAndInitialValues) {
  ir::Diagnostics diags;
  Program p = parse("cell c(x: [I]) -> h: [H] {\n"
                    "  param a, b: [H] = -1, w: [2*H + 1, I]\n  h = x\n}\n",
                    diags);
  ASSERT_FALSE(diags.hasErrors()) << diags.str();
  const auto &params = p.cells[0].params;
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0].name, "a");
  EXPECT_EQ(params[1].name, "b");
  EXPECT_EQ(*params[1].init, -1.0);
  EXPECT_EQ(shapeToString(params[1].shape), "[H]");
  EXPECT_FALSE(params[2].init.has_value());
  EXPECT_EQ(shapeToString(params[2].shape), "[(2*H + 1), I]");
}

TEST(Parser, RecoversAndReportsEachBadStatement) {
  ir::Diagnostics diags;
  Program p = parse("model m {\n  a = 1 +\n  b = * 2\n  c = 2\n}\n", diags);
  EXPECT_EQ(diags.errorCount(), 2u) << diags.str();
  ASSERT_EQ(p.models.size(), 1u);
  // The good statement after the bad ones is kept.
  ASSERT_EQ(p.models[0].stmts.size(), 1u);
  EXPECT_EQ(p.models[0].stmts[0].assign.targets[0], "c");
}

TEST(Parser, DeepNestingIsAnErrorNotAStackOverflow) {
  ir::Diagnostics diags;
  std::string src = "model m {\n  y = " + std::string(200000, '(') + "x\n}\n";
  parse(src, diags);
  ASSERT_TRUE(diags.hasErrors());
  EXPECT_NE(diags.str().find("nesting is too deep"), std::string::npos);
}

TEST(CallingConvention, ArgumentsComeInRoleOrder) {
  ir::Diagnostics diags;
  auto lowered = compileSource("t.rnn",
                               "model m(C = 3) {\n"
                               "  input x: seq[f32[2]]\n"
                               "  h = gru(x, H=4)\n"
                               "  target y: token[C]\n"
                               "  g = lstm(h, H=5)\n"
                               "  loss cross_entropy(linear(last(g), C), y)\n"
                               "  output g\n}\n",
                               {}, diags);
  ASSERT_TRUE(lowered) << diags.str();
  const ModelInfo &info = lowered->models[0];
  std::vector<std::string> names, roles;
  for (const SlotInfo &a : info.args) {
    names.push_back(a.name);
    roles.push_back(a.role);
  }
  std::vector<std::string> wantPrefix{"x",    "lengths", "y",   "h.h0",
                                      "g.h0", "g.c0",    "h.Wr"};
  ASSERT_GE(names.size(), wantPrefix.size());
  EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 7),
            wantPrefix);
  EXPECT_EQ(names.back(), "linear_1.bias");
  for (size_t i = 6; i < roles.size(); ++i)
    EXPECT_EQ(roles[i], "param") << names[i];
  // Function arguments carry the same names and role attributes.
  const ir::Function &fn = *lowered->module->functions()[0];
  ASSERT_EQ(fn.numArgs(), info.args.size());
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    EXPECT_EQ(fn.arg(i)->name(), info.args[i].name);
    EXPECT_EQ(std::get<std::string>(fn.argAttrs(i).at("role")),
              info.args[i].role);
  }
  // Results: loss, outputs, final states in state-argument order.
  std::vector<std::string> results;
  for (const SlotInfo &r : info.results)
    results.push_back(r.name);
  EXPECT_EQ(results,
            (std::vector<std::string>{"loss", "g", "h.h", "g.h", "g.c"}));
  EXPECT_EQ(fn.resultTypes().size(), results.size());
}

} // namespace
