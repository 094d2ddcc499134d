//===- tools/rnnc/CompileCommand.cpp - `rnnc compile`: object + header ----===//
//
// Ahead-of-time compilation of one model into an object file exporting a C
// API and its header (codegen/AotCompiler.h; docs/aot.md). The object needs
// only the runtime library at link time.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"
#include "tools/rnnc/LoadedModel.h"
#include "tools/rnnc/TargetFlags.h"

#include "codegen/AotCompiler.h"
#include "runtime/Safetensors.h"
#include "runtime/TextCorpus.h"
#include "tools/rnnc/Checkpoint.h"

#include <cctype>
#include <iostream>
#include <optional>

namespace rnnc::driver {

/// Adds the character vocabulary to the header, before its closing
/// include guard: `<MODEL>_VOCAB_SIZE` and `<MODEL>_VOCAB`, the byte of
/// each id, so a C program maps text to ids exactly as training did.
static std::string withVocabulary(const std::string &header,
                                  const std::string &model,
                                  const CharVocab &vocab) {
  std::string upper;
  for (char c : model)
    upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string defs =
      "/* The character vocabulary of the weights (from rnnc train): id i is\n"
      " * the byte " + upper + "_VOCAB[i]; other bytes have no id. */\n"
      "#define " + upper + "_VOCAB_SIZE " + std::to_string(vocab.size()) +
      "\nstatic const unsigned char " + upper + "_VOCAB[" + upper +
      "_VOCAB_SIZE] = {";
  for (int i = 0; i < vocab.size(); ++i) {
    std::string b = vocab.decode(i);
    defs += (i % 16 == 0 ? "\n    " : " ") +
            std::to_string(b.empty() ? 0 : static_cast<unsigned char>(b[0])) +
            (i + 1 < vocab.size() ? "," : "");
  }
  defs += "};\n\n";
  size_t at = header.rfind("#ifdef __cplusplus\n}");
  if (at == std::string::npos)
    at = header.rfind("#endif");
  if (at == std::string::npos)
    return header + defs;
  return header.substr(0, at) + defs + header.substr(at);
}

static codegen::AotSlot toSlot(const frontend::SlotInfo &s) {
  return {s.name, s.role, s.type, s.init.value};
}

int runCompile(const std::vector<std::string> &args) {
  ModelOptions opts;
  if (!parseModelOptions(args,
                         {"weights", "o", "header", "seed", "model", "target",
                          "cpu", "features", "O", "torch-map"},
                         "compile", opts,
                         {"weights-at-runtime", "verbose", "no-optimize"}))
    return kExitUsage;
  auto flag = [&](const char *n) {
    auto it = opts.extra.find(n);
    return it == opts.extra.end() ? std::string() : it->second;
  };
  if (flag("o").empty()) {
    std::cerr << "rnnc compile: error: no output file given (-o model.o)\n";
    return kExitUsage;
  }
  bool atRuntime = opts.extra.count("weights-at-runtime");
  if (atRuntime && !flag("weights").empty()) {
    std::cerr << "rnnc compile: error: --weights and --weights-at-runtime "
                 "exclude each other\n";
    return kExitUsage;
  }
  int64_t seed = 0;
  if (!flag("seed").empty() &&
      !parseIntFlag("compile", "seed", flag("seed"), seed))
    return kExitUsage;
  codegen::AotOptions aot;
  if (!parseTargetFlags("compile", opts, aot.compile))
    return kExitUsage;
  aot.compile.fuseElementwise = !opts.extra.count("no-optimize");
  // A checkpoint from rnnc train knows the sizes it was trained with and,
  // for text, its character vocabulary: the header then maps ids to bytes.
  std::optional<CharVocab> vocab;
  if (!flag("weights").empty()) {
    auto info = readCheckpointInfo(flag("weights"));
    if (!info) {
      std::cerr << "rnnc compile: error: " << info.error() << "\n";
      return kExitModelError;
    }
    adoptCheckpointSizes(opts, info->sizes, flag("weights"));
    vocab = info->vocab;
  }
  auto model = loadModel(opts, flag("model"));
  if (!model)
    return kExitModelError;
  if (!atRuntime) {
    if (!fillParameters(*model, flag("weights"), static_cast<uint64_t>(seed),
                        flag("torch-map")))
      return kExitModelError;
    if (flag("weights").empty())
      std::cerr << "rnnc compile: note: no --weights given; embedding fresh "
                   "weights from the model's initializers (seed "
                << seed << ")\n";
    for (size_t i = 0; i < model->params.size(); ++i)
      aot.weights.push_back(&model->params.tensor(i));
  }
  aot.prefix = model->info.name;
  for (const frontend::SlotInfo &s : model->info.args)
    aot.args.push_back(toSlot(s));
  for (const frontend::SlotInfo &s : model->info.results)
    aot.results.push_back(toSlot(s));
  aot.sizes = model->info.sizes;
  aot.source = opts.file;
  auto artifacts = codegen::compileAot(*model->fn, aot);
  if (!artifacts) {
    std::cerr << "rnnc compile: error: " << opts.file << ": "
              << artifacts.error() << "\n";
    return kExitModelError;
  }
  if (Status s = writeFileAtomically(flag("o"), artifacts->object); !s) {
    std::cerr << "rnnc compile: error: " << s.error() << "\n";
    return kExitModelError;
  }
  std::string header = flag("header");
  if (vocab)
    artifacts->header = withVocabulary(artifacts->header, model->info.name,
                                       *vocab);
  if (!header.empty())
    if (Status s = writeFileAtomically(header, artifacts->header); !s) {
      std::cerr << "rnnc compile: error: " << s.error() << "\n";
      return kExitModelError;
    }
  if (opts.extra.count("verbose"))
    std::cerr << "rnnc compile: " << flag("o") << ": "
              << artifacts->object.size() << " bytes, "
              << artifacts->weightBytes << " bytes of weights; step: "
              << (artifacts->streamable ? "yes"
                                        : "no (" + artifacts->streamError +
                                              ")")
              << "\n";
  return kExitOk;
}

} // namespace rnnc::driver
