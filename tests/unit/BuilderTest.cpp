//===- tests/unit/BuilderTest.cpp - Types, builder and use lists ----------===//
#include "ir/Builder.h"
#include "ir/TypeRules.h"

#include <gtest/gtest.h>

using namespace rnnc::ir;

namespace {

TensorType f32(std::vector<Dim> dims) { return TensorType::f32(std::move(dims)); }
Dim B() { return Dim::symbolic("B"); }
Dim T() { return Dim::symbolic("T"); }
Dim N(int64_t n) { return Dim::fixed(n); }

TEST(Types, PrintsStaticAndSymbolicDims) {
  EXPECT_EQ(f32({T(), B(), N(256)}).str(), "f32[T,B,256]");
  EXPECT_EQ(TensorType::i32({B()}).str(), "i32[B]");
  EXPECT_EQ(f32({}).str(), "f32[]");
  EXPECT_EQ(f32({N(2), N(3)}).staticNumElements(), 6);
  EXPECT_EQ(f32({B(), N(3)}).staticNumElements(), -1);
}

TEST(TypeRules, BroadcastsBiasOverBatch) {
  auto dims = broadcastDims({B(), N(8)}, {N(8)});
  ASSERT_TRUE(dims);
  EXPECT_EQ(f32(*dims).str(), "f32[B,8]");
  auto bad = broadcastDims({B(), N(8)}, {N(7)});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("8 vs 7"), std::string::npos);
}

TEST(TypeRules, MatMulTransposeAndMismatch) {
  auto r = inferResultTypes(OpKind::MatMul, {f32({B(), N(4)}), f32({N(8), N(4)})},
                            {{"transpose_b", true}});
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ((*r)[0].str(), "f32[B,8]");
  auto bad = inferResultTypes(OpKind::MatMul,
                              {f32({B(), N(4)}), f32({N(8), N(5)})},
                              {{"transpose_b", true}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("contracted dims differ: 4 vs 5"),
            std::string::npos);
}

TEST(TypeRules, SplitReshapeReduce) {
  auto s = inferResultTypes(OpKind::Split, {f32({B(), N(12)})},
                            {{"axis", int64_t(-1)}, {"parts", int64_t(4)}});
  ASSERT_TRUE(s) << s.error();
  ASSERT_EQ(s->size(), 4u);
  EXPECT_EQ((*s)[3].str(), "f32[B,3]");
  auto rs = inferResultTypes(OpKind::Reshape, {f32({T(), B()})},
                             {{"shape", std::vector<int64_t>{0, 0, 1}}});
  ASSERT_TRUE(rs) << rs.error();
  EXPECT_EQ((*rs)[0].str(), "f32[T,B,1]");
  auto red = inferResultTypes(OpKind::ReduceSum, {f32({T(), B(), N(5)})},
                              {{"axes", std::vector<int64_t>{0}}});
  ASSERT_TRUE(red) << red.error();
  EXPECT_EQ((*red)[0].str(), "f32[B,5]");
}

TEST(Builder, UseListsFollowReplacement) {
  Function fn("f");
  Value *x = fn.addArg(f32({B(), N(4)}), "x");
  Value *y = fn.addArg(f32({B(), N(4)}), "y");
  Builder b(&fn.body());
  Value *s = b.add(x, y);
  Value *t = b.mul(s, x);
  b.ret({t});
  ASSERT_FALSE(b.failed()) << b.firstError();
  EXPECT_EQ(x->uses().size(), 2u);
  s->replaceAllUsesWith(y);
  EXPECT_FALSE(s->hasUses());
  EXPECT_EQ(t->definingOp()->operand(0), y);
  fn.body().erase(s->definingOp());
  EXPECT_EQ(x->uses().size(), 1u);
  EXPECT_EQ(fn.resultTypes()[0].str(), "f32[B,4]");
}

TEST(Builder, TypingFailureIsRecordedNotFatal) {
  Function fn("f");
  Value *x = fn.addArg(f32({B(), N(4)}), "x");
  Value *w = fn.addArg(f32({N(8), N(3)}), "w");
  Builder b(&fn.body());
  Value *bad = b.matmul(x, w, false, true);
  EXPECT_EQ(bad, nullptr);
  EXPECT_EQ(b.tanh(bad), nullptr);
  EXPECT_TRUE(b.failed());
  EXPECT_NE(b.firstError().find("'matmul' op contracted dims differ"),
            std::string::npos);
}

TEST(Builder, ScanTypesFromBody) {
  Function fn("rnn");
  Value *xs = fn.addArg(f32({T(), B(), N(3)}), "xs");
  Value *h0 = fn.addArg(f32({B(), N(5)}), "h0");
  Value *w = fn.addArg(f32({N(5), N(3)}), "W");
  Value *u = fn.addArg(f32({N(5), N(5)}), "U");
  Value *len = fn.addArg(TensorType::i32({B()}), "len");
  Builder b(&fn.body());
  Operation *scan = b.scan(
      {xs}, {h0}, {w, u}, len, /*reverse=*/true,
      [](Builder &in, const std::vector<Value *> &x,
         const std::vector<Value *> &h, const std::vector<Value *> &cap) {
        Value *a = in.add(in.matmul(x[0], cap[0], false, true),
                          in.matmul(h[0], cap[1], false, true));
        Value *hn = in.tanh(a);
        return Builder::ScanBodyResult{{hn}, {hn}};
      });
  ASSERT_NE(scan, nullptr) << b.firstError();
  ASSERT_EQ(scan->numResults(), 2u);
  EXPECT_EQ(scan->result(0)->type().str(), "f32[T,B,5]");
  EXPECT_EQ(scan->result(1)->type().str(), "f32[B,5]");
  ScanLayout l = scanLayout(*scan);
  EXPECT_TRUE(l.reverse);
  EXPECT_TRUE(l.hasLengths);
  EXPECT_EQ(l.lengthsIndex(), 4u);
  EXPECT_EQ(scan->region()->numArgs(), 4u);
  EXPECT_EQ(scan->region()->arg(0)->type().str(), "f32[B,3]");
}

} // namespace
