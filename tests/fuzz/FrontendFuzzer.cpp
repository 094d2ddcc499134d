//===- tests/fuzz/FrontendFuzzer.cpp - libFuzzer over the whole frontend --===//
//
// Feeds arbitrary bytes through lexer, parser, name checks and lowering, then
// verifies and prints what was lowered. Whatever the input, the frontend must
// return diagnostics; a crash, a sanitizer report, a hang or lowered IR that
// fails the verifier is a bug (the last one aborts on purpose, so libFuzzer
// records the input).
//
//===----------------------------------------------------------------------===//
#include "frontend/Frontend.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  rnnc::ir::Diagnostics diags;
  rnnc::frontend::LowerOptions options;
  // Bind the size names the examples leave to the data, so fuzzed models
  // derived from them get as far as lowering.
  options.sizes = {{"V", 7}, {"C", 3}, {"Vs", 5}, {"Vt", 6}};
  auto lowered =
      rnnc::frontend::compileSource("fuzz.rnn", text, options, diags);
  (void)diags.str();
  if (!lowered)
    return 0;
  rnnc::ir::Diagnostics verify;
  if (!rnnc::ir::verifyModule(*lowered->module, verify)) {
    std::fprintf(stderr, "lowered IR fails the verifier:\n%s\n",
                 verify.str().c_str());
    std::abort();
  }
  (void)rnnc::ir::toString(*lowered->module);
  for (const auto &m : lowered->models)
    (void)m.str();
  return 0;
}
