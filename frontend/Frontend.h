//===- frontend/Frontend.h - The frontend in one call ----------*- C++ -*-===//
//
// What tools and tests call: parse the prelude and a model file, check names,
// lower to IR. Every stage reports into the same Diagnostics, which the caller
// prints; nothing here exits or prints.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_FRONTEND_H
#define RNNC_FRONTEND_FRONTEND_H

#include "frontend/AST.h"
#include "frontend/Lowering.h"
#include "ir/Diagnostics.h"

#include <optional>
#include <string>

namespace rnnc::frontend {

/// Parses the prelude, then `text` (named `file` in diagnostics), into
/// `program` and runs the name checks. False if an error was reported.
bool parseAndCheck(const std::string &file, std::string text, Program &program,
                   ir::Diagnostics &diags);

/// parseAndCheck, then lowerProgram. Nothing if an error was reported.
std::optional<LoweredProgram> compileSource(const std::string &file,
                                            std::string text,
                                            const LowerOptions &options,
                                            ir::Diagnostics &diags,
                                            Program *programOut = nullptr);

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_FRONTEND_H
