//===- frontend/Sema.h - Name checks over cells and declarations -*- C++
//-*-===//
//
// The checks that need no sizes: duplicate declarations, unknown names, reads
// of locals before their assignment, assignments to inputs or parameters,
// states never assigned, cells applied inside cells (including recursion), and
// warnings for parameters and states never read. Shape and size checks need the
// sizes bound at each application, so the lowering does them (Lowering.h).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_SEMA_H
#define RNNC_FRONTEND_SEMA_H

#include "frontend/AST.h"
#include "ir/Diagnostics.h"

#include <string_view>

namespace rnnc::frontend {

/// True for the names a cell body may call (tanh, split, ...).
bool isCellBuiltin(std::string_view name);
/// True for the names a model body may call besides cells (embed, last, ...).
bool isModelBuiltin(std::string_view name);

/// Checks every cell and the uniqueness of top-level names. Returns false if
/// it reported an error.
bool checkProgram(const Program &program, ir::Diagnostics &diags);

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_SEMA_H
