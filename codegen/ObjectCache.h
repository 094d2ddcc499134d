//===- codegen/ObjectCache.h - Compiled objects kept on disk ---*- C++ -*-===//
//
// A second run of the same model should not pay for O3 and instruction
// selection again (~100-500 ms for a char-LM). The cache maps a key to the
// relocatable object the JIT would have produced; compile() looks it up
// before optimizing and, on a hit, hands the object straight to the JIT.
//
// The key is a SHA-256 over everything that decides the machine code: the
// printed rnnc IR, the LLVM IR as lowered (so a change in any Lower*.cpp
// changes the key without a version bump), the target triple, CPU and
// features, the optimization level, the rnnc codegen version and LLVM's
// version. Bump kCodegenVersion when the optimizer pipeline changes.
//
// Entries are files `<dir>/<key>.o` holding a small header (magic, payload
// size, SHA-256 of the payload) and the object. They are written atomically
// (temporary file + rename), so concurrent writers never expose a partial
// file; a file whose header or checksum does not match is treated as absent
// and rewritten. A damaged cache therefore costs a recompilation, never a
// crash or a wrong answer.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_CODEGEN_OBJECTCACHE_H
#define RNNC_CODEGEN_OBJECTCACHE_H

#include "runtime/Result.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::codegen {

/// Part of every cache key; bump when code generation changes in a way the
/// lowered LLVM IR does not show (the optimizer pipeline, codegen options).
inline constexpr const char *kCodegenVersion = "rnnc-codegen-2";

/// $RNNC_CACHE_DIR, else $XDG_CACHE_HOME/rnnc, else $HOME/.cache/rnnc; ""
/// when none of them is set.
std::string defaultCacheDir();

/// What a lookup found.
enum class CacheLookup { Hit, Miss, Corrupt };

class ObjectCache {
public:
  explicit ObjectCache(std::string dir) : dir(std::move(dir)) {}

  /// The hex SHA-256 of `parts`, each length-prefixed so that no two lists
  /// of parts collide by concatenation.
  static std::string makeKey(const std::vector<std::string_view> &parts);

  /// The path of the entry for `key`.
  std::string entryPath(const std::string &key) const;

  /// Reads the entry for `key` into `object`. Corrupt: the file exists but
  /// its header or checksum is wrong (it will be overwritten by store()).
  CacheLookup load(const std::string &key, std::string &object) const;

  /// Writes the entry for `key` atomically, creating the directory.
  Status store(const std::string &key, std::string_view object) const;

private:
  std::string dir;
};

} // namespace rnnc::codegen

#endif // RNNC_CODEGEN_OBJECTCACHE_H
