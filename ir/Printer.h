//===- ir/Printer.h - The textual form of IR -------------------*- C++ -*-===//
//
// Prints modules and functions in the textual form that ir/Parser.h reads
// back; print -> parse -> print is the identity (docs/ir.md has the grammar).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_IR_PRINTER_H
#define RNNC_IR_PRINTER_H

#include "ir/Function.h"

#include <ostream>
#include <string>

namespace rnnc::ir {

void printModule(const Module &module, std::ostream &os);
void printFunction(const Function &fn, std::ostream &os);
std::string toString(const Module &module);
std::string toString(const Function &fn);

} // namespace rnnc::ir

#endif // RNNC_IR_PRINTER_H
