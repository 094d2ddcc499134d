//===- passes/PassManager.cpp - Named passes and pipelines ----------------===//
//
// A minimal pass manager: a registry of named passes, pipelines parsed from
// comma-separated names, optional verification, printing and timing after
// each pass. registerAllPasses() registers nothing yet; passes/ adds its
// passes there.
//
//===----------------------------------------------------------------------===//
#include "passes/PassManager.h"

#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <chrono>
#include <map>

namespace rnnc::passes {

namespace {
struct Entry {
  std::string description;
  PassFactory factory;
};
std::map<std::string, Entry, std::less<>> &registry() {
  static std::map<std::string, Entry, std::less<>> r;
  return r;
}
} // namespace

void registerPass(std::string name, std::string description,
                  PassFactory factory) {
  registry()[std::move(name)] =
      Entry{std::move(description), std::move(factory)};
}

void registerAllPasses() {}

std::unique_ptr<Pass> createPass(std::string_view name) {
  auto it = registry().find(name);
  return it == registry().end() ? nullptr : it->second.factory();
}

std::vector<std::pair<std::string, std::string>> registeredPasses() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &[name, entry] : registry())
    out.emplace_back(name, entry.description);
  return out;
}

Status PassManager::addPipeline(std::string_view text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view name = text.substr(start, comma == std::string_view::npos
                                                   ? std::string_view::npos
                                                   : comma - start);
    auto pass = createPass(name);
    if (!pass) {
      std::string known;
      for (const auto &[n, d] : registeredPasses())
        known += (known.empty() ? "" : ", ") + n;
      return makeError("unknown pass '" + std::string(name) +
                       "' (known: " + (known.empty() ? "none" : known) + ")");
    }
    addPass(std::move(pass));
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return Status::ok();
}

Status PassManager::run(ir::Module &module, ir::Diagnostics &diags) {
  for (auto &pass : pipeline) {
    auto begin = std::chrono::steady_clock::now();
    if (Status s = pass->run(module); !s)
      return makeError("pass '" + std::string(pass->name()) +
                       "' failed: " + s.error());
    auto end = std::chrono::steady_clock::now();
    if (opts.timePasses)
      *opts.timePasses
          << "pass '" << pass->name() << "': "
          << std::chrono::duration<double, std::milli>(end - begin).count()
          << " ms\n";
    if (opts.printAfterAll) {
      *opts.printAfterAll << "// -----// IR after " << pass->name()
                          << " //----- //\n";
      ir::printModule(module, *opts.printAfterAll);
    }
    if (opts.verifyEach && !ir::verifyModule(module, diags))
      return makeError("IR is ill-formed after pass '" +
                       std::string(pass->name()) + "'");
  }
  return Status::ok();
}

} // namespace rnnc::passes
