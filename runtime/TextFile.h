//===- runtime/TextFile.h - Reading data files whole -------------*- C++ -*-===//
//
// The data loaders read their (small) files whole and split them into lines
// here, so every loader reports a missing, unreadable or empty file the same
// way, naming the path. Lines split on '\n' only: the sentiment data holds
// U+0085 (NEL), which other splitters treat as a line break. A trailing '\r'
// is dropped from each line, so CRLF files read like LF files.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_TEXTFILE_H
#define RNNC_RUNTIME_TEXTFILE_H

#include "runtime/Result.h"

#include <string>
#include <string_view>
#include <vector>

namespace rnnc {

/// The bytes of the file at `path`. Fails naming the path when it is missing,
/// a directory or unreadable; an empty file is an error unless allowEmpty.
Result<std::string> readWholeFile(const std::string &path,
                                  bool allowEmpty = false);

/// The lines of `text`, without their '\n' (and a trailing '\r'); a final
/// newline does not start an extra empty line.
std::vector<std::string_view> splitLines(std::string_view text);

/// "path:line: message", the form of every loader's error about a line.
Error lineError(const std::string &path, size_t line, const std::string &msg);

} // namespace rnnc

#endif // RNNC_RUNTIME_TEXTFILE_H
