//===- tests/unit/TextCorpusTest.cpp - Char vocabulary, corpus, TBPTT -----===//
//
// CharVocab round trips, TextCorpus splitting and its file errors, and the
// TbpttStream layout checked against the formula written out in the test
// (lane b of window w starts at id b*L + w*T).
//
//===----------------------------------------------------------------------===//
#include "runtime/TextCorpus.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace rnnc;

namespace {

std::string tempPath(const std::string &name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("rnnc-textcorpus-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

std::string writeFile(const std::string &name, const std::string &text) {
  std::string path = tempPath(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

} // namespace

TEST(TextCorpusTest, VocabIsSortedDistinctBytes) {
  CharVocab v = CharVocab::fromText("hello world\n");
  EXPECT_EQ(v.size(), 9); // \n ' ' d e h l o r w
  EXPECT_EQ(v.id('\n'), 0);
  EXPECT_EQ(v.id(' '), 1);
  EXPECT_EQ(v.id('w'), 8);
  EXPECT_EQ(v.id('z'), -1);
  EXPECT_EQ(v.decode(4), "h");
  EXPECT_EQ(v.decode(9), "");
  auto ids = v.encode("low\n");
  ASSERT_TRUE(ids) << ids.error();
  EXPECT_EQ(*ids, (std::vector<int32_t>{5, 6, 8, 0}));
  EXPECT_EQ(v.decode(*ids), "low\n");
  CharVocab empty;
  EXPECT_EQ(empty.size(), 0);
  EXPECT_EQ(empty.id('a'), -1);
  EXPECT_FALSE(empty.encode("a"));
}

TEST(TextCorpusTest, VocabSerializeRoundTrip) {
  // UTF-8 "é" is two bytes, each its own symbol.
  std::string text = "caf\xc3\xa9 \"q\"\n";
  CharVocab v = CharVocab::fromText(text);
  std::string s = v.serialize();
  EXPECT_EQ(s, "bytes:0a202261636671a9c3");
  auto back = CharVocab::parse(s);
  ASSERT_TRUE(back) << back.error();
  EXPECT_TRUE(*back == v);
  EXPECT_EQ(back->decode(*back->encode(text)), text);

  for (const char *bad : {"0a20", "bytes:", "bytes:0a2", "bytes:0g",
                          "bytes:2020", "bytes:200a"})
    EXPECT_FALSE(CharVocab::parse(bad)) << bad;
}

TEST(TextCorpusTest, EncodeNamesUnknownCharacter) {
  CharVocab v = CharVocab::fromText("ab\n");
  auto r = v.encode("ab\nbaz");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("'z' (0x7a) at offset 5 (line 2)"),
            std::string::npos)
      << r.error();
}

TEST(TextCorpusTest, LoadSplitsTrainAndVal) {
  std::string text = "abcdefghijklmnopqrst"; // 20 bytes
  std::string path = writeFile("corpus.txt", text);
  auto c = TextCorpus::load(path, 0.25);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->vocab.size(), 20);
  EXPECT_EQ(c->vocab.decode(c->train), "abcdefghijklmno");
  EXPECT_EQ(c->vocab.decode(c->val), "pqrst");
  auto all = TextCorpus::load(path, 0);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->train.size(), 20u);
  EXPECT_TRUE(all->val.empty());
}

TEST(TextCorpusTest, LoadErrorsNameTheFile) {
  std::string missing = tempPath("no-such-file.txt");
  auto r = TextCorpus::load(missing);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(missing), std::string::npos) << r.error();

  std::string empty = writeFile("empty.txt", "");
  r = TextCorpus::load(empty);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(empty + ": file is empty"), std::string::npos);

  std::string tiny = writeFile("tiny.txt", "abc");
  r = TextCorpus::load(tiny, 0.1);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find(tiny + ": too small"), std::string::npos)
      << r.error();

  r = TextCorpus::load(std::filesystem::path(tiny).parent_path().string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("is a directory"), std::string::npos);
}

TEST(TextCorpusTest, TbpttLanesAreContiguousAndContinue) {
  // ids 0..N-1, so a value is its own position in the stream.
  const int64_t n = 101, B = 3, T = 4;
  std::vector<int32_t> ids(n);
  for (int64_t k = 0; k < n; ++k)
    ids[k] = static_cast<int32_t>(k);
  auto s = TbpttStream::create(&ids, B, T);
  ASSERT_TRUE(s) << s.error();
  const int64_t W = (n - 1) / (B * T); // 8 windows, lanes of 32 ids
  const int64_t L = W * T;
  EXPECT_EQ(s->windowsPerEpoch(), W);
  for (int64_t call = 0; call < 2 * W + 3; ++call) {
    TbpttStream::Batch bt = s->next();
    int64_t w = call % W;
    ASSERT_EQ(bt.x.shape(), (std::vector<int64_t>{T, B}));
    ASSERT_EQ(bt.y.shape(), (std::vector<int64_t>{T, B}));
    EXPECT_EQ(bt.lengths.i32Vec(), std::vector<int32_t>(B, T));
    EXPECT_EQ(bt.epochStart, w == 0) << "call " << call;
    for (int64_t t = 0; t < T; ++t)
      for (int64_t b = 0; b < B; ++b) {
        EXPECT_EQ(bt.x.i32Vec()[t * B + b], b * L + w * T + t);
        EXPECT_EQ(bt.y.i32Vec()[t * B + b], bt.x.i32Vec()[t * B + b] + 1);
      }
  }
  EXPECT_EQ(s->position(), 2 * W + 3);
  EXPECT_EQ(s->epoch(), 2);
}

TEST(TextCorpusTest, TbpttSeekContinuesIdentically) {
  std::vector<int32_t> ids(250);
  for (size_t k = 0; k < ids.size(); ++k)
    ids[k] = static_cast<int32_t>((k * 7919) % 61);
  TbpttStream a(&ids, 4, 5);
  for (int k = 0; k < 17; ++k)
    a.next();
  int64_t pos = a.position();
  TbpttStream b(&ids, 4, 5);
  b.seek(pos);
  for (int k = 0; k < 30; ++k) {
    auto x = a.next(), y = b.next();
    EXPECT_EQ(x.x.i32Vec(), y.x.i32Vec());
    EXPECT_EQ(x.y.i32Vec(), y.y.i32Vec());
    EXPECT_EQ(x.epochStart, y.epochStart);
  }
}

TEST(TextCorpusTest, TbpttTooSmallIsAnError) {
  std::vector<int32_t> ids(12); // B*T = 12 needs 13
  auto s = TbpttStream::create(&ids, 3, 4);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("12 ids"), std::string::npos) << s.error();
  EXPECT_NE(s.error().find("at least 13"), std::string::npos);
  EXPECT_FALSE(TbpttStream(&ids, 3, 4).valid());
  ids.push_back(0);
  EXPECT_TRUE(TbpttStream::create(&ids, 3, 4));
  EXPECT_FALSE(TbpttStream::create(&ids, 0, 4));
}

TEST(TextCorpusTest, TinyShakespeareSmoke) {
  std::string path =
      std::string(RNNC_SOURCE_DIR) + "/../shared/data/tinyshakespeare.txt";
  if (!std::filesystem::exists(path))
    GTEST_SKIP() << path << " not present";
  auto c = TextCorpus::load(path, 0.1);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->vocab.size(), 65); // as the data README states
  EXPECT_EQ(c->train.size() + c->val.size(), 1115394u);
  EXPECT_EQ(c->val.size(), 111539u);
  EXPECT_EQ(c->vocab.decode(std::vector<int32_t>(c->train.begin(),
                                                 c->train.begin() + 14)),
            "First Citizen:");
  auto s = TbpttStream::create(&c->train, 32, 64);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->windowsPerEpoch(), (1003855 - 1) / (32 * 64));
}
