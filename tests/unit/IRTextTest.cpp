//===- tests/unit/IRTextTest.cpp - Printer, parser and verifier -----------===//
//
// Round trips of Builder-made IR through the textual form, naming rules,
// locations, and the parser's and verifier's behaviour on bad input.
//
//===----------------------------------------------------------------------===//
#include "ir/Builder.h"
#include "ir/Parser.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace rnnc::ir;

namespace {

TensorType f32(std::vector<Dim> dims) {
  return TensorType::f32(std::move(dims));
}
Dim B() { return Dim::symbolic("B"); }
Dim T() { return Dim::symbolic("T"); }
Dim N(int64_t n) { return Dim::fixed(n); }

/// A reverse RNN with lengths, built with the Builder: every scan group used.
std::unique_ptr<Module> buildRnn() {
  auto module = std::make_unique<Module>();
  Function *fn = module->addFunction(std::make_unique<Function>("rnn"));
  Value *xs = fn->addArg(f32({T(), B(), N(3)}), "xs");
  Value *h0 = fn->addArg(f32({B(), N(5)}), "h0");
  Value *w = fn->addArg(f32({N(5), N(3)}), "W", {{"param", true}});
  Value *u = fn->addArg(f32({N(5), N(5)}), "U", {{"param", true}});
  Value *len = fn->addArg(TensorType::i32({B()}), "len");
  Builder b(&fn->body());
  Value *proj = b.matmul(xs, w, false, true);
  Operation *scan =
      b.scan({proj}, {h0}, {u}, len, /*reverse=*/true,
             [](Builder &inner, const std::vector<Value *> &steps,
                const std::vector<Value *> &carries,
                const std::vector<Value *> &captures) {
               Value *rec = inner.matmul(carries[0], captures[0], false, true);
               Value *h = inner.tanh(inner.add(steps[0], rec));
               h->setName("hn");
               return Builder::ScanBodyResult{{h}, {h}};
             });
  EXPECT_TRUE(scan) << b.firstError();
  b.ret(scan->results());
  EXPECT_FALSE(b.failed()) << b.firstError();
  return module;
}

std::unique_ptr<Module> parse(const std::string &text, Diagnostics &diags) {
  return parseModule(text, "test.ir", diags);
}

TEST(IRText, BuilderScanRoundTripsIdentically) {
  auto module = buildRnn();
  Diagnostics diags;
  ASSERT_TRUE(verifyModule(*module, diags)) << diags.str();
  std::string first = toString(*module);
  auto parsed = parse(first, diags);
  ASSERT_TRUE(parsed) << diags.str();
  EXPECT_EQ(toString(*parsed), first);

  // The parsed scan has the structure the Builder made, not just the text.
  Function *fn = parsed->lookup("rnn");
  ASSERT_TRUE(fn);
  EXPECT_EQ(fn->numArgs(), 5u);
  EXPECT_EQ(std::get<bool>(fn->argAttrs(2).at("param")), true);
  Operation *scan = nullptr;
  fn->walk([&](Operation *op) {
    if (op->kind() == OpKind::Scan)
      scan = op;
  });
  ASSERT_TRUE(scan);
  ScanLayout layout = scanLayout(*scan);
  EXPECT_EQ(layout.numSeq, 1u);
  EXPECT_EQ(layout.numCarry, 1u);
  EXPECT_EQ(layout.numCapture, 1u);
  EXPECT_TRUE(layout.hasLengths);
  EXPECT_TRUE(layout.reverse);
  ASSERT_EQ(scan->numRegions(), 1u);
  EXPECT_EQ(scan->region()->numArgs(), 3u);
  EXPECT_EQ(scan->region()->arg(0)->type().str(), "f32[B,5]");
  EXPECT_EQ(scan->result(0)->type().str(), "f32[T,B,5]");
  EXPECT_EQ(scan->result(1)->type().str(), "f32[B,5]");
  EXPECT_EQ(fn->returnOp()->operand(0), scan->result(0));
}

TEST(IRText, NamesAreUniquedAndSanitized) {
  Module module;
  Function *fn = module.addFunction(std::make_unique<Function>("f"));
  Value *x = fn->addArg(f32({N(2)}), "enc/Wi");
  Builder b(&fn->body());
  Value *a = b.tanh(x);
  a->setName("h");
  Value *c = b.tanh(a);
  c->setName("h");
  Value *d = b.tanh(c);
  d->setName("h.1");
  Value *e = b.tanh(d);
  e->setName("42"); // all digits: treated as unnamed
  b.ret({e});
  std::string text = toString(module);
  EXPECT_NE(text.find("%enc_Wi: f32[2]"), std::string::npos) << text;
  EXPECT_NE(text.find("%h = tanh(%enc_Wi)"), std::string::npos) << text;
  EXPECT_NE(text.find("%h.1 = tanh(%h)"), std::string::npos) << text;
  EXPECT_NE(text.find("%h.1.1 = tanh(%h.1)"), std::string::npos) << text;
  EXPECT_NE(text.find("%0 = tanh(%h.1.1)"), std::string::npos) << text;
  Diagnostics diags;
  auto parsed = parse(text, diags);
  ASSERT_TRUE(parsed) << diags.str();
  EXPECT_EQ(toString(*parsed), text);
}

TEST(IRText, DenseFloatsRoundTripExactly) {
  std::vector<double> values = {
      0.1, -0.0, 1e-310, 3.4028234663852886e38, -1.0 / 3.0, 5e-324};
  Module module;
  Function *fn = module.addFunction(std::make_unique<Function>("f"));
  Builder b(&fn->body());
  Value *c = b.constantDense(f32({N(2), N(3)}), values);
  ASSERT_TRUE(c) << b.firstError();
  b.ret({c});
  Diagnostics diags;
  auto parsed = parse(toString(module), diags);
  ASSERT_TRUE(parsed) << diags.str();
  const Operation *op = parsed->functions()[0]->body().ops().front().get();
  const DenseFloats *dense = op->getDense("values");
  ASSERT_TRUE(dense);
  ASSERT_EQ(dense->values.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(dense->values[i], values[i]) << i;
    EXPECT_EQ(std::signbit(dense->values[i]), std::signbit(values[i])) << i;
  }
}

TEST(IRText, ParserRecordsLocations) {
  Diagnostics diags;
  auto module = parse("func @f(%a: f32[B]) -> (f32[B]) {\n"
                      "  %t = tanh(%a) : f32[B]\n"
                      "    return(%t)\n"
                      "}\n",
                      diags);
  ASSERT_TRUE(module) << diags.str();
  const Block &body = module->functions()[0]->body();
  const Operation &tanhOp = *body.ops().front();
  EXPECT_EQ(*tanhOp.loc().file, "test.ir");
  EXPECT_EQ(tanhOp.loc().line, 2u);
  EXPECT_EQ(tanhOp.loc().col, 8u);
  EXPECT_EQ(body.ops().back()->loc().line, 3u);
  EXPECT_EQ(body.ops().back()->loc().col, 5u);
}

TEST(IRText, ParseErrorQuotesLineAndCaret) {
  Diagnostics diags;
  auto module = parse("func @f(%a: f32[B]) -> (f32[B]) {\n"
                      "  %t = tanh(%zz) : f32[B]\n"
                      "  return(%t)\n"
                      "}\n",
                      diags);
  EXPECT_FALSE(module);
  EXPECT_EQ(diags.errorCount(), 1u);
  EXPECT_EQ(diags.str(), "test.ir:2:13: error: use of undefined value '%zz'\n"
                         "  %t = tanh(%zz) : f32[B]\n"
                         "            ^\n");
}

TEST(IRText, VerifierAcceptsBuilderIR) {
  auto module = buildRnn();
  Diagnostics diags;
  EXPECT_TRUE(verifyModule(*module, diags)) << diags.str();
  EXPECT_EQ(diags.errorCount(), 0u);
}

TEST(IRText, VerifierRejectsWrongDeclaredType) {
  Module module;
  Function *fn = module.addFunction(std::make_unique<Function>("f"));
  Value *x = fn->addArg(f32({B(), N(4)}));
  Builder b(&fn->body());
  Operation *op = b.createUnchecked(OpKind::Tanh, {x}, {f32({B(), N(5)})});
  b.ret({op->result()});
  Diagnostics diags;
  EXPECT_FALSE(verifyFunction(*fn, diags));
  EXPECT_NE(
      diags.str().find(
          "'tanh' op result 0 is declared f32[B,5] but inferred f32[B,4]"),
      std::string::npos)
      << diags.str();
}

TEST(IRText, VerifierRejectsOuterValueInScanBody) {
  Module module;
  Function *fn = module.addFunction(std::make_unique<Function>("f"));
  Value *xs = fn->addArg(f32({T(), B(), N(4)}));
  Value *h0 = fn->addArg(f32({B(), N(4)}));
  Value *w = fn->addArg(f32({N(4), N(4)}));
  Builder b(&fn->body());
  // The Builder does not police isolation; the verifier must.
  Operation *scan = b.scan({xs}, {h0}, {}, nullptr, false,
                           [&](Builder &inner, const std::vector<Value *> &,
                               const std::vector<Value *> &carries,
                               const std::vector<Value *> &) {
                             Value *h = inner.matmul(carries[0], w);
                             return Builder::ScanBodyResult{{h}, {}};
                           });
  ASSERT_TRUE(scan) << b.firstError();
  b.ret(scan->results());
  Diagnostics diags;
  EXPECT_FALSE(verifyFunction(*fn, diags));
  EXPECT_NE(diags.str().find("'matmul' op operand 1: use of value defined "
                             "outside the scan body"),
            std::string::npos)
      << diags.str();
}

TEST(IRText, VerifierRejectsUseBeforeDefinitionAndMissingReturn) {
  Module module;
  Function *fn = module.addFunction(std::make_unique<Function>("f"));
  Value *x = fn->addArg(f32({N(4)}));
  Builder b(&fn->body());
  Value *t1 = b.tanh(x);
  Value *t2 = b.tanh(t1);
  // Move the second tanh in front of the first: its operand now comes later.
  Block &body = fn->body();
  auto second = body.take(t2->definingOp());
  body.insert(body.ops().begin(), std::move(second));
  Diagnostics diags;
  EXPECT_FALSE(verifyFunction(*fn, diags));
  std::string text = diags.str();
  EXPECT_NE(text.find("'tanh' op operand 0 is used before its definition"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("function '@f' body must end in 'return'"),
            std::string::npos)
      << text;
  EXPECT_EQ(diags.errorCount(), 2u);
}

TEST(IRText, VerifierChecksConstants) {
  Module module;
  Function *fn = module.addFunction(std::make_unique<Function>("f"));
  Builder b(&fn->body());
  Operation *none = b.createUnchecked(OpKind::Constant, {}, {f32({N(2)})});
  Operation *kind = b.createUnchecked(OpKind::Constant, {}, {f32({N(2)})},
                                      {{"value", std::string("x")}});
  b.ret({none->result(), kind->result()});
  Diagnostics diags;
  EXPECT_FALSE(verifyFunction(*fn, diags));
  EXPECT_EQ(diags.errorCount(), 2u) << diags.str();
  EXPECT_NE(diags.str().find("needs exactly one of 'value' or 'values'"),
            std::string::npos);
  EXPECT_NE(diags.str().find("'value' must be a number"), std::string::npos);
}

TEST(IRText, HugeSplitPartsIsAnErrorNotAnAllocation) {
  Diagnostics diags;
  auto module = parse("func @f(%a: f32[4294967296]) -> (f32[1]) {\n"
                      "  %p = split(%a) {axis = 0, parts = 4294967296} : "
                      "f32[1]\n"
                      "  return(%p)\n"
                      "}\n",
                      diags);
  EXPECT_FALSE(module);
  EXPECT_NE(diags.str().find("'split' op has 1 results but attribute 'parts' "
                             "is 4294967296"),
            std::string::npos)
      << diags.str();
}

TEST(IRText, RegionNestingIsBounded) {
  std::string text = "func @f(%a: f32[T,B]) -> () {\n";
  for (int i = 0; i < 200; ++i)
    text += "%r" + std::to_string(i) +
            " = scan(%a) {num_seq = 1, num_carry = 0, num_capture = 0} : "
            "f32[T,B] {\n^body(%x" +
            std::to_string(i) + ": f32[B]):\n";
  Diagnostics diags;
  EXPECT_FALSE(parse(text, diags));
  EXPECT_NE(diags.str().find("regions are nested too deeply"),
            std::string::npos);
}

TEST(IRText, EveryAttributeKindRoundTrips) {
  Module module;
  Function *fn = module.addFunction(std::make_unique<Function>("f"));
  AttrMap attrs{
      {"i", int64_t(-5)},
      {"big", std::numeric_limits<int64_t>::min()},
      {"f", 0.1},
      {"b", false},
      {"s", std::string("a\"b\\c")},
      {"l", std::vector<int64_t>{}},
      {"l2", std::vector<int64_t>{3, -1}},
      {"d", DenseFloats{{std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(), -0.0}}},
      {"n", std::numeric_limits<double>::quiet_NaN()}};
  Value *x = fn->addArg(f32({N(1)}), "x", attrs);
  Builder b(&fn->body());
  b.ret({x});
  std::string text = toString(module);
  Diagnostics diags;
  auto parsed = parse(text, diags);
  ASSERT_TRUE(parsed) << diags.str() << text;
  const AttrMap &got = parsed->functions()[0]->argAttrs(0);
  ASSERT_EQ(got.size(), attrs.size());
  for (const auto &[name, value] : attrs) {
    ASSERT_TRUE(got.count(name)) << name;
    if (name == "n") {
      ASSERT_TRUE(std::holds_alternative<double>(got.at(name)));
      EXPECT_TRUE(std::isnan(std::get<double>(got.at(name))));
      continue;
    }
    EXPECT_TRUE(got.at(name) == value) << name << " in " << text;
  }
  EXPECT_EQ(toString(*parsed), text);
}

TEST(IRText, CrLfLineEndingsAndCommentsParse) {
  Diagnostics diags;
  auto module = parse("// header\r\nfunc @f(%a: f32[B]) -> (f32[B]) {\r\n"
                      "  %t = tanh(%a) : f32[B] // why\r\n"
                      "  return(%t)\r\n}\r\n",
                      diags);
  ASSERT_TRUE(module) << diags.str();
  EXPECT_EQ(module->functions()[0]->body().ops().front()->loc().line, 3u);
  EXPECT_EQ(module->functions()[0]->body().ops().front()->loc().col, 8u);
}

TEST(IRText, EmptyModuleParsesAndPrintsNothing) {
  Diagnostics diags;
  auto module = parse("  // only a comment\n", diags);
  ASSERT_TRUE(module) << diags.str();
  EXPECT_TRUE(module->functions().empty());
  EXPECT_EQ(toString(*module), "");
}

/// Random byte edits of valid IR: the parser must either succeed (and then
/// the result verifies and prints to text that parses again) or fail with at
/// least one error, never crash or hang.
TEST(IRText, MutatedInputNeverCrashes) {
  std::string base = toString(*buildRnn());
  std::mt19937 rng(1234);
  const char alphabet[] = "%@^(){}[]<>,:=-.0123456789eB_xf32i\"\n \x01\xff";
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text = base;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t pos = rng() % text.size();
      switch (rng() % 3) {
      case 0:
        text[pos] = alphabet[rng() % (sizeof(alphabet) - 1)];
        break;
      case 1:
        text.erase(pos, 1 + rng() % 8);
        break;
      default:
        text.insert(pos, 1, alphabet[rng() % (sizeof(alphabet) - 1)]);
      }
    }
    Diagnostics diags;
    auto module = parse(text, diags);
    if (module) {
      EXPECT_EQ(diags.errorCount(), 0u);
      Diagnostics again;
      EXPECT_TRUE(verifyModule(*module, again)) << again.str();
      std::string printed = toString(*module);
      EXPECT_TRUE(parse(printed, again)) << again.str() << "\n" << printed;
    } else {
      EXPECT_GE(diags.errorCount(), 1u) << text;
    }
  }
}

} // namespace
