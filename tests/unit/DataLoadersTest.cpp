//===- tests/unit/DataLoadersTest.cpp - Vocab, CSV, labelled, pairs -------===//
//
// The loaders on small files written to a temp directory (contents and
// malformed inputs, whose errors must name file and line), and a smoke check
// on ../shared/data when it is next to the checkout (skipped otherwise).
//
//===----------------------------------------------------------------------===//
#include "runtime/FrameSequences.h"
#include "runtime/LabelledText.h"
#include "runtime/SentencePairs.h"
#include "runtime/TimeSeries.h"
#include "runtime/Vocab.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace rnnc;
namespace fs = std::filesystem;

namespace {

fs::path tempDir() {
  fs::path dir = fs::temp_directory_path() /
                 ("rnnc-loaders-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::string writeFile(const std::string &name, const std::string &text) {
  fs::path p = tempDir() / name;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  return p.string();
}

std::string dataDir() {
  return std::string(RNNC_SOURCE_DIR) + "/../shared/data";
}

bool contains(const std::string &haystack, const std::string &needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

//===--- Vocab ------------------------------------------------------------===//

TEST(DataLoadersTest, TokenizeWords) {
  EXPECT_EQ(tokenize("Go.  I'm  HOME!", TokenLevel::Words),
            (std::vector<std::string>{"go", ".", "i'm", "home", "!"}));
  EXPECT_EQ(tokenize("Allons-y, \xc3\xa9t\xc3\xa9", TokenLevel::Words),
            (std::vector<std::string>{"allons", "-", "y", ",",
                                      "\xc3\xa9t\xc3\xa9"}));
  EXPECT_EQ(tokenize("ab", TokenLevel::Bytes),
            (std::vector<std::string>{"a", "b"}));
}

TEST(DataLoadersTest, VocabOrderSpecialsAndRoundTrip) {
  Vocab v = Vocab::build({"b a b", "c b a", "d"}, TokenLevel::Words, 1);
  // Specials, then by count: b (3), a (2), then c, d (1 each, byte order).
  ASSERT_EQ(v.size(), 8);
  EXPECT_EQ(v.token(0), "<pad>");
  EXPECT_EQ(v.token(Vocab::Eos), "<eos>");
  EXPECT_EQ(v.id("b"), 4);
  EXPECT_EQ(v.id("a"), 5);
  EXPECT_EQ(v.id("c"), 6);
  EXPECT_EQ(v.id("d"), 7);
  EXPECT_EQ(v.id("zzz"), Vocab::Unk);
  EXPECT_EQ(v.encode("a z b"), (std::vector<int32_t>{5, Vocab::Unk, 4}));
  EXPECT_EQ(v.decode({Vocab::Bos, 5, 4, Vocab::Eos, 6}), "a b");
  EXPECT_EQ(Vocab::build({"b a b", "c b a", "d"}, TokenLevel::Words, 2).size(),
            6);

  Vocab bytes = Vocab::build({"h\xc3\xa9,\"x\""}, TokenLevel::Bytes);
  for (const Vocab *x : {&v, &bytes}) {
    std::string s = x->serialize();
    for (char c : s)
      EXPECT_TRUE(c >= 0x20 && c < 0x7f && c != '"' && c != '\\') << s;
    auto back = Vocab::parse(s);
    ASSERT_TRUE(back) << back.error();
    EXPECT_TRUE(*back == *x);
  }
  EXPECT_EQ(v.serialize(), "vocab:words:62,61,63,64");
  for (const char *bad : {"vocab:chars:61", "vocab:words:6", "vocab:words:61,",
                          "vocab:words:61,61", "words:61", "vocab:words:zz"})
    EXPECT_FALSE(Vocab::parse(bad)) << bad;
}

//===--- Time series ------------------------------------------------------===//

TEST(DataLoadersTest, CsvColumnAndWindows) {
  std::string path = writeFile("series.csv", "Month,Passengers\n"
                                             "\"1949-01\",1\n"
                                             "1949-02,2\r\n"
                                             "1949-03,3.5\n"
                                             "\n"
                                             "1949-04,4\n"
                                             "1949-05,5\n"
                                             "1949-06,6\n");
  auto byName = readCsvColumn(path, "Passengers");
  ASSERT_TRUE(byName) << byName.error();
  EXPECT_EQ(*byName, (std::vector<float>{1, 2, 3.5, 4, 5, 6}));
  auto byIndex = readCsvColumn(path, "1");
  ASSERT_TRUE(byIndex);
  EXPECT_EQ(*byIndex, *byName);

  auto w = makeWindows({0, 1, 2, 3, 4, 5, 6}, {3, 1, 2});
  ASSERT_TRUE(w);
  // Starts 0, 2 (a window needs 3 + 1 values: start 4 would need index 7).
  ASSERT_EQ(w->size(), 2u);
  EXPECT_EQ(w->examples[1].frames, (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(w->examples[1].targetFrames, (std::vector<float>{3, 4, 5}));
  auto h = makeWindows({0, 1, 2, 3, 4, 5, 6}, {2, 3, 1});
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 3u); // starts 0..2: i + 2 + 3 <= 7
  EXPECT_EQ(h->examples[2].targetFrames, (std::vector<float>{5, 6}));
  EXPECT_FALSE(makeWindows({1, 2}, {0, 1, 1}));
}

TEST(DataLoadersTest, NormalizationFitsTrainOnlyAndRoundTrips) {
  std::string csv = "t,v\n";
  for (int k = 0; k < 20; ++k)
    csv += std::to_string(k) + "," + std::to_string(k * k) + "\n";
  std::string path = writeFile("norm.csv", csv);
  auto d = loadTimeSeries(path, "v", 0.25, {4, 1, 1});
  ASSERT_TRUE(d) << d.error();
  // Train is k = 0..14: mean and population std of k^2 computed here.
  double mean = 0, sq = 0;
  for (int k = 0; k < 15; ++k)
    mean += k * k / 15.0;
  for (int k = 0; k < 15; ++k)
    sq += (k * k - mean) * (k * k - mean) / 15.0;
  EXPECT_NEAR(d->norm.mean, mean, 1e-12);
  EXPECT_NEAR(d->norm.stddev, std::sqrt(sq), 1e-12);
  ASSERT_EQ(d->train.size(), 15u);
  ASSERT_EQ(d->val.size(), 5u);
  EXPECT_NEAR(d->val[0], (225 - mean) / std::sqrt(sq), 1e-6);
  EXPECT_EQ(d->trainWindows.size(), 11u); // 15 - (4 + 1) + 1
  EXPECT_EQ(d->valWindows.size(), 1u);
  EXPECT_NEAR(d->norm.invert(d->train[3]), 9, 1e-4);

  auto back = Normalization::parse(d->norm.serialize());
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->mean, d->norm.mean); // %.17g is exact
  EXPECT_EQ(back->stddev, d->norm.stddev);
  auto again = loadTimeSeries(path, "v", 0.25, {4, 1, 1}, &*back);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->train, d->train);
  EXPECT_FALSE(Normalization::parse("zscore:mean=1,std=0"));
  EXPECT_FALSE(Normalization::parse("zscore:mean=x,std=1"));
  EXPECT_FALSE(Normalization::parse("minmax:0,1"));

  auto small = loadTimeSeries(path, "v", 0.1, {4, 1, 1});
  ASSERT_FALSE(small); // validation part of 2 values: no window
  EXPECT_TRUE(contains(small.error(), "validation part has 2 values"))
      << small.error();
}

TEST(DataLoadersTest, CsvErrorsNameFileAndLine) {
  std::string bad = writeFile("bad.csv", "a,b\n1,2\n3,x7\n");
  auto r = readCsvColumn(bad, "b");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), bad + ":3: column 'b': 'x7' is not a number"))
      << r.error();
  std::string shortRow = writeFile("short.csv", "a,b\n1,2\n3\n");
  r = readCsvColumn(shortRow, "a");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), shortRow + ":3: 1 cells")) << r.error();
  r = readCsvColumn(bad, "c");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), bad + ":1: no column 'c'")) << r.error();
  r = readCsvColumn(writeFile("header-only.csv", "a,b\n"), "a");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), "no data rows"));
  std::string empty = writeFile("empty.csv", "");
  r = readCsvColumn(empty, "a");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), empty + ": file is empty"));
  std::string missing = (tempDir() / "missing.csv").string();
  r = readCsvColumn(missing, "a");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), missing + ": cannot open")) << r.error();
}

//===--- Labelled text ----------------------------------------------------===//

TEST(DataLoadersTest, ClassDirectory) {
  writeFile("names/German.txt", "Abel\nB\xc3\xb6hm\n");
  writeFile("names/Arabic.txt", "Nader\n\nKhoury\nAsker\n");
  writeFile("names/readme.md", "not a class\n");
  std::string dir = (tempDir() / "names").string();
  auto d = loadClassDirectory(dir);
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->classes, (std::vector<std::string>{"Arabic", "German"}));
  EXPECT_EQ(d->texts, (std::vector<std::string>{"Nader", "Khoury", "Asker",
                                                "Abel", "B\xc3\xb6hm"}));
  EXPECT_EQ(d->labels, (std::vector<int32_t>{0, 0, 0, 1, 1}));
  EXPECT_TRUE(contains(d->origins[1], "Arabic.txt:3"));

  Vocab v = Vocab::build(d->texts, TokenLevel::Bytes);
  auto ex = toExamples(*d, v);
  ASSERT_TRUE(ex) << ex.error();
  EXPECT_EQ(ex->examples[4].tokens.size(), 5u); // "Böhm": ö is 2 bytes
  EXPECT_EQ(v.decode(ex->examples[4].tokens), "B\xc3\xb6hm");
  EXPECT_EQ(ex->examples[4].label, 1);

  auto missing = loadClassDirectory((tempDir() / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error(), "nope: not a directory"));
  writeFile("names2/Empty.txt", "");
  auto empty = loadClassDirectory((tempDir() / "names2").string());
  ASSERT_FALSE(empty);
  EXPECT_TRUE(contains(empty.error(), "Empty.txt: file is empty"))
      << empty.error();
}

TEST(DataLoadersTest, TabSeparated) {
  // U+0085 (NEL, bytes C2 85) inside a sentence is not a line break.
  std::string path = writeFile("sent.txt", "Great phone.\t1\n"
                                           "Bad \xc2\x85 battery.\t0\n"
                                           "Meh\t1\n");
  auto d = loadTabSeparated(path);
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->size(), 3u);
  EXPECT_EQ(d->texts[1], "Bad \xc2\x85 battery.");
  EXPECT_EQ(d->labels, (std::vector<int32_t>{1, 0, 1}));
  EXPECT_EQ(d->classes, (std::vector<std::string>{"0", "1"}));

  auto named = loadTabSeparated(writeFile("named.txt", "pos\tnice\nneg\tugh\n"),
                                /*labelFirst=*/true);
  ASSERT_TRUE(named) << named.error();
  EXPECT_EQ(named->classes, (std::vector<std::string>{"neg", "pos"}));
  EXPECT_EQ(named->labels, (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(named->texts[0], "nice");

  std::string noTab = writeFile("notab.txt", "ok\t1\nno tab here\n");
  auto r = loadTabSeparated(noTab);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), noTab + ":2: expected 'text<TAB>label'"))
      << r.error();
  std::string two = writeFile("twotabs.txt", "a\tb\t1\n");
  r = loadTabSeparated(two);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), two + ":1: more than one TAB"));
  std::string empty = writeFile("empty.tsv", "");
  r = loadTabSeparated(empty);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), empty + ": file is empty"));
  r = loadTabSeparated(tempDir().string());
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), "is a directory"));
}

//===--- Sentence pairs ---------------------------------------------------===//

TEST(DataLoadersTest, SentencePairsToSeq2Seq) {
  std::string path = writeFile("pairs.txt", "Go.\tVa !\n"
                                            "Run!\tCours !\n"
                                            "Go now.\tVa maintenant !\tCC-BY\n");
  auto p = loadSentencePairs(path);
  ASSERT_TRUE(p) << p.error();
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ(p->target[2], "Va maintenant !"); // attribution column ignored
  auto d = makeSeq2Seq(*p, TokenLevel::Words);
  ASSERT_TRUE(d) << d.error();
  const Example &e = d->examples.examples[2];
  EXPECT_EQ(d->source.decode(e.tokens), "go now .");
  ASSERT_EQ(e.decoderIn.size(), 4u);
  EXPECT_EQ(e.decoderIn.front(), Vocab::Bos);
  EXPECT_EQ(e.decoderOut.back(), Vocab::Eos);
  // decoderOut is decoderIn shifted left by one.
  for (size_t k = 0; k + 1 < e.decoderIn.size(); ++k)
    EXPECT_EQ(e.decoderOut[k], e.decoderIn[k + 1]);
  EXPECT_EQ(d->target.decode(e.decoderOut), "va maintenant !");
  auto shortOnly = makeSeq2Seq(*p, TokenLevel::Words, 1, 2);
  ASSERT_TRUE(shortOnly);
  EXPECT_EQ(shortOnly->examples.size(), 2u); // "go now ." has 3 tokens

  auto batch = makeBatch(d->examples, {0, 2});
  ASSERT_TRUE(batch) << batch.error();
  EXPECT_EQ(batch->lengths.i32Vec(), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(batch->decoderLengths.i32Vec(), (std::vector<int32_t>{3, 4}));

  std::string bad = writeFile("badpairs.txt", "Go.\tVa !\nHello\n");
  auto r = loadSentencePairs(bad);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), bad + ":2: expected 'source<TAB>target'"))
      << r.error();
  std::string emptySide = writeFile("emptyside.txt", "\tVa !\n");
  r = loadSentencePairs(emptySide);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), emptySide + ":1: empty source"));
}

//===--- The real data ----------------------------------------------------===//

TEST(DataLoadersTest, SharedDataSmoke) {
  if (!fs::exists(dataDir()))
    GTEST_SKIP() << dataDir() << " not present";
  auto air = readCsvColumn(dataDir() + "/timeseries/airline-passengers.csv",
                           "Passengers");
  ASSERT_TRUE(air) << air.error();
  EXPECT_EQ(air->size(), 144u);
  EXPECT_EQ(*std::min_element(air->begin(), air->end()), 104);
  EXPECT_EQ(*std::max_element(air->begin(), air->end()), 622);
  auto temps = loadTimeSeries(dataDir() + "/timeseries/daily-min-temperatures.csv",
                              "Temp", 0.1, {30, 1, 1});
  ASSERT_TRUE(temps) << temps.error();
  EXPECT_EQ(temps->train.size() + temps->val.size(), 3650u);

  auto names = loadClassDirectory(dataDir() + "/names");
  ASSERT_TRUE(names) << names.error();
  EXPECT_EQ(names->classes.size(), 18u);
  EXPECT_EQ(names->size(), 20074u);
  EXPECT_EQ(names->classes[0], "Arabic");

  int64_t sentences = 0;
  for (const char *f : {"amazon_cells_labelled.txt", "imdb_labelled.txt",
                        "yelp_labelled.txt"}) {
    auto s = loadTabSeparated(dataDir() + "/sentiment/" + f);
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->size(), 1000u) << f; // NEL does not split the imdb lines
    EXPECT_EQ(std::count(s->labels.begin(), s->labels.end(), 1), 500) << f;
    sentences += s->size();
  }
  EXPECT_EQ(sentences, 3000);

  auto pairs = loadSentencePairs(dataDir() + "/seq2seq/eng-fra-10k.txt");
  ASSERT_TRUE(pairs) << pairs.error();
  EXPECT_EQ(pairs->size(), 10000u);
  EXPECT_EQ(pairs->source[0], "Go.");
  EXPECT_EQ(pairs->target[0], "Va !");
  auto s2s = makeSeq2Seq(*pairs, TokenLevel::Words);
  ASSERT_TRUE(s2s) << s2s.error();
  EXPECT_EQ(s2s->examples.size(), 10000u);
  BatchIterator it(&s2s->examples, splitTrainVal(10000, 0.1, 1).train, 64, 1);
  auto b = it.next();
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->x.dim(1), 64);
}

//===--- Frame sequences --------------------------------------------------===//

TEST(DataLoadersTest, FrameSequences) {
  std::string path = writeFile("frames.txt", "0.5 -1 2 \n"
                                             "3 4 5\n"
                                             "1.00 1.0 1\n"
                                             "\n"
                                             "6 7 8\n"
                                             "1 1 1\n");
  auto s = loadFrameSequences(path);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->features, 3);
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ(s->examples[0].frames, (std::vector<float>{0.5, -1, 2, 3, 4, 5}));
  EXPECT_EQ(s->examples[1].frames, (std::vector<float>{6, 7, 8}));
  ASSERT_TRUE(labelInBlocks(*s, {1, 1}));
  EXPECT_EQ(s->examples[1].label, 1);
  EXPECT_FALSE(labelInBlocks(*s, {1, 2}));
  auto b = makeBatch(*s, {0, 1});
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->x.shape(), (std::vector<int64_t>{2, 2, 3}));
  EXPECT_EQ(b->labels.i32Vec(), (std::vector<int32_t>{0, 1}));

  std::string bad = writeFile("badframes.txt", "1 2 3\n4 five 6\n");
  auto r = loadFrameSequences(bad);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), bad + ":2: 'five' is not a number"))
      << r.error();
  std::string ragged = writeFile("ragged.txt", "1 2 3\n4 5\n");
  r = loadFrameSequences(ragged);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error(), ragged + ":2: 2 values, expected 3"));
}

TEST(DataLoadersTest, JapaneseVowelsSmoke) {
  std::string dir = dataDir() + "/japanese_vowels";
  if (!fs::exists(dir))
    GTEST_SKIP() << dir << " not present";
  auto train = loadFrameSequences(dir + "/ae.train");
  ASSERT_TRUE(train) << train.error();
  EXPECT_EQ(train->size(), 270u);
  EXPECT_EQ(train->features, 12);
  int64_t frames = 0;
  for (const Example &e : train->examples)
    frames += e.frames.size() / 12;
  EXPECT_EQ(frames, 4274);
  ASSERT_TRUE(labelInBlocks(*train, std::vector<int64_t>(9, 30)));
  auto test = loadFrameSequences(dir + "/ae.test");
  ASSERT_TRUE(test) << test.error();
  EXPECT_EQ(test->size(), 370u);
  EXPECT_TRUE(labelInBlocks(*test, {31, 35, 88, 44, 29, 24, 40, 50, 29}));
}
