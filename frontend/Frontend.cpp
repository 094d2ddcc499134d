//===- frontend/Frontend.cpp - The frontend in one call -------------------===//
#include "frontend/Frontend.h"

#include "frontend/Parser.h"
#include "frontend/Prelude.h"
#include "frontend/Sema.h"

namespace rnnc::frontend {

bool parseAndCheck(const std::string &file, std::string text, Program &program,
                   ir::Diagnostics &diags) {
  unsigned before = diags.errorCount();
  std::string_view prelude = preludeSource();
  auto preludeName = diags.addSource(kPreludeFileName, std::string(prelude));
  parseSource(preludeName, prelude, program, diags, /*isPrelude=*/true);
  auto name = diags.addSource(file, text);
  size_t modelsBefore = program.models.size();
  parseSource(name, text, program, diags);
  if (diags.errorCount() != before || !checkProgram(program, diags))
    return false;
  if (program.models.size() == modelsBefore) {
    diags.error(ir::Location{name, 1, 1},
                "no model in this file; declare one with 'model name(...) "
                "{ ... }'");
    return false;
  }
  return true;
}

std::optional<LoweredProgram> compileSource(const std::string &file,
                                            std::string text,
                                            const LowerOptions &options,
                                            ir::Diagnostics &diags,
                                            Program *programOut) {
  Program local;
  Program &program = programOut ? *programOut : local;
  if (!parseAndCheck(file, std::move(text), program, diags))
    return std::nullopt;
  return lowerProgram(program, options, diags);
}

} // namespace rnnc::frontend
