//===- frontend/Prelude.h - The standard cells, in the language -*- C++ -*-===//
//
// rnn, lstm and gru are ordinary cells written in .rnn source; the compiler
// parses this text before every model file and special-cases none of them.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_FRONTEND_PRELUDE_H
#define RNNC_FRONTEND_PRELUDE_H

#include <string_view>

namespace rnnc::frontend {

/// The prelude's source text.
std::string_view preludeSource();
/// The file name its diagnostics and locations use.
constexpr const char *kPreludeFileName = "<prelude>";

} // namespace rnnc::frontend

#endif // RNNC_FRONTEND_PRELUDE_H
