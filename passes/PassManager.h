//===- passes/PassManager.h - Named passes and pipelines -------*- C++ -*-===//
//
// A pass transforms a Module in place. Passes register under a textual name so
// tools build pipelines from strings ("canonicalize,cse,dce"). The manager can
// verify after every pass (on by default in tools and tests), print the IR
// after each pass, and time each pass.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_PASSES_PASSMANAGER_H
#define RNNC_PASSES_PASSMANAGER_H

#include "ir/Diagnostics.h"
#include "ir/Function.h"
#include "runtime/Result.h"

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace rnnc::passes {

class Pass {
public:
  virtual ~Pass() = default;
  /// The name pipelines use, e.g. "cse".
  virtual std::string_view name() const = 0;
  /// One line for `--help` listings.
  virtual std::string_view description() const = 0;
  /// Transforms the module. A failure is an error the user should see (e.g.
  /// a function the pass cannot handle), reported through the Status.
  virtual Status run(ir::Module &module) = 0;
};

/// A pass that transforms each function of the module independently (all of
/// rnnc's passes so far). A failure is reported as "in function 'f': ...".
class FunctionPass : public Pass {
public:
  Status run(ir::Module &module) final;
  virtual Status runOnFunction(ir::Function &fn) = 0;
};

using PassFactory = std::function<std::unique_ptr<Pass>()>;

/// Registers a pass under its name (e.g. a test-only pass); a later
/// registration of the same name replaces an earlier one.
void registerPass(std::string name, std::string description,
                  PassFactory factory);
/// Registers every pass in passes/. Idempotent, and a pass registered
/// explicitly under a built-in name (e.g. by a test) keeps it. createPass,
/// registeredPasses and addPipeline call it themselves, so a tool that forgets
/// still sees every pass.
void registerAllPasses();
/// A new instance of the named pass, or null if no pass has that name.
std::unique_ptr<Pass> createPass(std::string_view name);
/// (name, description) of every registered pass, sorted by name.
std::vector<std::pair<std::string, std::string>> registeredPasses();

struct PassManagerOptions {
  bool verifyEach = true;
  std::ostream *printAfterAll = nullptr; // where to print IR after each pass
  std::ostream *timePasses = nullptr;    // where to report per-pass times
};

class PassManager {
public:
  explicit PassManager(PassManagerOptions options = {})
      : opts(std::move(options)) {}

  void addPass(std::unique_ptr<Pass> pass) {
    pipeline.push_back(std::move(pass));
  }
  /// Appends the passes of a comma-separated pipeline ("cse,dce"; spaces
  /// around names are ignored, an all-blank text adds nothing). An unknown or
  /// empty name is an error naming it and listing the known ones; on error
  /// nothing is appended.
  Status addPipeline(std::string_view text);

  /// Runs the pipeline in order. With verifyEach, the module is verified
  /// before the first pass (so a pass is never blamed for bad input) and
  /// after each. Stops at the first pass that fails ("pass 'cse' failed: ...")
  /// or leaves the module ill-formed ("IR invalid after pass 'cse'"); the
  /// verifier's messages go to `diags`.
  Status run(ir::Module &module, ir::Diagnostics &diags);

  size_t size() const { return pipeline.size(); }

private:
  PassManagerOptions opts;
  std::vector<std::unique_ptr<Pass>> pipeline;
};

} // namespace rnnc::passes

#endif // RNNC_PASSES_PASSMANAGER_H
