//===- ir/Parser.h - Reading the textual form of IR ------------*- C++ -*-===//
//
// Parses the textual IR (as printed by ir/Printer.h) into a Module. Errors go
// to the Diagnostics sink as file:line:col with the source line and a caret;
// the result is null when there was any error. Never crashes on bad input.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_PARSER_H
#define RNNC_IR_PARSER_H

#include "ir/Diagnostics.h"
#include "ir/Function.h"

#include <memory>
#include <string>
#include <string_view>

namespace rnnc::ir {

std::unique_ptr<Module> parseModule(std::string_view text,
                                    const std::string &filename,
                                    Diagnostics &diags);

} // namespace rnnc::ir

#endif // RNNC_IR_PARSER_H
