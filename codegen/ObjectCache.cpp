//===- codegen/ObjectCache.cpp - Compiled objects kept on disk ------------===//
#include "codegen/ObjectCache.h"

#include "runtime/Safetensors.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SHA256.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rnnc::codegen {

namespace {
// "RNNCOBJ" + format version, then the payload size (8 bytes, little
// endian) and the payload's SHA-256 (32 bytes).
constexpr char kMagic[8] = {'R', 'N', 'N', 'C', 'O', 'B', 'J', '1'};
constexpr size_t kHeaderSize = 8 + 8 + 32;
} // namespace

static std::string envOr(const char *name) {
  const char *v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string defaultCacheDir() {
  if (std::string d = envOr("RNNC_CACHE_DIR"); !d.empty())
    return d;
  if (std::string d = envOr("XDG_CACHE_HOME"); !d.empty())
    return d + "/rnnc";
  if (std::string d = envOr("HOME"); !d.empty())
    return d + "/.cache/rnnc";
  return "";
}

static std::string hex(const std::array<uint8_t, 32> &digest) {
  static const char *digits = "0123456789abcdef";
  std::string s;
  for (uint8_t b : digest) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

static std::array<uint8_t, 32> sha256(std::string_view bytes) {
  llvm::SHA256 h;
  h.update(llvm::StringRef(bytes.data(), bytes.size()));
  return h.final();
}

std::string ObjectCache::makeKey(const std::vector<std::string_view> &parts) {
  llvm::SHA256 h;
  for (std::string_view p : parts) {
    std::string len = std::to_string(p.size()) + ":";
    h.update(llvm::StringRef(len));
    h.update(llvm::StringRef(p.data(), p.size()));
  }
  return hex(h.final());
}

std::string ObjectCache::entryPath(const std::string &key) const {
  return dir + "/" + key + ".o";
}

CacheLookup ObjectCache::load(const std::string &key,
                              std::string &object) const {
  std::ifstream in(entryPath(key), std::ios::binary);
  if (!in)
    return CacheLookup::Miss;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return CacheLookup::Corrupt;
  std::string bytes = ss.str();
  if (bytes.size() < kHeaderSize ||
      std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return CacheLookup::Corrupt;
  uint64_t size = 0;
  for (int i = 7; i >= 0; --i)
    size = size << 8 | static_cast<unsigned char>(bytes[8 + i]);
  if (size != bytes.size() - kHeaderSize)
    return CacheLookup::Corrupt;
  std::string_view payload(bytes.data() + kHeaderSize, size);
  std::array<uint8_t, 32> digest = sha256(payload);
  if (std::memcmp(digest.data(), bytes.data() + 16, 32) != 0)
    return CacheLookup::Corrupt;
  object.assign(payload);
  return CacheLookup::Hit;
}

Status ObjectCache::store(const std::string &key,
                          std::string_view object) const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return makeError("cannot create the cache directory '" + dir +
                     "': " + ec.message());
  std::string bytes(kMagic, sizeof kMagic);
  uint64_t size = object.size();
  for (int i = 0; i < 8; ++i)
    bytes += static_cast<char>(size >> (8 * i) & 0xff);
  std::array<uint8_t, 32> digest = sha256(object);
  bytes.append(reinterpret_cast<const char *>(digest.data()), digest.size());
  bytes.append(object);
  return writeFileAtomically(entryPath(key), bytes);
}

} // namespace rnnc::codegen
