//===- runtime/AotRuntime.cpp - What `rnnc compile` objects call ----------===//
#include "runtime/AotRuntime.h"
#include "runtime/AlignedFloats.h"

#include "runtime/ExecContext.h"
#include "runtime/ParameterStore.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <string>
#include <vector>

using Json = nlohmann::json;

namespace {

struct Slot {
  std::string name, role;
  rnnc::DType dtype = rnnc::DType::F32;
  /// >= 0: a static size; < 0: symbol -1 - d.
  std::vector<int64_t> dims;
  float init = 0;
  /// Lengths arguments: the symbol whose extent a full row has.
  int counts = -1;
};

/// An element buffer of either dtype (both are 4 bytes).
using Buffer = std::vector<int32_t>;

} // namespace

struct rnnc_aot_ctx {
  std::string error;
  bool failed = false; // the create itself failed: every call fails
  std::string model;
  std::vector<std::string> symbols;
  int streamSym = -1;
  std::string streamError;
  std::vector<Slot> args, results;
  rnnc_aot_entry entry = nullptr;
  std::vector<const void *> params; // per param argument, in order
  rnnc::ParameterStore store;       // weights loaded from a file
  // The loaded f32 weights back to back in argument order: a concatenation
  // of consecutive ones (the fused gate weights) is then used in place by
  // the compiled code instead of being copied on every call.
  rnnc::PackedFloats packed;
  std::vector<unsigned> inputArgs, stepInputArgs, outputResults;
  std::vector<unsigned> stateArgs, finalStates;
  // Streaming: the carried state (one buffer per state argument) and the
  // sizes it was made for.
  bool haveState = false;
  std::vector<int64_t> stateSyms;
  std::vector<Buffer> state, nextState;
  rnnc::ExecContext exec;

  int fail(std::string message) {
    error = std::move(message);
    return 1;
  }
};

static bool parseSlot(const Json &j, const std::vector<std::string> &symbols,
                      Slot &s) {
  s.name = j.at("name").get<std::string>();
  s.role = j.at("role").get<std::string>();
  std::string dt = j.at("dtype").get<std::string>();
  if (dt != "f32" && dt != "i32")
    return false;
  s.dtype = dt == "f32" ? rnnc::DType::F32 : rnnc::DType::I32;
  for (const Json &d : j.at("dims")) {
    if (d.is_number_integer()) {
      s.dims.push_back(d.get<int64_t>());
      continue;
    }
    std::string sym = d.get<std::string>();
    int64_t k = -1;
    for (size_t i = 0; i < symbols.size(); ++i)
      if (symbols[i] == sym)
        k = static_cast<int64_t>(i);
    if (k < 0)
      return false;
    s.dims.push_back(-1 - k);
  }
  if (j.contains("init"))
    s.init = j.at("init").get<float>();
  if (j.contains("counts")) {
    std::string sym = j.at("counts").get<std::string>();
    for (size_t i = 0; i < symbols.size(); ++i)
      if (symbols[i] == sym)
        s.counts = static_cast<int>(i);
  }
  return true;
}

static bool parseDescriptor(rnnc_aot_ctx &c, const char *text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return false;
  try {
    if (j.at("abi").get<int>() != RNNC_AOT_ABI_VERSION) {
      c.fail("the object was made for AOT interface version " +
             std::to_string(j.at("abi").get<int>()) + ", this runtime is " +
             std::to_string(RNNC_AOT_ABI_VERSION));
      return false;
    }
    c.model = j.at("model").get<std::string>();
    c.symbols = j.at("symbols").get<std::vector<std::string>>();
    std::string stream = j.at("stream").get<std::string>();
    c.streamError = j.at("stream_error").get<std::string>();
    for (size_t i = 0; i < c.symbols.size(); ++i)
      if (c.symbols[i] == stream)
        c.streamSym = static_cast<int>(i);
    for (const Json &a : j.at("args")) {
      c.args.emplace_back();
      if (!parseSlot(a, c.symbols, c.args.back()))
        return false;
    }
    for (const Json &r : j.at("results")) {
      c.results.emplace_back();
      if (!parseSlot(r, c.symbols, c.results.back()))
        return false;
    }
  } catch (const Json::exception &) {
    return false;
  }
  for (unsigned i = 0; i < c.args.size(); ++i) {
    const std::string &role = c.args[i].role;
    if (role == "input" || role == "lengths")
      c.inputArgs.push_back(i);
    if (role == "input")
      c.stepInputArgs.push_back(i);
    if (role == "state")
      c.stateArgs.push_back(i);
  }
  for (unsigned r = 0; r < c.results.size(); ++r) {
    if (c.results[r].role == "output")
      c.outputResults.push_back(r);
    if (c.results[r].role == "final_state")
      c.finalStates.push_back(r);
  }
  return c.finalStates.size() == c.stateArgs.size();
}

static bool loadWeights(rnnc_aot_ctx &c, const char *path) {
  std::vector<rnnc::ParamSpec> specs;
  for (const Slot &s : c.args) {
    if (s.role != "param")
      continue;
    rnnc::ParamSpec spec;
    spec.name = s.name;
    spec.dtype = s.dtype;
    spec.shape = s.dims;
    specs.push_back(std::move(spec));
  }
  auto store = rnnc::ParameterStore::create(std::move(specs));
  if (!store) {
    c.fail(store.error());
    return false;
  }
  rnnc::LoadOptions options;
  options.allowUnexpected = true; // checkpoints also hold optimizer state
  auto report = rnnc::loadInto(*store, path, options);
  if (!report) {
    c.fail(report.error());
    return false;
  }
  c.store = std::move(*store);
  c.params.clear();
  std::vector<const std::vector<float> *> parts;
  for (size_t i = 0; i < c.store.size(); ++i)
    if (c.store.tensor(i).dtype() == rnnc::DType::F32)
      parts.push_back(&c.store.tensor(i).f32Vec());
  bool pack = c.packed.pack(parts); // else: short of memory, in place
  size_t part = 0;
  for (size_t i = 0; i < c.store.size(); ++i) {
    const rnnc::Tensor &t = c.store.tensor(i);
    if (t.dtype() != rnnc::DType::F32)
      c.params.push_back(t.i32Data());
    else if (!pack)
      c.params.push_back(t.f32Data());
    else
      c.params.push_back(c.packed.data.data() + c.packed.offsets[part++]);
  }
  return true;
}

extern "C" {

rnnc_aot_ctx *rnnc_aot_create(const char *descriptor,
                              const void *const *embedded, rnnc_aot_entry entry,
                              const char *weights_path) {
  rnnc_aot_ctx *c = new (std::nothrow) rnnc_aot_ctx();
  if (!c)
    return nullptr;
  c->entry = entry;
  try {
    if (!parseDescriptor(*c, descriptor)) {
      if (c->error.empty())
        c->fail("the model descriptor in the object is damaged");
      c->failed = true;
      return c;
    }
    size_t numParams = 0;
    for (const Slot &s : c->args)
      numParams += s.role == "param";
    if (weights_path) {
      if (!loadWeights(*c, weights_path))
        c->failed = true;
    } else if (embedded) {
      c->params.assign(embedded, embedded + numParams);
    } else if (numParams > 0) {
      c->fail("model '" + c->model +
              "' was compiled without weights (--weights-at-runtime); pass "
              "a safetensors file to create");
      c->failed = true;
    }
  } catch (const std::bad_alloc &) {
    c->fail("out of memory");
    c->failed = true;
  }
  if (!c->failed)
    c->error.clear();
  return c;
}

void rnnc_aot_destroy(rnnc_aot_ctx *ctx) { delete ctx; }

const char *rnnc_aot_error(const rnnc_aot_ctx *ctx) {
  if (!ctx)
    return "no context (out of memory at create)";
  return ctx->error.empty() ? nullptr : ctx->error.c_str();
}

/// The element count of `s` under `syms`.
static int64_t numElements(const Slot &s, const std::vector<int64_t> &syms) {
  int64_t n = 1;
  for (int64_t d : s.dims)
    n *= d >= 0 ? d : syms[-1 - d];
  return n;
}

/// Calls the compiled function. `given[i]` is the caller's pointer for
/// argument i (or null: made here); `out[r]` the caller's buffer for
/// result r (or null: scratch). `stateIn` overrides the state arguments.
static int call(rnnc_aot_ctx &c, const std::vector<int64_t> &syms,
                const std::vector<const void *> &given,
                const std::vector<void *> &out,
                const std::vector<Buffer> *stateIn) {
  for (size_t k = 0; k < syms.size(); ++k)
    if (syms[k] < 0)
      return c.fail("size " + c.symbols[k] + " is negative (" +
                    std::to_string(syms[k]) + ")");
  std::vector<Buffer> made;
  made.reserve(c.args.size() + c.results.size());
  std::vector<void *> argPtrs(c.args.size()), resultPtrs(c.results.size());
  unsigned stateIndex = 0;
  for (size_t i = 0; i < c.args.size(); ++i) {
    const Slot &s = c.args[i];
    if (s.role == "param") {
      continue;
    }
    if (s.role == "state" && stateIn) {
      argPtrs[i] = const_cast<int32_t *>((*stateIn)[stateIndex++].data());
      continue;
    }
    if (s.role == "state")
      ++stateIndex;
    if (given[i]) {
      argPtrs[i] = const_cast<void *>(given[i]);
      continue;
    }
    made.emplace_back(static_cast<size_t>(numElements(s, syms)));
    Buffer &b = made.back();
    if (s.role == "lengths") {
      int32_t full = s.counts >= 0 ? static_cast<int32_t>(syms[s.counts]) : 0;
      std::fill(b.begin(), b.end(), full);
    } else if (s.role == "state") {
      std::fill(b.begin(), b.end(), std::bit_cast<int32_t>(s.init));
    } // targets: zeros
    argPtrs[i] = b.data();
  }
  size_t p = 0;
  for (size_t i = 0; i < c.args.size(); ++i)
    if (c.args[i].role == "param")
      argPtrs[i] = const_cast<void *>(c.params[p++]);
  for (size_t r = 0; r < c.results.size(); ++r) {
    if (out[r]) {
      resultPtrs[r] = out[r];
      continue;
    }
    made.emplace_back(static_cast<size_t>(numElements(c.results[r], syms)));
    resultPtrs[r] = made.back().data();
  }
  c.exec.reset();
  c.entry(argPtrs.data(), syms.data(), resultPtrs.data(), c.exec.handle());
  rnnc::Status st = c.exec.status();
  c.exec.reset();
  if (!st)
    return c.fail(st.error());
  return 0;
}

/// Puts the caller's output buffers at their result positions in `out`;
/// a NULL buffer is an error naming the output. Shared by run and step.
static int bindOutputs(rnnc_aot_ctx &c, void *const *outputs,
                       std::vector<void *> &out) {
  for (size_t k = 0; k < c.outputResults.size(); ++k) {
    out[c.outputResults[k]] = outputs[k];
    if (!outputs[k])
      return c.fail("output '" + c.results[c.outputResults[k]].name +
                    "' is NULL");
  }
  return 0;
}

int rnnc_aot_run(rnnc_aot_ctx *ctx, const int64_t *sizes,
                 const void *const *inputs, void *const *outputs) {
  if (!ctx)
    return 1;
  if (ctx->failed)
    return 1;
  try {
    std::vector<int64_t> syms(sizes, sizes + ctx->symbols.size());
    std::vector<const void *> given(ctx->args.size(), nullptr);
    for (size_t k = 0; k < ctx->inputArgs.size(); ++k) {
      unsigned i = ctx->inputArgs[k];
      given[i] = inputs[k];
      if (!given[i] && ctx->args[i].role == "input")
        return ctx->fail("input '" + ctx->args[i].name + "' is NULL");
    }
    std::vector<void *> out(ctx->results.size(), nullptr);
    if (int rc = bindOutputs(*ctx, outputs, out))
      return rc;
    if (int rc = call(*ctx, syms, given, out, nullptr))
      return rc;
  } catch (const std::bad_alloc &) {
    return ctx->fail("out of memory");
  }
  ctx->error.clear();
  return 0;
}

int rnnc_aot_step(rnnc_aot_ctx *ctx, const int64_t *sizes,
                  const void *const *inputs, void *const *outputs) {
  if (!ctx)
    return 1;
  if (ctx->failed)
    return 1;
  if (ctx->streamSym < 0)
    return ctx->fail("model '" + ctx->model +
                     "' cannot be run step by step: " + ctx->streamError);
  try {
    std::vector<int64_t> syms;
    for (size_t k = 0, j = 0; k < ctx->symbols.size(); ++k)
      syms.push_back(static_cast<int>(k) == ctx->streamSym ? 1 : sizes[j++]);
    if (ctx->haveState && syms != ctx->stateSyms)
      return ctx->fail("the sizes changed since the last step (the carried "
                       "state is for other sizes); call reset first");
    if (!ctx->haveState) {
      ctx->state.clear();
      for (unsigned i : ctx->stateArgs) {
        const Slot &s = ctx->args[i];
        ctx->state.emplace_back(static_cast<size_t>(numElements(s, syms)),
                                std::bit_cast<int32_t>(s.init));
      }
      ctx->nextState = ctx->state;
      ctx->stateSyms = syms;
    }
    std::vector<const void *> given(ctx->args.size(), nullptr);
    for (size_t k = 0; k < ctx->stepInputArgs.size(); ++k) {
      unsigned i = ctx->stepInputArgs[k];
      given[i] = inputs[k];
      if (!given[i])
        return ctx->fail("input '" + ctx->args[i].name + "' is NULL");
    }
    std::vector<void *> out(ctx->results.size(), nullptr);
    if (int rc = bindOutputs(*ctx, outputs, out))
      return rc;
    for (size_t k = 0; k < ctx->finalStates.size(); ++k)
      out[ctx->finalStates[k]] = ctx->nextState[k].data();
    // Lengths default to the full (one-step) row in call().
    if (int rc = call(*ctx, syms, given, out, &ctx->state))
      return rc;
    std::swap(ctx->state, ctx->nextState);
    ctx->haveState = true;
  } catch (const std::bad_alloc &) {
    return ctx->fail("out of memory");
  }
  ctx->error.clear();
  return 0;
}

int rnnc_aot_reset(rnnc_aot_ctx *ctx) {
  if (!ctx)
    return 1;
  if (ctx->failed)
    return 1;
  ctx->haveState = false;
  ctx->error.clear();
  return 0;
}

} // extern "C"
