//===- runtime/Npy.cpp - Reading and writing NumPy .npy files -------------===//
//
// Layout of a .npy file: the magic "\x93NUMPY", a major and a minor version
// byte, the header length (2 bytes little-endian in version 1, 4 bytes in 2
// and 3), then the header: a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and ended by '\n', then the raw array data. All
// multi-byte numbers are decoded byte by byte, so the code does not depend on
// the host's endianness.
//
//===----------------------------------------------------------------------===//
#include "runtime/Npy.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

namespace rnnc {

namespace {

constexpr char Magic[] = "\x93NUMPY";
constexpr size_t MagicLen = 6;

/// The on-disk element type named by a descr string.
struct Descr {
  enum Kind { Float, Signed, Unsigned, Bool } kind;
  unsigned size; // bytes per element
};

std::optional<Descr> lookupDescr(const std::string &s) {
  if (s == "<f4")
    return Descr{Descr::Float, 4};
  if (s == "<f8")
    return Descr{Descr::Float, 8};
  if (s == "<i4")
    return Descr{Descr::Signed, 4};
  if (s == "<i8")
    return Descr{Descr::Signed, 8};
  if (s == "|i1")
    return Descr{Descr::Signed, 1};
  if (s == "|u1")
    return Descr{Descr::Unsigned, 1};
  if (s == "|b1")
    return Descr{Descr::Bool, 1};
  return std::nullopt;
}

uint64_t readLE(const unsigned char *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned k = 0; k < n; ++k)
    v |= static_cast<uint64_t>(p[k]) << (8 * k);
  return v;
}

/// The parsed header dict.
struct Header {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// A strict parser for the header's dict literal: string keys, and values
/// that are strings, True/False or tuples of non-negative integers.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : s(text) {}

  /// Parses the whole header; on failure returns a message (without the
  /// file name).
  Result<Header> parse() {
    Header h;
    bool seenDescr = false, seenOrder = false, seenShape = false;
    skipSpace();
    if (!eat('{'))
      return fail("expected '{'");
    skipSpace();
    while (!eat('}')) {
      auto key = parseString();
      if (!key)
        return makeError(key.error());
      skipSpace();
      if (!eat(':'))
        return fail("expected ':' after key '" + *key + "'");
      skipSpace();
      if (*key == "descr") {
        if (seenDescr)
          return fail("duplicate key 'descr'");
        seenDescr = true;
        auto v = parseString();
        if (!v)
          return makeError(v.error());
        h.descr = *v;
      } else if (*key == "fortran_order") {
        if (seenOrder)
          return fail("duplicate key 'fortran_order'");
        seenOrder = true;
        if (word("True"))
          h.fortranOrder = true;
        else if (word("False"))
          h.fortranOrder = false;
        else
          return fail("fortran_order must be True or False");
      } else if (*key == "shape") {
        if (seenShape)
          return fail("duplicate key 'shape'");
        seenShape = true;
        auto v = parseShape();
        if (!v)
          return makeError(v.error());
        h.shape = *v;
      } else {
        return fail("unexpected key '" + *key + "'");
      }
      skipSpace();
      // Entries are separated by ',', and a trailing ',' is allowed.
      if (eat(',')) {
        skipSpace();
        continue;
      }
      if (peek() != '}')
        return fail("expected ',' or '}'");
    }
    if (!seenDescr || !seenOrder || !seenShape)
      return fail(std::string("missing key '") +
                  (!seenDescr   ? "descr"
                   : !seenOrder ? "fortran_order"
                                : "shape") +
                  "'");
    // Padding: spaces, then the terminating newline.
    while (pos < s.size() && s[pos] == ' ')
      ++pos;
    if (pos + 1 != s.size() || s[pos] != '\n')
      return fail("expected spaces and a final newline after the dict");
    return h;
  }

private:
  Error fail(const std::string &what) const {
    return makeError("bad header: " + what + " at offset " +
                     std::to_string(pos));
  }
  char peek() const { return pos < s.size() ? s[pos] : '\0'; }
  bool eat(char c) {
    if (peek() != c)
      return false;
    ++pos;
    return true;
  }
  bool word(std::string_view w) {
    if (s.substr(pos, w.size()) != w)
      return false;
    pos += w.size();
    return true;
  }
  void skipSpace() {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t'))
      ++pos;
  }

  Result<std::string> parseString() {
    char q = peek();
    if (q != '\'' && q != '"')
      return fail("expected a quoted string");
    ++pos;
    size_t start = pos;
    while (pos < s.size() && s[pos] != q) {
      if (s[pos] == '\\' || s[pos] == '\n')
        return fail("unsupported character in a string");
      ++pos;
    }
    if (pos >= s.size())
      return fail("unterminated string");
    std::string out(s.substr(start, pos - start));
    ++pos;
    return out;
  }

  Result<std::vector<int64_t>> parseShape() {
    std::vector<int64_t> dims;
    if (!eat('('))
      return fail("shape must be a tuple");
    skipSpace();
    bool needComma = false; // a one-element tuple is written "(n,)"
    while (!eat(')')) {
      if (peek() < '0' || peek() > '9')
        return fail("expected a non-negative integer in shape");
      int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10)
          return fail("shape dim is too large");
        v = v * 10 + (s[pos++] - '0');
      }
      eat('L'); // Python 2 long literals
      dims.push_back(v);
      skipSpace();
      needComma = dims.size() == 1;
      if (eat(',')) {
        needComma = false;
        skipSpace();
      } else if (peek() != ')') {
        return fail("expected ',' or ')' in shape");
      }
    }
    if (needComma)
      return fail("a one-element shape must be written (n,)");
    return dims;
  }

  std::string_view s;
  size_t pos = 0;
};

/// Converts the raw data to the tensor's storage, checking ranges.
Status decodeData(const unsigned char *p, const Descr &d, Tensor &t) {
  int64_t n = t.numElements();
  for (int64_t k = 0; k < n; ++k, p += d.size) {
    uint64_t bits = readLE(p, d.size);
    if (d.kind == Descr::Float && d.size == 4) {
      uint32_t b32 = static_cast<uint32_t>(bits);
      std::memcpy(&t.f32Vec()[k], &b32, 4);
    } else if (d.kind == Descr::Float) {
      double v;
      std::memcpy(&v, &bits, 8);
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
        return makeError("value " + std::to_string(v) + " (element " +
                         std::to_string(k) + ") does not fit in f32");
      t.f32Vec()[k] = static_cast<float>(v);
    } else {
      int64_t v;
      if (d.kind == Descr::Signed) {
        // Sign-extend from d.size bytes.
        unsigned shift = 64 - 8 * d.size;
        v = static_cast<int64_t>(bits << shift) >> shift;
      } else {
        v = static_cast<int64_t>(bits);
      }
      if (d.kind == Descr::Bool && v > 1)
        return makeError("byte " + std::to_string(v) + " (element " +
                         std::to_string(k) + ") is not a bool");
      if (v < std::numeric_limits<int32_t>::min() ||
          v > std::numeric_limits<int32_t>::max())
        return makeError("value " + std::to_string(v) + " (element " +
                         std::to_string(k) + ") does not fit in i32");
      t.i32Vec()[k] = static_cast<int32_t>(v);
    }
  }
  return Status::ok();
}

/// "(2, 3)", "(4,)" or "()", as Python prints a shape.
std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string out = "(";
  for (size_t k = 0; k < shape.size(); ++k)
    out += (k ? ", " : "") + std::to_string(shape[k]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

} // namespace

Result<Tensor> parseNpy(std::string_view bytes, const std::string &name) {
  auto fail = [&](const std::string &what) {
    return makeError(name + ": " + what);
  };
  const auto *u = reinterpret_cast<const unsigned char *>(bytes.data());
  if (bytes.size() < MagicLen + 2 || bytes.substr(0, MagicLen) != Magic)
    return fail("not a .npy file (bad magic)");
  unsigned major = u[MagicLen], minor = u[MagicLen + 1];
  if (major < 1 || major > 3 || minor != 0)
    return fail("unsupported .npy format version " + std::to_string(major) +
                "." + std::to_string(minor));
  unsigned lenBytes = major == 1 ? 2 : 4;
  size_t prefix = MagicLen + 2 + lenBytes;
  if (bytes.size() < prefix)
    return fail("truncated before the header length");
  uint64_t headerLen = readLE(u + MagicLen + 2, lenBytes);
  if (headerLen > bytes.size() - prefix)
    return fail("header is truncated: it claims " + std::to_string(headerLen) +
                " bytes, " + std::to_string(bytes.size() - prefix) + " remain");
  std::string_view headerText = bytes.substr(prefix, headerLen);
  // Versions 1 and 2 are ASCII; 3 allows UTF-8, but the keys and values we
  // accept are ASCII anyway, so any other byte is rejected by the parser.
  auto header = HeaderParser(headerText).parse();
  if (!header)
    return fail(header.error());
  if (header->fortranOrder)
    return fail("fortran_order is True; only C-order arrays are supported "
                "(save with np.ascontiguousarray)");
  std::optional<Descr> descr = lookupDescr(header->descr);
  if (!descr) {
    if (!header->descr.empty() && header->descr[0] == '>')
      return fail("big-endian data ('" + header->descr + "') is not supported");
    return fail("unsupported dtype '" + header->descr +
                "' (expected <f4, <i4, <f8, <i8, |i1, |u1 or |b1)");
  }
  // Element count, guarding against overflow in a corrupt shape: past the
  // bytes present it is "too many" whatever the exact number.
  size_t available = bytes.size() - prefix - headerLen;
  bool empty = false, tooMany = false;
  uint64_t count = 1;
  // Even an empty array must have a shape whose nonzero dims multiply within
  // int64, since code downstream multiplies them out.
  int64_t nonzero = 1;
  for (int64_t d : header->shape) {
    empty |= d == 0;
    if (d != 0 && nonzero > std::numeric_limits<int64_t>::max() / d)
      return fail("shape " + shapeStr(header->shape) + " is too large");
    if (d != 0)
      nonzero *= d;
  }
  for (int64_t d : header->shape) {
    if (empty)
      break;
    if (count > available / static_cast<uint64_t>(d))
      tooMany = true;
    else
      count *= static_cast<uint64_t>(d);
  }
  if (empty)
    count = 0;
  if (tooMany || count * descr->size > available)
    return fail("data is truncated: shape " + shapeStr(header->shape) +
                " of '" + header->descr + "' needs " +
                (tooMany ? std::string("more than ") + std::to_string(available)
                         : std::to_string(count * descr->size)) +
                " bytes, " + std::to_string(available) + " present");
  uint64_t needed = count * descr->size;
  if (needed < available)
    return fail(std::to_string(available - needed) +
                " unexpected bytes after the array data");
  DType dtype = descr->kind == Descr::Float ? DType::F32 : DType::I32;
  Tensor t(dtype, header->shape);
  if (Status s = decodeData(u + prefix + headerLen, *descr, t); !s)
    return fail(s.error());
  return t;
}

std::string serializeNpy(const Tensor &t) {
  std::string dict = "{'descr': '";
  dict += t.dtype() == DType::F32 ? "<f4" : "<i4";
  dict += "', 'fortran_order': False, 'shape': " + shapeStr(t.shape()) + ", }";
  // Pad with spaces so the data starts at a multiple of 64 bytes, as numpy
  // does; the header ends in '\n'. Version 2.0 only if 1.0's 16-bit header
  // length cannot hold it.
  auto padded = [&](size_t prefix) {
    size_t total = prefix + dict.size() + 1;
    return dict.size() + 1 + (64 - total % 64) % 64;
  };
  bool v1 = padded(MagicLen + 4) <= 65535;
  dict.resize(padded(MagicLen + (v1 ? 4 : 6)) - 1, ' ');
  dict += '\n';
  std::string out(Magic, MagicLen);
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  for (unsigned k = 0; k < (v1 ? 2u : 4u); ++k)
    out += static_cast<char>((dict.size() >> (8 * k)) & 0xff);
  out += dict;
  int64_t n = t.numElements();
  out.reserve(out.size() + 4 * n);
  for (int64_t k = 0; k < n; ++k) {
    uint32_t bits;
    if (t.dtype() == DType::F32)
      std::memcpy(&bits, &t.f32Data()[k], 4);
    else
      std::memcpy(&bits, &t.i32Data()[k], 4);
    for (unsigned b = 0; b < 4; ++b)
      out += static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return out;
}

Result<Tensor> readNpy(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return makeError(path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(path + ": cannot open: " + std::strerror(errno));
  // Streaming the buffer turns a read error into a failed stream; the
  // istreambuf_iterator constructor would throw (e.g. on a directory).
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad() || bytes.bad())
    return makeError(path + ": read error");
  return parseNpy(bytes.str(), path);
}

Status writeNpy(const std::string &path, const Tensor &t) {
  std::string bytes = serializeNpy(t);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return makeError(path +
                     ": cannot open for writing: " + std::strerror(errno));
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out)
    return makeError(path + ": write failed");
  return Status::ok();
}

} // namespace rnnc
