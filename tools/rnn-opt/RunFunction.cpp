//===- tools/rnn-opt/RunFunction.cpp - rnn-opt --run ----------------------===//
//
// Runs a function on the reference interpreter. Inputs come from .npy files
// (checked against the argument types here, so a mismatch names the file) or
// are pseudo-random: the generator is a fixed splitmix64 stream, not <random>
// distributions, whose output differs between standard libraries, so a seed
// gives the same inputs everywhere.
//
// Random inputs: f32 uniform in [-1, 1); i32 uniform in [0, m) where m is the
// smallest dim size among all arguments' (bound) types, at least 1, so i32
// arguments are valid token ids for any table and valid lengths for any
// sequence among the arguments.
//
//===----------------------------------------------------------------------===//
#include "tools/rnn-opt/RunFunction.h"

#include "ir/Interpreter.h"
#include "ir/Printer.h"
#include "runtime/Npy.h"

#include <algorithm>
#include <cstdio>

namespace rnnc::tools {

namespace {

class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [-1, 1), on a grid of 2^-23 (exact in f32).
  float nextSigned() {
    return static_cast<float>(static_cast<int64_t>(next() >> 40) -
                              (int64_t(1) << 23)) /
           static_cast<float>(int64_t(1) << 23);
  }

private:
  uint64_t state;
};

std::string argLabel(const ir::Function &fn, unsigned i) {
  std::string name = fn.arg(i)->name();
  return "argument " + std::to_string(i) +
         (name.empty() ? std::string() : " '%" + name + "'") + " (" +
         fn.arg(i)->type().str() + ")";
}

/// The concrete shape of argument i under `bindings`, or an error naming the
/// unbound symbol.
Result<std::vector<int64_t>>
concreteShape(const ir::Function &fn, unsigned i,
              const std::map<std::string, int64_t> &bindings) {
  std::vector<int64_t> shape;
  for (const ir::Dim &d : fn.arg(i)->type().dims()) {
    if (d.isStatic()) {
      shape.push_back(d.size);
      continue;
    }
    auto it = bindings.find(d.sym);
    if (it == bindings.end())
      return makeError("--bind gives no size for symbolic dim '" + d.sym +
                       "' of " + argLabel(fn, i) + "; add e.g. --bind " +
                       d.sym + "=2");
    shape.push_back(it->second);
  }
  return shape;
}

Result<std::vector<Tensor>> randomInputs(const ir::Function &fn,
                                         const OptOptions &opts) {
  std::vector<std::vector<int64_t>> shapes;
  int64_t smallest = -1;
  int64_t total = 0;
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    auto shape = concreteShape(fn, i, opts.bindings);
    if (!shape)
      return makeError(shape.error());
    int64_t n = 1;
    for (int64_t s : *shape) {
      if (smallest < 0 || s < smallest)
        smallest = s;
      if (s != 0 && n > (int64_t(1) << 28) / s)
        return makeError(argLabel(fn, i) + " is too large for random inputs");
      n *= s;
    }
    total += n;
    if (total > (int64_t(1) << 28))
      return makeError("the arguments are too large for random inputs");
    shapes.push_back(*shape);
  }
  int64_t bound = std::max<int64_t>(1, smallest);
  SplitMix64 rng(opts.seed);
  std::vector<Tensor> args;
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    Tensor t(fn.arg(i)->type().dtype(), shapes[i]);
    int64_t n = t.numElements();
    if (t.dtype() == DType::F32)
      for (int64_t k = 0; k < n; ++k)
        t.f32Data()[k] = rng.nextSigned();
    else
      for (int64_t k = 0; k < n; ++k)
        t.i32Data()[k] = static_cast<int32_t>(rng.next() % bound);
    args.push_back(std::move(t));
  }
  return args;
}

/// Checks a loaded tensor against argument i's type, binding symbols.
Status checkInput(const ir::Function &fn, unsigned i, const Tensor &t,
                  const std::string &path,
                  std::map<std::string, int64_t> &bindings) {
  const ir::TensorType &type = fn.arg(i)->type();
  auto mismatch = [&](const std::string &why) {
    return makeError("input file '" + path + "' holds " + t.typeString() +
                     ", but " + argLabel(fn, i) + " needs " + why);
  };
  if (t.dtype() != type.dtype())
    return mismatch(std::string("dtype ") + dtypeName(type.dtype()));
  if (static_cast<size_t>(t.rank()) != type.rank())
    return mismatch("rank " + std::to_string(type.rank()));
  for (size_t d = 0; d < type.rank(); ++d) {
    const ir::Dim &dim = type.dim(d);
    int64_t n = t.dim(static_cast<int64_t>(d));
    if (dim.isStatic()) {
      if (dim.size != n)
        return mismatch("size " + std::to_string(dim.size) + " in dim " +
                        std::to_string(d));
      continue;
    }
    auto [it, inserted] = bindings.emplace(dim.sym, n);
    if (!inserted && it->second != n)
      return mismatch(dim.sym + " = " + std::to_string(it->second) +
                      " (bound by an earlier input) in dim " +
                      std::to_string(d));
  }
  return Status::ok();
}

Result<std::vector<Tensor>> fileInputs(const ir::Function &fn,
                                       const OptOptions &opts) {
  if (opts.inputs.size() != fn.numArgs())
    return makeError("--inputs gives " + std::to_string(opts.inputs.size()) +
                     " file(s) but function '@" + fn.name() + "' takes " +
                     std::to_string(fn.numArgs()) + " argument(s)");
  std::vector<Tensor> args;
  std::map<std::string, int64_t> bindings;
  for (unsigned i = 0; i < fn.numArgs(); ++i) {
    auto t = readNpy(opts.inputs[i]);
    if (!t)
      return makeError(t.error());
    if (Status s = checkInput(fn, i, *t, opts.inputs[i], bindings); !s)
      return makeError(s.error());
    args.push_back(t.take());
  }
  return args;
}

void printTensor(const Tensor &t, std::ostream &os) {
  int64_t n = t.numElements();
  int64_t row = t.rank() ? std::max<int64_t>(1, t.dim(t.rank() - 1)) : 1;
  char buf[32];
  for (int64_t k = 0; k < n; ++k) {
    if (t.dtype() == DType::F32)
      std::snprintf(buf, sizeof(buf), "%.9g", t.f32Data()[k]);
    else
      std::snprintf(buf, sizeof(buf), "%d", t.i32Data()[k]);
    os << buf << ((k + 1) % row == 0 ? "\n" : " ");
  }
}

} // namespace

Status runFunction(const ir::Module &module, const OptOptions &opts,
                   std::ostream &os) {
  if (module.functions().empty())
    return makeError("--run: the module has no functions");
  const ir::Function *fn = module.functions().front().get();
  if (!opts.function.empty()) {
    fn = module.lookup(opts.function);
    if (!fn)
      return makeError("--fn: no function named '" + opts.function + "'");
  }
  Result<std::vector<Tensor>> args = std::vector<Tensor>{};
  if (opts.randomInputs)
    args = randomInputs(*fn, opts);
  else if (!opts.inputs.empty() || fn->numArgs() > 0)
    args = fileInputs(*fn, opts);
  if (!args)
    return makeError(args.error());
  auto results = ir::interpret(*fn, *args);
  if (!results)
    return makeError("running '@" + fn->name() + "': " + results.error());
  for (size_t i = 0; i < results->size(); ++i) {
    const Tensor &t = (*results)[i];
    os << "result " << i << ": " << t.typeString() << "\n";
    printTensor(t, os);
    if (!opts.output.empty()) {
      std::string path = opts.output + std::to_string(i) + ".npy";
      if (Status s = writeNpy(path, t); !s)
        return makeError(s.error());
    }
  }
  return Status::ok();
}

} // namespace rnnc::tools
