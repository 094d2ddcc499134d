//===- tests/unit/SafetensorsTest.cpp - Reading and writing .safetensors --===//
//
// Round trips through memory and files, the exact bytes the reference writer
// lays out, hand-built files of every accepted dtype, and one hand-built
// corrupt file per error the reader reports. All bytes are assembled here;
// nothing depends on Python being installed.
//
//===----------------------------------------------------------------------===//
#include "runtime/Safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace rnnc;

namespace {

std::string le(uint64_t v, unsigned n) {
  std::string out;
  for (unsigned k = 0; k < n; ++k)
    out += static_cast<char>((v >> (8 * k)) & 0xff);
  return out;
}
std::string f32Bytes(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return le(b, 4);
}
std::string f64Bytes(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return le(b, 8);
}

/// A file: header length, header, data.
std::string file(const std::string &header, const std::string &data) {
  return le(header.size(), 8) + header + data;
}

/// A one-tensor header.
std::string one(const std::string &dtype, const std::string &shape,
                uint64_t begin, uint64_t end) {
  return "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":[" + std::to_string(begin) + "," +
         std::to_string(end) + "]}}";
}

/// Expects parsing to fail with a message containing every one of `parts`.
void expectError(const std::string &bytes,
                 std::initializer_list<std::string> parts) {
  auto r = parseSafetensors(bytes, "w.safetensors");
  ASSERT_FALSE(r) << "parsed unexpectedly";
  EXPECT_EQ(r.error().rfind("w.safetensors: ", 0), 0u) << r.error();
  for (const std::string &p : parts)
    EXPECT_NE(r.error().find(p), std::string::npos)
        << "'" << p << "' not in: " << r.error();
}

class SafetensorsFiles : public ::testing::Test {
protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("rnnc_st_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::filesystem::path dir;
};

} // namespace

TEST(Safetensors, ExactBytesOfTheReferenceLayout) {
  TensorMap m;
  m["a"] = Tensor::f32({2}, {1.0f, 2.0f});
  auto bytes = serializeSafetensors(m);
  ASSERT_TRUE(bytes) << bytes.error();
  std::string header =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}  ";
  EXPECT_EQ(*bytes, file(header, f32Bytes(1) + f32Bytes(2)));
}

TEST(Safetensors, MetadataFirstNamesSortedHeaderPadded) {
  TensorMap m;
  m["b"] = Tensor::i32({1}, {7});
  m["a"] = Tensor::f32({}, {0.5f});
  auto bytes = serializeSafetensors(m, {{"format", "pt"}});
  ASSERT_TRUE(bytes) << bytes.error();
  uint64_t n = 0;
  for (int k = 0; k < 8; ++k)
    n |= static_cast<uint64_t>(static_cast<unsigned char>((*bytes)[k]))
         << (8 * k);
  EXPECT_EQ(n % 8, 0u);
  std::string header = bytes->substr(8, n);
  EXPECT_EQ(
      header.rfind("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":"
                   "\"F32\",\"shape\":[],\"data_offsets\":[0,4]},\"b\":{"
                   "\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,"
                   "8]}}",
                   0),
      0u)
      << header;
  EXPECT_EQ(bytes->substr(8 + n), f32Bytes(0.5f) + le(7, 4));
}

TEST(Safetensors, RoundTripInMemory) {
  TensorMap m;
  m["h1.Wi"] = Tensor::f32({2, 3}, {1, -2, 3.5f, 0, -0.0f, 1e-30f});
  m["ids"] = Tensor::i32({4}, {0, -1, 2147483647, -2147483647 - 1});
  m["empty"] = Tensor(DType::F32, {0, 5});
  m["s"] = Tensor::scalar(NAN);
  std::map<std::string, std::string> meta{{"step", "100"}, {"k\"q", "ü"}};
  auto bytes = serializeSafetensors(m, meta);
  ASSERT_TRUE(bytes) << bytes.error();
  auto back = parseSafetensors(*bytes);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(back->metadata, meta);
  ASSERT_EQ(back->tensors.size(), 4u);
  EXPECT_EQ(back->tensors["h1.Wi"].shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(back->tensors["h1.Wi"].f32Vec(), m["h1.Wi"].f32Vec());
  EXPECT_TRUE(std::signbit(back->tensors["h1.Wi"].f32Vec()[4]));
  EXPECT_EQ(back->tensors["ids"].dtype(), DType::I32);
  EXPECT_EQ(back->tensors["ids"].i32Vec(), m["ids"].i32Vec());
  EXPECT_EQ(back->tensors["empty"].shape(), (std::vector<int64_t>{0, 5}));
  EXPECT_EQ(back->tensors["s"].rank(), 0);
  EXPECT_TRUE(std::isnan(back->tensors["s"].f32Vec()[0]));
}

TEST(Safetensors, ReadsEveryAcceptedDtype) {
  // Entries listed out of offset order, with spaces and a newline in the
  // header, as other writers may produce.
  std::string header =
      "{\"f16\": {\"dtype\": \"F16\", \"shape\": [5], \"data_offsets\": [0, "
      "10]},\n \"i64\": {\"dtype\": \"I64\", \"shape\": [2], "
      "\"data_offsets\": [30, 46]},"
      "\"bf16\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [10, "
      "14]}, \"i32\": {\"dtype\": \"I32\", \"shape\": [1], \"data_offsets\": "
      "[14, 18]}, \"f64\": {\"dtype\": \"F64\", \"shape\": [1, 1], "
      "\"data_offsets\": [18, 26]}, \"f32\": {\"dtype\": \"F32\", "
      "\"shape\": [], \"data_offsets\": [26, 30]}}   ";
  std::string data = le(0x3c00, 2) + le(0xc000, 2) + le(0x7c00, 2) +
                     le(0x0001, 2) + le(0x3555, 2) + // f16
                     le(0x3f80, 2) + le(0xc040, 2) + // bf16
                     le(0xfffffffe, 4) +             // i32 -2
                     f64Bytes(0.1) + f32Bytes(2.5f) +
                     le(static_cast<uint64_t>(-5), 8) + le(2147483647, 8);
  auto r = parseSafetensors(file(header, data));
  ASSERT_TRUE(r) << r.error();
  const TensorMap &t = r->tensors;
  EXPECT_EQ(t.at("f16").f32Vec(),
            (std::vector<float>{1.0f, -2.0f, INFINITY, std::ldexp(1.0f, -24),
                                0.333251953125f}));
  EXPECT_EQ(t.at("bf16").f32Vec(), (std::vector<float>{1.0f, -3.0f}));
  EXPECT_EQ(t.at("i32").i32Vec(), (std::vector<int32_t>{-2}));
  EXPECT_EQ(t.at("f64").f32Vec(), (std::vector<float>{0.1f}));
  EXPECT_EQ(t.at("f64").shape(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(t.at("f32").f32Vec(), (std::vector<float>{2.5f}));
  EXPECT_EQ(t.at("i64").dtype(), DType::I32);
  EXPECT_EQ(t.at("i64").i32Vec(), (std::vector<int32_t>{-5, 2147483647}));
  EXPECT_TRUE(r->metadata.empty());
}

TEST(Safetensors, HalfPrecisionSpecialValues) {
  std::string header = one("F16", "[4]", 0, 8);
  auto r = parseSafetensors(file(header, le(0x8000, 2) + le(0x7e00, 2) +
                                             le(0x03ff, 2) + le(0x7bff, 2)));
  ASSERT_TRUE(r) << r.error();
  const auto &v = r->tensors.at("t").f32Vec();
  EXPECT_EQ(v[0], 0.0f);
  EXPECT_TRUE(std::signbit(v[0]));
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], std::ldexp(1023.0f, -24)); // largest subnormal
  EXPECT_EQ(v[3], 65504.0f);                 // largest normal
}

TEST(Safetensors, EmptyFileOfTensors) {
  auto r = parseSafetensors(file("{}      ", ""));
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->tensors.empty());
  auto bytes = serializeSafetensors({});
  ASSERT_TRUE(bytes);
  EXPECT_EQ(*bytes, file("{}      ", ""));
}

TEST(SafetensorsErrors, FramingAndJson) {
  expectError("abc", {"too short"});
  expectError(le(100, 8) + "{}", {"header is truncated", "claims 100"});
  expectError(le(200'000'000, 8) + "{}", {"100000000-byte limit"});
  expectError(file("[1]", ""), {"does not start with '{'"});
  expectError(file("", ""), {"does not start with '{'"});
  expectError(file("{\"t\": ", ""), {"not valid JSON"});
  expectError(file("{\"a\":1}", ""), {"tensor 'a'", "not a JSON object"});
  expectError(file("{\"\xff\":1}", ""), {"not valid JSON"});
}

TEST(SafetensorsErrors, DuplicateNames) {
  std::string h = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
                  "[0,4]},\"t\":{\"dtype\":\"F32\",\"shape\":[1],"
                  "\"data_offsets\":[4,8]}}";
  expectError(file(h, std::string(8, '\0')), {"duplicate key 't'"});
  // A duplicate inside an entry is caught too.
  expectError(file("{\"t\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],"
                   "\"data_offsets\":[0,4]}}",
                   std::string(4, '\0')),
              {"duplicate key 'dtype'"});
}

TEST(SafetensorsErrors, Dtypes) {
  expectError(file(one("Q7", "[1]", 0, 4), std::string(4, '\0')),
              {"tensor 't'", "unknown dtype 'Q7'"});
  expectError(file(one("U8", "[1]", 0, 1), std::string(1, '\0')),
              {"tensor 't'", "unsupported dtype 'U8'"});
  expectError(file("{\"t\":{\"shape\":[1],\"data_offsets\":[0,4]}}",
                   std::string(4, '\0')),
              {"tensor 't'", "missing or non-string 'dtype'"});
  expectError(file(one("F64", "[1]", 0, 8), f64Bytes(1e300)),
              {"tensor 't'", "does not fit in f32"});
  expectError(
      file(one("I64", "[2]", 0, 16), le(1, 8) + le(uint64_t(1) << 31, 8)),
      {"tensor 't'", "2147483648 (element 1) does not fit in i32"});
}

TEST(SafetensorsErrors, MalformedEntries) {
  std::string z4(4, '\0');
  expectError(file(one("F32", "[-1]", 0, 4), z4),
              {"tensor 't'", "non-negative integers"});
  expectError(file(one("F32", "[1.0]", 0, 4), z4),
              {"tensor 't'", "non-negative integers"});
  expectError(file(one("F32", "3", 0, 4), z4),
              {"tensor 't'", "non-array 'shape'"});
  expectError(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
                   "[0]}}",
                   z4),
              {"tensor 't'", "two non-negative integers"});
  expectError(file("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
                   "[0,4],\"x\":1}}",
                   z4),
              {"tensor 't'", "unexpected key 'x'"});
  expectError(file(one("F32", "[1]", 4, 0), z4), {"end before they begin"});
  expectError(file(one("F32", "[2, 3]", 0, 4), z4),
              {"tensor 't'", "shape [2, 3] of F32 needs 24 bytes", "span 4"});
  expectError(file(one("F32", "[4611686018427387904]", 0, 4), z4),
              {"tensor 't'", "more than 2^64"});
  expectError(file(one("F32", "[0, 4294967296, 4294967296]", 0, 0), ""),
              {"tensor 't'", "too large"});
}

TEST(SafetensorsErrors, Metadata) {
  expectError(file("{\"__metadata__\":[]}", ""), {"__metadata__ is not"});
  expectError(file("{\"__metadata__\":{\"a\":1}}", ""),
              {"value of 'a' is not a string"});
}

TEST(SafetensorsErrors, OffsetsMustTileTheBuffer) {
  auto two = [](uint64_t b0, uint64_t e0, uint64_t b1, uint64_t e1) {
    return "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
           std::to_string(b0) + "," + std::to_string(e0) +
           "]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
           std::to_string(b1) + "," + std::to_string(e1) + "]}}";
  };
  std::string z8(8, '\0');
  EXPECT_TRUE(parseSafetensors(file(two(4, 8, 0, 4), z8)));
  expectError(file(two(0, 4, 2, 6), z8), {"tensor 'b'", "overlap tensor 'a'"});
  expectError(file(two(0, 4, 0, 4), z8), {"overlap"});
  expectError(file(two(0, 4, 8, 12), std::string(12, '\0')),
              {"tensor 'b'", "gap of 4 bytes"});
  expectError(file(two(4, 8, 8, 12), std::string(12, '\0')),
              {"tensor 'a'", "gap of 4 bytes"});
  expectError(file(two(0, 4, 4, 8), std::string(10, '\0')),
              {"2 bytes in the data buffer belong to no tensor"});
  expectError(file(two(0, 4, 4, 8), std::string(6, '\0')),
              {"tensor 'b'", "beyond the data buffer of 6 bytes"});
}

TEST(SafetensorsErrors, UnwritableNames) {
  TensorMap m;
  m[""] = Tensor::scalar(1);
  EXPECT_FALSE(serializeSafetensors(m));
  m.clear();
  m["__metadata__"] = Tensor::scalar(1);
  EXPECT_FALSE(serializeSafetensors(m));
  m.clear();
  m["bad\xff"] = Tensor::scalar(1);
  auto r = serializeSafetensors(m);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not valid UTF-8"), std::string::npos);
  EXPECT_FALSE(serializeSafetensors({}, {{"k", "\xc3"}}));
}

TEST_F(SafetensorsFiles, FileRoundTripIsAtomicAndReplaces) {
  std::string path = (dir / "w.safetensors").string();
  TensorMap m;
  m["x"] = Tensor::f32({3}, {1, 2, 3});
  ASSERT_TRUE(writeSafetensors(path, m, {{"epoch", "1"}}));
  m["x"] = Tensor::f32({1}, {9});
  ASSERT_TRUE(writeSafetensors(path, m));
  auto r = readSafetensors(path);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->tensors.at("x").f32Vec(), (std::vector<float>{9}));
  EXPECT_TRUE(r->metadata.empty());
  // Only the checkpoint is left: no temporary files.
  int entries = 0;
  for (auto &e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(SafetensorsFiles, FileErrors) {
  auto r = readSafetensors((dir / "absent.safetensors").string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("absent.safetensors: cannot open"),
            std::string::npos);
  r = readSafetensors(dir.string());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("is a directory"), std::string::npos);
  Status s = writeSafetensors((dir / "no/such/dir/w.safetensors").string(), {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("cannot create a temporary file"),
            std::string::npos);
  // A corrupt file on disk names the path.
  std::string path = (dir / "bad.safetensors").string();
  std::ofstream(path, std::ios::binary) << "xyz";
  r = readSafetensors(path);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind(path + ": ", 0), 0u);
}

TEST(SafetensorsErrors, EveryTruncationAndByteFlipIsHandled) {
  // Run under RNNC_SANITIZE this also shows no out-of-bounds read: every
  // prefix and every single-byte corruption of a valid file either parses
  // or is an error, never a crash.
  TensorMap m;
  m["a"] = Tensor::f32({2, 2}, {1, 2, 3, 4});
  m["b"] = Tensor::i32({3}, {5, 6, 7});
  auto bytes = serializeSafetensors(m, {{"k", "v"}});
  ASSERT_TRUE(bytes);
  for (size_t n = 0; n < bytes->size(); ++n)
    EXPECT_FALSE(parseSafetensors(bytes->substr(0, n))) << n;
  for (size_t k = 0; k < bytes->size(); ++k)
    for (int v : {0x00, 0x22, 0x2c, 0x5b, 0x7d, 0x39, 0xff}) {
      std::string b = *bytes;
      b[k] = static_cast<char>(v);
      (void)parseSafetensors(b);
    }
}
