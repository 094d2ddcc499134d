//===- runtime/Safetensors.cpp - Reading and writing .safetensors ---------===//
//
// The JSON header is parsed with nlohmann-json (header-only, so the runtime
// stays free of link dependencies) without exceptions; a parse callback
// catches duplicate keys, which a JSON object would otherwise silently merge.
// Numbers in the data buffer are decoded byte by byte, so the code does not
// depend on the host's endianness.
//
//===----------------------------------------------------------------------===//
#include "runtime/Safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <unistd.h>
#include <vector>

namespace rnnc {

namespace {

using Json = nlohmann::json;

/// The reference implementation refuses headers beyond 100 MB; so do we, so
/// a corrupt length cannot make us allocate gigabytes.
constexpr uint64_t MaxHeaderSize = 100'000'000;

/// An on-disk element type we can decode.
struct Format {
  enum Kind { F32, F64, F16, BF16, I32, I64 } kind;
  unsigned size; // bytes per element
};

std::optional<Format> lookupFormat(const std::string &s) {
  if (s == "F32")
    return Format{Format::F32, 4};
  if (s == "F64")
    return Format{Format::F64, 8};
  if (s == "F16")
    return Format{Format::F16, 2};
  if (s == "BF16")
    return Format{Format::BF16, 2};
  if (s == "I32")
    return Format{Format::I32, 4};
  if (s == "I64")
    return Format{Format::I64, 8};
  return std::nullopt;
}

/// Dtypes the format defines that we do not read, for a clearer message.
bool isKnownUnsupported(const std::string &s) {
  static const char *const Known[] = {
      "BOOL",    "U8",      "I8",      "I16", "U16",     "U32",    "U64",
      "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4",  "F6_E2M3", "F6_E3M2"};
  for (const char *k : Known)
    if (s == k)
      return true;
  return false;
}

uint64_t readLE(const unsigned char *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned k = 0; k < n; ++k)
    v |= static_cast<uint64_t>(p[k]) << (8 * k);
  return v;
}

void appendLE(std::string &out, uint64_t v, unsigned n) {
  for (unsigned k = 0; k < n; ++k)
    out += static_cast<char>((v >> (8 * k)) & 0xff);
}

/// IEEE half precision to single, exactly (every half is a float).
float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13); // inf or NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13); // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign; // signed zero
  } else {
    // Subnormal half: normalize the mantissa into a float exponent.
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while (!(mant & 0x400));
    bits = sign | static_cast<uint32_t>(112 - e) << 23 | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// "[2, 3]", as the messages print shapes.
std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string out = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    out += (k ? ", " : "") + std::to_string(shape[k]);
  return out + "]";
}

/// One header entry, validated but not yet decoded.
struct Entry {
  std::string name;
  std::string dtype;
  Format format;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

/// Validates one tensor entry of the header (everything but its place in
/// the buffer). Messages omit the file and tensor names; the caller adds them.
Result<Entry> parseEntry(const std::string &name, const Json &v) {
  if (!v.is_object())
    return makeError("entry is not a JSON object");
  Entry e;
  e.name = name;
  for (const auto &[key, value] : v.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      return makeError("unexpected key '" + key + "'");
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string())
    return makeError("missing or non-string 'dtype'");
  e.dtype = dt->get<std::string>();
  std::optional<Format> f = lookupFormat(e.dtype);
  if (!f)
    return makeError((isKnownUnsupported(e.dtype) ? "unsupported dtype '"
                                                  : "unknown dtype '") +
                     e.dtype + "' (expected F32, F16, BF16, F64, I32 or I64)");
  e.format = *f;
  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array())
    return makeError("missing or non-array 'shape'");
  for (const Json &d : *sh) {
    if (!d.is_number_unsigned() ||
        d.get<uint64_t>() >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return makeError("shape " + sh->dump() +
                       " is not a list of non-negative integers");
    e.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
  }
  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2 ||
      !(*off)[0].is_number_unsigned() || !(*off)[1].is_number_unsigned())
    return makeError("'data_offsets' must be two non-negative integers");
  e.begin = (*off)[0].get<uint64_t>();
  e.end = (*off)[1].get<uint64_t>();
  if (e.end < e.begin)
    return makeError("data_offsets [" + std::to_string(e.begin) + ", " +
                     std::to_string(e.end) + "] end before they begin");
  // Bytes the shape needs, guarding against overflow in a corrupt shape.
  uint64_t bytes = e.format.size;
  bool overflow = false;
  for (int64_t d : e.shape) {
    uint64_t ud = static_cast<uint64_t>(d);
    if (ud != 0 && bytes > std::numeric_limits<uint64_t>::max() / ud)
      overflow = true;
    else
      bytes *= ud;
  }
  bool empty = std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end();
  if (empty)
    bytes = 0;
  // Downstream code multiplies dims in int64: even an empty tensor's other
  // dims must multiply within range.
  int64_t nonzero = 1;
  for (int64_t d : e.shape)
    if (d != 0) {
      if (nonzero > std::numeric_limits<int64_t>::max() / d)
        return makeError("shape " + shapeStr(e.shape) + " is too large");
      nonzero *= d;
    }
  if (overflow || bytes != e.end - e.begin)
    return makeError(
        "shape " + shapeStr(e.shape) + " of " + e.dtype + " needs " +
        (overflow ? std::string("more than 2^64") : std::to_string(bytes)) +
        " bytes, but data_offsets [" + std::to_string(e.begin) + ", " +
        std::to_string(e.end) + "] span " + std::to_string(e.end - e.begin));
  return e;
}

/// Decodes one tensor's bytes into a Tensor (f32 or i32).
Result<Tensor> decodeEntry(const Entry &e, const unsigned char *p) {
  bool isFloat = e.format.kind != Format::I32 && e.format.kind != Format::I64;
  Tensor t(isFloat ? DType::F32 : DType::I32, e.shape);
  int64_t n = t.numElements();
  for (int64_t k = 0; k < n; ++k, p += e.format.size) {
    uint64_t bits = readLE(p, e.format.size);
    switch (e.format.kind) {
    case Format::F32: {
      uint32_t b = static_cast<uint32_t>(bits);
      std::memcpy(&t.f32Vec()[k], &b, 4);
      break;
    }
    case Format::F64: {
      double v;
      std::memcpy(&v, &bits, 8);
      if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max())
        return makeError("value " + std::to_string(v) + " (element " +
                         std::to_string(k) + ") does not fit in f32");
      t.f32Vec()[k] = static_cast<float>(v);
      break;
    }
    case Format::F16:
      t.f32Vec()[k] = halfToFloat(static_cast<uint16_t>(bits));
      break;
    case Format::BF16: {
      // bfloat16 is the top half of an f32.
      uint32_t b = static_cast<uint32_t>(bits) << 16;
      std::memcpy(&t.f32Vec()[k], &b, 4);
      break;
    }
    case Format::I32:
      t.i32Vec()[k] = static_cast<int32_t>(static_cast<uint32_t>(bits));
      break;
    case Format::I64: {
      int64_t v = static_cast<int64_t>(bits);
      if (v < std::numeric_limits<int32_t>::min() ||
          v > std::numeric_limits<int32_t>::max())
        return makeError("value " + std::to_string(v) + " (element " +
                         std::to_string(k) + ") does not fit in i32");
      t.i32Vec()[k] = static_cast<int32_t>(v);
      break;
    }
    }
  }
  return t;
}

/// Parses the header text, reporting the first duplicate key of any object.
Result<Json> parseHeaderJson(std::string_view text) {
  std::vector<std::set<std::string>> open; // keys of each open object
  std::string duplicate;
  auto onEvent = [&](int, Json::parse_event_t ev, Json &parsed) {
    switch (ev) {
    case Json::parse_event_t::object_start:
      open.emplace_back();
      break;
    case Json::parse_event_t::object_end:
      if (!open.empty())
        open.pop_back();
      break;
    case Json::parse_event_t::key:
      if (!open.empty() && parsed.is_string() &&
          !open.back().insert(parsed.get<std::string>()).second &&
          duplicate.empty())
        duplicate = parsed.get<std::string>();
      break;
    default:
      break;
    }
    return true;
  };
  Json j = Json::parse(text.begin(), text.end(), onEvent,
                       /*allow_exceptions=*/false);
  if (j.is_discarded())
    return makeError("header is not valid JSON");
  if (!duplicate.empty())
    return makeError("header has duplicate key '" + duplicate + "'");
  if (!j.is_object())
    return makeError("header is not a JSON object");
  return j;
}

/// A JSON string literal for `s`; fails on invalid UTF-8.
Result<std::string> quote(const std::string &s) {
  try {
    return Json(s).dump();
  } catch (const Json::exception &) {
    return makeError("'" + s + "' is not valid UTF-8");
  }
}

} // namespace

Result<SafetensorsFile> parseSafetensors(std::string_view bytes,
                                         const std::string &name) {
  auto fail = [&](const std::string &what) {
    return makeError(name + ": " + what);
  };
  const auto *u = reinterpret_cast<const unsigned char *>(bytes.data());
  if (bytes.size() < 8)
    return fail("not a .safetensors file: " + std::to_string(bytes.size()) +
                " bytes, too short for the header length");
  uint64_t headerLen = readLE(u, 8);
  if (headerLen > MaxHeaderSize)
    return fail("header length " + std::to_string(headerLen) +
                " exceeds the 100000000-byte limit (not a .safetensors file?)");
  if (headerLen > bytes.size() - 8)
    return fail("header is truncated: it claims " + std::to_string(headerLen) +
                " bytes, " + std::to_string(bytes.size() - 8) + " remain");
  std::string_view text = bytes.substr(8, headerLen);
  if (text.empty() || text[0] != '{')
    return fail("header does not start with '{' (not a .safetensors file?)");
  auto header = parseHeaderJson(text);
  if (!header)
    return fail(header.error());

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto &[key, value] : header->items()) {
    if (key == "__metadata__") {
      if (!value.is_object())
        return fail("__metadata__ is not a JSON object");
      for (const auto &[mk, mv] : value.items()) {
        if (!mv.is_string())
          return fail("__metadata__ value of '" + mk + "' is not a string");
        out.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    auto e = parseEntry(key, value);
    if (!e)
      return fail("tensor '" + key + "': " + e.error());
    entries.push_back(e.take());
  }

  // The byte ranges must tile the buffer: sorted by offset, each begins
  // where the previous ended, and the last ends at the end of the file.
  uint64_t bufferSize = bytes.size() - 8 - headerLen;
  std::vector<const Entry *> byOffset;
  for (const Entry &e : entries)
    byOffset.push_back(&e);
  std::stable_sort(
      byOffset.begin(), byOffset.end(), [](const Entry *a, const Entry *b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
      });
  uint64_t expected = 0;
  const Entry *previous = nullptr;
  for (const Entry *e : byOffset) {
    std::string range = "data_offsets [" + std::to_string(e->begin) + ", " +
                        std::to_string(e->end) + "]";
    if (e->end > bufferSize)
      return fail("tensor '" + e->name + "': " + range +
                  " lie beyond the data buffer of " +
                  std::to_string(bufferSize) + " bytes");
    if (e->begin < expected)
      return fail("tensor '" + e->name + "': " + range + " overlap tensor '" +
                  previous->name + "'");
    if (e->begin > expected)
      return fail("tensor '" + e->name + "': " + range + " leave a gap of " +
                  std::to_string(e->begin - expected) +
                  " bytes before them in the data buffer");
    expected = e->end;
    previous = e;
  }
  if (expected != bufferSize)
    return fail(std::to_string(bufferSize - expected) +
                " bytes in the data buffer belong to no tensor");

  const unsigned char *data = u + 8 + headerLen;
  for (const Entry &e : entries) {
    auto t = decodeEntry(e, data + e.begin);
    if (!t)
      return fail("tensor '" + e.name + "': " + t.error());
    out.tensors.emplace(e.name, t.take());
  }
  return out;
}

Result<std::string>
serializeSafetensors(const TensorMap &tensors,
                     const std::map<std::string, std::string> &metadata) {
  // The header is assembled by hand rather than by dumping a Json object,
  // whose key order (sorted, so "__metadata__" after upper-case names) would
  // not match the reference writer's.
  std::string header = "{";
  bool first = true;
  auto comma = [&] {
    if (!first)
      header += ',';
    first = false;
  };
  if (!metadata.empty()) {
    comma();
    header += "\"__metadata__\":{";
    bool firstMeta = true;
    for (const auto &[k, v] : metadata) {
      auto qk = quote(k), qv = quote(v);
      if (!qk)
        return makeError("metadata key " + qk.error());
      if (!qv)
        return makeError("metadata value of '" + k + "': " + qv.error());
      header += (firstMeta ? "" : ",") + *qk + ":" + *qv;
      firstMeta = false;
    }
    header += '}';
  }
  uint64_t offset = 0;
  for (const auto &[name, t] : tensors) {
    if (name.empty() || name == "__metadata__")
      return makeError("'" + name + "' cannot be a tensor name");
    auto qn = quote(name);
    if (!qn)
      return makeError("tensor name " + qn.error());
    uint64_t bytes = 4 * static_cast<uint64_t>(t.numElements());
    comma();
    header += *qn + ":{\"dtype\":\"";
    header += t.dtype() == DType::F32 ? "F32" : "I32";
    header += "\",\"shape\":[";
    for (int64_t k = 0; k < t.rank(); ++k)
      header += (k ? "," : "") + std::to_string(t.dim(k));
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += '}';
  // Spaces pad the header so the data buffer starts 8-byte aligned.
  header.resize(header.size() + (8 - header.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + header.size() + offset);
  appendLE(out, header.size(), 8);
  out += header;
  for (const auto &[name, t] : tensors) {
    for (int64_t k = 0, n = t.numElements(); k < n; ++k) {
      uint32_t bits;
      if (t.dtype() == DType::F32)
        std::memcpy(&bits, &t.f32Data()[k], 4);
      else
        std::memcpy(&bits, &t.i32Data()[k], 4);
      appendLE(out, bits, 4);
    }
  }
  return out;
}

Result<SafetensorsFile> readSafetensors(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return makeError(path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad() || bytes.bad())
    return makeError(path + ": read error");
  return parseSafetensors(bytes.str(), path);
}

Status writeFileAtomically(const std::string &path, std::string_view bytes) {
  namespace fs = std::filesystem;
  fs::path target(path);
  fs::path dir = target.parent_path();
  // A name unique to this process and call, hidden, next to the target so
  // the rename stays within one file system.
  static std::atomic<unsigned> counter{0};
  int fd = -1;
  std::string tmp;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = (dir / ("." + target.filename().string() + ".tmp." +
                  std::to_string(::getpid()) + "." + std::to_string(counter++)))
              .string();
    // 0666 before the umask, like any other newly created file.
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      break;
  }
  if (fd < 0)
    return makeError(
        path + ": cannot create a temporary file: " + std::strerror(errno));
  auto abandon = [&](const std::string &what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return makeError(path + ": " + what + ": " + std::strerror(err));
  };
  const char *p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return abandon("write error");
    p += n;
    left -= static_cast<size_t>(n);
  }
  // Flush before the rename: otherwise a crash could leave the new name
  // pointing at a file whose data never reached the disk.
  if (::fsync(fd) != 0)
    return abandon("cannot flush to disk");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return makeError(path + ": write error: " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return makeError(path + ": cannot rename the temporary file into place: " +
                     std::strerror(err));
  }
  return Status::ok();
}

Status writeSafetensors(const std::string &path, const TensorMap &tensors,
                        const std::map<std::string, std::string> &metadata) {
  auto bytes = serializeSafetensors(tensors, metadata);
  if (!bytes)
    return makeError(path + ": " + bytes.error());
  return writeFileAtomically(path, *bytes);
}

} // namespace rnnc
