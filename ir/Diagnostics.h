//===- ir/Diagnostics.h - Errors, warnings and notes for users -*- C++ -*-===//
//
// Library code never prints: parsers, the verifier and sema report into a
// Diagnostics sink, and the tool decides when to print. Printing follows the
// compilers users know:
//
//   model.rnn:3:14: error: unknown name 'hh'
//     h = tanh(W @ hh)
//                  ^
//
// The source line and caret appear when the file's text was registered with
// addSource (the parsers do this). Notes attach to the preceding error.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_DIAGNOSTICS_H
#define RNNC_IR_DIAGNOSTICS_H

#include "ir/Location.h"

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace rnnc::ir {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity;
  Location loc;
  std::string message;
};

class Diagnostics {
public:
  /// Registers a file's text so diagnostics can quote its lines. Returns the
  /// shared file name to put in Locations.
  std::shared_ptr<const std::string> addSource(std::string file,
                                               std::string text);

  void error(const Location &loc, std::string message);
  void warning(const Location &loc, std::string message);
  void note(const Location &loc, std::string message);

  bool hasErrors() const { return numErrors > 0; }
  unsigned errorCount() const { return numErrors; }
  const std::vector<Diagnostic> &all() const { return diags; }
  void clear();

  /// Prints every diagnostic in order, each with its source line and caret.
  void print(std::ostream &os) const;
  /// The printed form as a string (handy in tests).
  std::string str() const;

private:
  std::vector<Diagnostic> diags;
  std::map<std::string, std::string> sources;
  unsigned numErrors = 0;
};

} // namespace rnnc::ir

#endif // RNNC_IR_DIAGNOSTICS_H
