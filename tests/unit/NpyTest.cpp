//===- tests/unit/NpyTest.cpp - Reading and writing .npy files ------------===//
//
// Round trips through memory and files, the exact bytes numpy.save would
// write, hand-built files of every accepted version and dtype, and one
// hand-built corrupt file per error the reader reports. No test depends on
// NumPy being installed: all bytes are assembled here.
//
//===----------------------------------------------------------------------===//
#include "runtime/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
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

/// A .npy file: magic, version `major`.0, the header length, `dict` padded
/// with spaces to a 64-byte boundary plus '\n', then `data`.
std::string npy(int major, const std::string &dict, const std::string &data) {
  unsigned lenBytes = major == 1 ? 2 : 4;
  std::string header = dict;
  while ((6 + 2 + lenBytes + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  return std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0' +
         le(header.size(), lenBytes) + header + data;
}

std::string dictFor(const std::string &descr, const std::string &shape) {
  return "{'descr': '" + descr +
         "', 'fortran_order': False, 'shape': " + shape + ", }";
}

std::string errorOf(const std::string &bytes) {
  auto r = parseNpy(bytes, "t.npy");
  EXPECT_FALSE(r) << "expected an error";
  return r ? std::string() : r.error();
}

#define EXPECT_ERROR(bytes, text)                                              \
  do {                                                                         \
    std::string e_ = errorOf(bytes);                                           \
    EXPECT_NE(e_.find(text), std::string::npos) << e_;                         \
    EXPECT_EQ(e_.rfind("t.npy: ", 0), 0u) << e_;                               \
  } while (0)

TEST(Npy, WritesExactlyWhatNumpyWrites) {
  // np.save of np.array([1, -2], dtype=np.float32): a 10-byte prefix, the
  // 118-byte header (dict, spaces, '\n') that pads it to 128 bytes, then
  // 1.0f = 0x3f800000 and -2.0f = 0xc0000000 little-endian.
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  std::string header = dict + std::string(118 - dict.size() - 1, ' ') + "\n";
  std::string want = std::string("\x93NUMPY\x01\x00", 8) +
                     static_cast<char>(header.size()) + '\0' + header +
                     std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);
  EXPECT_EQ(serializeNpy(Tensor::f32({2}, {1.0f, -2.0f})), want);

  std::string i32 = serializeNpy(Tensor::i32({2, 1}, {7, -1}));
  EXPECT_NE(i32.find("{'descr': '<i4', 'fortran_order': False, 'shape': "
                     "(2, 1), }"),
            std::string::npos);
  EXPECT_EQ(i32.size(), 128u + 8u);
  EXPECT_EQ(i32.substr(128), std::string("\x07\0\0\0\xff\xff\xff\xff", 8));
  std::string scalar = serializeNpy(Tensor::scalar(0.5f));
  EXPECT_NE(scalar.find("'shape': (), }"), std::string::npos);
}

TEST(Npy, RoundTripsInMemory) {
  Tensor cases[] = {Tensor::f32({2, 3}, {1, -2.5f, 3e-8f, INFINITY, 0, -0.0f}),
                    Tensor::i32({4}, {0, -1, 2147483647, -2147483647 - 1}),
                    Tensor::scalar(3.25f), Tensor(DType::F32, {0, 3}),
                    Tensor::i32({1, 1, 1}, {42})};
  for (const Tensor &t : cases) {
    auto r = parseNpy(serializeNpy(t));
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->typeString(), t.typeString());
    EXPECT_EQ(r->f32Vec(), t.f32Vec());
    EXPECT_EQ(r->i32Vec(), t.i32Vec());
  }
}

TEST(Npy, RoundTripsThroughAFile) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("rnnc_npy_test_" + std::to_string(::getpid()) + ".npy"))
                         .string();
  Tensor t = Tensor::f32({3, 2}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(writeNpy(path, t));
  auto r = readNpy(path);
  std::remove(path.c_str());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->typeString(), "f32[3,2]");
  EXPECT_EQ(r->f32Vec(), t.f32Vec());

  auto missing = readNpy(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().rfind(path + ": cannot open", 0), 0u);
  Status bad = writeNpy("/nonexistent-dir/x.npy", t);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().find("/nonexistent-dir/x.npy"), std::string::npos);
}

TEST(Npy, ReadsVersionsTwoAndThree) {
  auto v2 = parseNpy(
      npy(2, dictFor("<i4", "(3,)"), le(5, 4) + le(0, 4) + le(0xfffffffd, 4)));
  ASSERT_TRUE(v2) << v2.error();
  EXPECT_EQ(v2->i32Vec(), (std::vector<int32_t>{5, 0, -3}));
  auto v3 = parseNpy(
      npy(3, dictFor("<f4", "(1, 2)"), f32Bytes(0.25f) + f32Bytes(-8)));
  ASSERT_TRUE(v3) << v3.error();
  EXPECT_EQ(v3->typeString(), "f32[1,2]");
  EXPECT_EQ(v3->f32Vec(), (std::vector<float>{0.25f, -8}));
}

TEST(Npy, ConvertsWiderAndNarrowerDTypes) {
  auto f8 =
      parseNpy(npy(1, dictFor("<f8", "(2,)"), f64Bytes(0.1) + f64Bytes(-1e10)));
  ASSERT_TRUE(f8) << f8.error();
  EXPECT_EQ(f8->f32Vec(), (std::vector<float>{0.1f, -1e10f}));
  auto i8 = parseNpy(
      npy(1, dictFor("<i8", "(2,)"), le(uint64_t(-7), 8) + le(2147483647, 8)));
  ASSERT_TRUE(i8) << i8.error();
  EXPECT_EQ(i8->i32Vec(), (std::vector<int32_t>{-7, 2147483647}));
  auto u1 = parseNpy(npy(1, dictFor("|u1", "(2,)"), "\xff\x01"));
  ASSERT_TRUE(u1) << u1.error();
  EXPECT_EQ(u1->i32Vec(), (std::vector<int32_t>{255, 1}));
  auto i1 = parseNpy(npy(1, dictFor("|i1", "(2,)"), "\xff\x01"));
  ASSERT_TRUE(i1) << i1.error();
  EXPECT_EQ(i1->i32Vec(), (std::vector<int32_t>{-1, 1}));
  auto b1 =
      parseNpy(npy(1, dictFor("|b1", "(2,)"), std::string("\x01\x00", 2)));
  ASSERT_TRUE(b1) << b1.error();
  EXPECT_EQ(b1->i32Vec(), (std::vector<int32_t>{1, 0}));

  EXPECT_ERROR(npy(1, dictFor("<i8", "(1,)"), le(uint64_t(1) << 31, 8)),
               "value 2147483648 (element 0) does not fit in i32");
  EXPECT_ERROR(npy(1, dictFor("<f8", "(1,)"), f64Bytes(1e300)),
               "does not fit in f32");
  EXPECT_ERROR(npy(1, dictFor("|b1", "(1,)"), "\x02"), "is not a bool");
}

TEST(Npy, AcceptsHeaderVariantsPythonWrites) {
  // Double quotes, no trailing comma, keys in another order, Python 2 longs.
  std::string dict =
      "{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<f4\"}";
  auto r = parseNpy(npy(1, dict, f32Bytes(1) + f32Bytes(2)));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->f32Vec(), (std::vector<float>{1, 2}));
}

TEST(Npy, RejectsBadMagicAndVersions) {
  std::string good = npy(1, dictFor("<f4", "(1,)"), f32Bytes(1));
  std::string bad = good;
  bad[1] = 'X';
  EXPECT_ERROR(bad, "not a .npy file (bad magic)");
  EXPECT_ERROR(std::string("\x93NUM", 4), "bad magic");
  bad = good;
  bad[6] = 4;
  EXPECT_ERROR(bad, "unsupported .npy format version 4.0");
  bad = good;
  bad[7] = 1;
  EXPECT_ERROR(bad, "unsupported .npy format version 1.1");
  EXPECT_ERROR(good.substr(0, 9), "truncated before the header length");
  EXPECT_ERROR(good.substr(0, 40), "header is truncated");
}

TEST(Npy, RejectsMalformedHeaders) {
  std::string data = f32Bytes(1);
  EXPECT_ERROR(npy(1, "{'descr': '<f4', 'shape': (1,), }", data),
               "missing key 'fortran_order'");
  EXPECT_ERROR(npy(1,
                   "{'descr': '<f4', 'fortran_order': False, 'shape': "
                   "(1,), 'extra': 1}",
                   data),
               "unexpected key 'extra'");
  EXPECT_ERROR(npy(1,
                   "{'descr': '<f4', 'descr': '<f4', 'fortran_order': "
                   "False, 'shape': (1,)}",
                   data),
               "duplicate key 'descr'");
  EXPECT_ERROR(
      npy(1, "{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", data),
      "expected ',' or '}'");
  EXPECT_ERROR(
      npy(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", data),
      "fortran_order must be True or False");
  EXPECT_ERROR(npy(1, dictFor("<f4", "(1)"), data),
               "a one-element shape must be written (n,)");
  EXPECT_ERROR(npy(1, dictFor("<f4", "(-1,)"), data),
               "expected a non-negative integer in shape");
  EXPECT_ERROR(npy(1, dictFor("<f4", "[1]"), data), "shape must be a tuple");
  EXPECT_ERROR(npy(1, "{'descr': '<f4, 'fortran_order': False}", data),
               "bad header");
  // A header without the final newline.
  std::string dict = dictFor("<f4", "(1,)");
  std::string noNewline =
      std::string("\x93NUMPY\x01\x00", 8) + le(dict.size(), 2) + dict + data;
  EXPECT_ERROR(noNewline, "expected spaces and a final newline");
}

TEST(Npy, RejectsUnsupportedLayoutsAndDTypes) {
  std::string data = f32Bytes(1);
  EXPECT_ERROR(
      npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", data),
      "fortran_order is True; only C-order arrays are supported");
  EXPECT_ERROR(npy(1, dictFor(">f4", "(1,)"), data),
               "big-endian data ('>f4') is not supported");
  EXPECT_ERROR(npy(1, dictFor("<f2", "(2,)"), data), "unsupported dtype '<f2'");
}

TEST(Npy, RejectsDataOfTheWrongSize) {
  EXPECT_ERROR(npy(1, dictFor("<f4", "(2, 2)"), std::string(12, '\0')),
               "data is truncated: shape (2, 2) of '<f4' needs 16 bytes, 12 "
               "present");
  EXPECT_ERROR(npy(1, dictFor("<i4", "(1,)"), std::string(6, '\0')),
               "2 unexpected bytes after the array data");
  EXPECT_ERROR(
      npy(1, dictFor("<f4", "(1000000, 1000000, 16)"), std::string(16, '\0')),
      "needs more than 16 bytes");
  EXPECT_ERROR(npy(1, dictFor("<f4", "(0, 4294967296, 4294967296)"), ""),
               "shape (0, 4294967296, 4294967296) is too large");
  // A zero dim makes an empty array whatever the other dims are.
  auto empty = parseNpy(npy(1, dictFor("<f4", "(0, 5)"), ""));
  ASSERT_TRUE(empty) << empty.error();
  EXPECT_EQ(empty->typeString(), "f32[0,5]");
}

} // namespace
