//===- passes/PassManager.cpp - Named passes and pipelines ----------------===//
//
// The pass registry (name -> description and factory), the pipeline parser and
// the runner with its instrumentation: verify after each pass, print the IR
// after each pass, and a per-pass timing report.
//
// The registry is filled by an explicit call (registerAllPasses), never by
// static initializers in the pass files: a static library's object file that
// nothing references is dropped by the linker, and its pass with it.
//
//===----------------------------------------------------------------------===//
#include "passes/PassManager.h"

#include "passes/Passes.h"

#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

namespace rnnc::passes {

//===--- Registry ---------------------------------------------------------===//

namespace {
struct Entry {
  std::string description;
  PassFactory factory;
};

struct Registry {
  std::mutex mutex;
  std::map<std::string, Entry, std::less<>> passes;
  bool builtinsRegistered = false;
};

Registry &registry() {
  // A function-local static: constructed on first use, whatever the order in
  // which translation units are initialized.
  static Registry r;
  return r;
}
} // namespace

void registerPass(std::string name, std::string description,
                  PassFactory factory) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.passes[std::move(name)] = Entry{std::move(description), std::move(factory)};
}

void registerAllPasses() {
  {
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (r.builtinsRegistered)
      return;
    r.builtinsRegistered = true;
  }
  // Each pass states its own name and description; one instance reads them.
  for (PassFactory factory :
       {PassFactory(createCanonicalizePass), PassFactory(createCSEPass),
        PassFactory(createDCEPass), PassFactory(createFoldEmbeddingPass),
        PassFactory(createGateFusionPass),
        PassFactory(createHoistInputProjectionPass),
        PassFactory(createSinkAccumulatorsPass),
        PassFactory(createSinkSlicesPass)}) {
    std::unique_ptr<Pass> pass = factory();
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    // An explicit registration under a built-in name wins, in either order.
    r.passes.try_emplace(std::string(pass->name()),
                         Entry{std::string(pass->description()), factory});
  }
}

std::unique_ptr<Pass> createPass(std::string_view name) {
  registerAllPasses();
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.passes.find(name);
  if (it == r.passes.end())
    return nullptr;
  return it->second.factory();
}

std::vector<std::pair<std::string, std::string>> registeredPasses() {
  registerAllPasses();
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &[name, entry] : r.passes) // std::map: sorted by name
    out.emplace_back(name, entry.description);
  return out;
}

//===--- FunctionPass -----------------------------------------------------===//

Status FunctionPass::run(ir::Module &module) {
  for (auto &fn : module.functions()) {
    Status s = runOnFunction(*fn);
    if (!s)
      return makeError("in function '" + fn->name() + "': " + s.error());
  }
  return Status::ok();
}

//===--- Pipeline parsing -------------------------------------------------===//

static std::string_view trim(std::string_view s) {
  const char *blanks = " \t\r\n";
  size_t b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos)
    return {};
  size_t e = s.find_last_not_of(blanks);
  return s.substr(b, e - b + 1);
}

static std::string knownPassList() {
  std::string list;
  for (const auto &[name, desc] : registeredPasses())
    list += (list.empty() ? "" : ", ") + name;
  return list;
}

Status PassManager::addPipeline(std::string_view text) {
  if (trim(text).empty())
    return Status::ok();
  // Parse the whole pipeline first, so an error appends nothing.
  std::vector<std::unique_ptr<Pass>> parsed;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view name = trim(text.substr(
        start, comma == std::string_view::npos ? comma : comma - start));
    if (name.empty())
      return makeError("empty pass name in pipeline '" + std::string(text) +
                       "'; known passes: " + knownPassList());
    std::unique_ptr<Pass> pass = createPass(name);
    if (!pass)
      return makeError("unknown pass '" + std::string(name) +
                       "' in pipeline; known passes: " + knownPassList());
    parsed.push_back(std::move(pass));
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  for (auto &p : parsed)
    pipeline.push_back(std::move(p));
  return Status::ok();
}

//===--- Running ----------------------------------------------------------===//

namespace {
using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Per-pass wall times, printed as a table like LLVM's -time-passes.
struct TimingReport {
  std::vector<std::pair<std::string, double>> rows; // (name, seconds)
  double verifySeconds = 0;

  void print(std::ostream &os) const {
    double total = verifySeconds;
    for (const auto &row : rows)
      total += row.second;
    auto line = [&](double secs, const std::string &name) {
      char buf[128];
      double pct = total > 0 ? 100.0 * secs / total : 0.0;
      std::snprintf(buf, sizeof(buf), "  %12.4f  %6.1f%%  ", secs * 1e3, pct);
      os << buf << name << "\n";
    };
    os << "===---------------------------------------------------===\n"
       << "             Pass execution timing report\n"
       << "===---------------------------------------------------===\n"
       << "  Wall time (ms)       %  Pass\n";
    for (const auto &[name, secs] : rows)
      line(secs, name);
    if (verifySeconds > 0)
      line(verifySeconds, "(verifier)");
    line(total, "Total");
  }
};

/// Prints the timing report when the run ends, whichever way it ends.
struct ReportOnExit {
  const TimingReport &report;
  std::ostream *os;
  ~ReportOnExit() {
    if (os)
      report.print(*os);
  }
};
} // namespace

/// Verifies the module, accumulating the time spent; true when well formed.
static bool verify(const ir::Module &module, ir::Diagnostics &diags,
                   TimingReport &report) {
  Clock::time_point start = Clock::now();
  bool ok = ir::verifyModule(module, diags);
  report.verifySeconds += secondsSince(start);
  return ok;
}

static void printIR(const ir::Module &module, std::string_view passName,
                    std::ostream &os) {
  os << "// -----// IR after " << passName << " //----- //\n";
  ir::printModule(module, os);
  os.flush();
}

Status PassManager::run(ir::Module &module, ir::Diagnostics &diags) {
  TimingReport report;
  ReportOnExit reportOnExit{report, opts.timePasses};

  if (opts.verifyEach && !pipeline.empty() && !verify(module, diags, report))
    return makeError("IR invalid before the first pass ran");

  for (auto &pass : pipeline) {
    std::string name(pass->name());
    Clock::time_point start = Clock::now();
    Status status = pass->run(module);
    report.rows.emplace_back(name, secondsSince(start));
    if (!status)
      return makeError("pass '" + name + "' failed: " + status.error());
    if (opts.verifyEach && !verify(module, diags, report))
      return makeError("IR invalid after pass '" + name + "'");
    if (opts.printAfterAll)
      printIR(module, name, *opts.printAfterAll);
  }
  return Status::ok();
}

} // namespace rnnc::passes
