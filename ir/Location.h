//===- ir/Location.h - Where an op or a diagnostic came from ---*- C++ -*-===//
//
// A file name with a 1-based line and column. Ops built by the IR parser point
// into the .ir file; ops built by the frontend point into the .rnn source, so a
// verifier error on lowered IR still names the model line. Line 0 means unknown.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_LOCATION_H
#define RNNC_IR_LOCATION_H

#include <memory>
#include <string>

namespace rnnc::ir {

struct Location {
  /// Shared so the many ops of one file do not each copy its name.
  std::shared_ptr<const std::string> file;
  unsigned line = 0;
  unsigned col = 0;

  bool isKnown() const { return file && line > 0; }
  /// "file:line:col", or "<unknown>".
  std::string str() const;
};

} // namespace rnnc::ir

#endif // RNNC_IR_LOCATION_H
