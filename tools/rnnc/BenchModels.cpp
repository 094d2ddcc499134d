//===- tools/rnnc/BenchModels.cpp - What `rnnc bench` measures ------------===//
//
// Configurations and generated model texts, random arguments, FLOP
// counting and the examples folder for `rnnc bench` (BenchModels.h).
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/BenchModels.h"

#include "runtime/Initializers.h"
#include "tools/rnnc/DropoutMasks.h"
#include "tools/rnnc/ModelArgs.h"

#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace rnnc::driver {

std::string benchCellSource(const std::string &cell, bool train) {
  // Written like examples/*.rnn so the frontend sees nothing special: the
  // benchmark measures what a user's one-layer model would compile to.
  std::string s = "# rnnc bench: one " + cell + " layer.\n";
  s += "model bench_" + cell + "(I, H) {\n";
  s += "  input x: seq[f32[I]]\n";
  if (train)
    s += "  target y: seq[f32[H]]\n";
  s += "  h = " + cell + "(x, H=H)\n";
  s += train ? "  loss mse(h, y)\n" : "  output h\n";
  s += "}\n";
  return s;
}

std::string benchLmLstmSource() {
  // Keep in step with `model lm` in examples/custom_cell.rnn: only the cell
  // differs, so the two lines' ratio is the custom cell's cost.
  return "# rnnc bench: examples/custom_cell.rnn's lm with the built-in lstm.\n"
         "model lm_lstm(V, H = 128) {\n"
         "  input  x: seq[token[V]]\n"
         "  target y: seq[token[V]]\n"
         "  h = lstm(embed(x, 32), H=H)\n"
         "  loss cross_entropy(linear(h, V), y)\n"
         "}\n";
}

namespace {

/// The vocabulary of a token value from the ops reading it; 0 if unknown.
int64_t vocabOfValue(const ir::Value *v, int depth) {
  if (depth > 8)
    return 0;
  for (const ir::Use &use : v->uses()) {
    const ir::Operation *op = use.user;
    switch (op->kind()) {
    case ir::OpKind::Embed:
      if (use.index == 1 && op->operand(0)->type().rank() == 2 &&
          op->operand(0)->type().dim(0).isStatic())
        return op->operand(0)->type().dim(0).size;
      break;
    case ir::OpKind::CrossEntropy: {
      const ir::TensorType &logits = op->operand(0)->type();
      if (use.index == 1 && logits.rank() > 0 &&
          logits.dim(logits.rank() - 1).isStatic())
        return logits.dim(logits.rank() - 1).size;
      break;
    }
    case ir::OpKind::OneHot:
      if (op->getInt("depth") > 0)
        return op->getInt("depth");
      break;
    case ir::OpKind::Scan: {
      // Sequences and captures enter the body as the argument of the same
      // position (the lengths operand, last, has no body argument).
      ir::ScanLayout layout = ir::scanLayout(*op);
      if (use.index >= layout.lengthsIndex() || op->numRegions() == 0)
        break;
      const ir::Block *body = op->region(0);
      if (use.index < body->numArgs())
        if (int64_t n = vocabOfValue(body->arg(use.index), depth + 1))
          return n;
      break;
    }
    default:
      break;
    }
  }
  return 0;
}

/// The size of `d` under `syms`, or an error naming the symbol.
Result<int64_t> sizeOf(const ir::Dim &d,
                       const std::map<std::string, int64_t> &syms) {
  if (d.isStatic())
    return d.size;
  auto it = syms.find(d.sym);
  if (it == syms.end())
    return makeError("no size for the symbolic dim '" + d.sym + "'");
  return it->second;
}

Status addBlockFlops(const ir::Block &block, double perCall,
                     const std::map<std::string, int64_t> &syms,
                     double &total) {
  for (const auto &op : block.ops()) {
    if (op->kind() == ir::OpKind::MatMul) {
      // result [..., M, N] = a [..., M, K] x b [K, N] (either transposed):
      // one multiply and one add per result element and K.
      const ir::TensorType &a = op->operand(0)->type();
      const ir::TensorType &r = op->result(0)->type();
      if (a.rank() < 2)
        return makeError("matmul with an operand of rank " +
                         std::to_string(a.rank()));
      bool ta = op->getBool("transpose_a");
      auto k = sizeOf(a.dim(ta ? a.rank() - 2 : a.rank() - 1), syms);
      if (!k)
        return Error{k.error()};
      double elems = 1;
      for (const ir::Dim &d : r.dims()) {
        auto n = sizeOf(d, syms);
        if (!n)
          return Error{n.error()};
        elems *= static_cast<double>(*n);
      }
      total += perCall * 2.0 * elems * static_cast<double>(*k);
    } else if (op->kind() == ir::OpKind::Scan && op->numRegions() > 0) {
      // The body runs once per step of the first sequence (the verifier
      // requires one); with lengths = T every row takes every step.
      auto steps = sizeOf(op->operand(0)->type().dim(0), syms);
      if (!steps)
        return Error{steps.error()};
      Status s = addBlockFlops(
          *op->region(0), perCall * static_cast<double>(*steps), syms, total);
      if (!s)
        return s;
    }
  }
  return Status::ok();
}

} // namespace

BenchSources::~BenchSources() {
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

Result<std::string> BenchSources::write(const std::string &name,
                                        const std::string &text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (dir.empty()) {
    // One folder per process, so concurrent runs do not share files.
    fs::path d = fs::temp_directory_path(ec) /
                 ("rnnc-bench-" + std::to_string(getpid()));
    if (ec || !fs::create_directories(d, ec) || ec)
      return makeError("cannot create a folder for the generated models "
                       "in the temporary directory");
    dir = d.string();
  }
  std::string path = (fs::path(dir) / (name + ".rnn")).string();
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out.flush())
    return makeError("cannot write " + path);
  return path;
}

Result<BenchConfig> benchCellConfig(BenchSources &files,
                                    const std::string &cell, int64_t input,
                                    int64_t hidden, int64_t batch,
                                    int64_t steps, bool train) {
  auto path = files.write("bench_" + cell + (train ? "_train" : "_infer"),
                          benchCellSource(cell, train));
  if (!path)
    return Error{path.error()};
  BenchConfig c;
  c.label = cell;
  c.file = *path;
  c.sizes = {{"I", input}, {"H", hidden}};
  c.batch = batch;
  c.steps = steps;
  c.train = train;
  c.reportI = input;
  c.reportH = hidden;
  return c;
}

Result<std::vector<BenchConfig>>
standardBenchConfigs(BenchSources &files, const std::string &examples) {
  struct Cell {
    const char *cell;
    int64_t size, batch;
    bool train;
  };
  const Cell cells[] = {{"lstm", 256, 1, false},  {"gru", 256, 1, false},
                        {"rnn", 256, 1, false},   {"lstm", 1024, 1, false},
                        {"lstm", 256, 64, false}, {"lstm", 512, 64, false},
                        {"lstm", 512, 64, true}};
  std::vector<BenchConfig> out;
  for (const Cell &c : cells) {
    auto cfg =
        benchCellConfig(files, c.cell, c.size, c.size, c.batch, 100, c.train);
    if (!cfg)
      return Error{cfg.error()};
    out.push_back(cfg.take());
  }
  namespace fs = std::filesystem;
  // The custom cell against the built-in lstm in the same model, then the
  // char-LM's full training step, at its train block's batch and window.
  BenchConfig lm;
  lm.file = (fs::path(examples) / "custom_cell.rnn").string();
  lm.sizes = {{"V", 65}, {"H", 256}};
  lm.batch = 32;
  lm.steps = 64;
  lm.train = true;
  out.push_back(lm);
  auto lmLstm = files.write("lm_lstm", benchLmLstmSource());
  if (!lmLstm)
    return Error{lmLstm.error()};
  lm.file = *lmLstm;
  out.push_back(lm);
  BenchConfig charlm = lm;
  charlm.file = (fs::path(examples) / "charlm.rnn").string();
  charlm.sizes = {{"V", 65}};
  charlm.label = "charlm";
  charlm.fullStep = true;
  out.push_back(charlm);
  return out;
}

int64_t tokenVocab(const LoadedModel &model,
                   const std::vector<DeclaredData> &declared,
                   unsigned argIndex) {
  const frontend::SlotInfo &slot = model.info.args[argIndex];
  for (const DeclaredData &d : declared)
    if (d.name == slot.name && d.isToken && !d.dimNames.empty() &&
        model.info.sizes.count(d.dimNames[0]))
      return model.info.sizes.at(d.dimNames[0]);
  return vocabOfValue(model.fn->arg(argIndex), 0);
}

Result<std::vector<Tensor>>
benchArguments(const LoadedModel &model,
               const std::vector<DeclaredData> &declared, int64_t batch,
               int64_t steps, uint64_t seed) {
  const frontend::ModelInfo &info = model.info;
  ModelArgs layout(info);
  std::vector<Tensor> args = layout.withParams(model.params);
  std::vector<Tensor> states = layout.initialStates(batch);
  for (size_t s = 0; s < states.size(); ++s)
    args[layout.states()[s]] = std::move(states[s]);
  Rng rng(seed);
  for (unsigned i = 0; i < info.args.size(); ++i) {
    const frontend::SlotInfo &slot = info.args[i];
    bool data = slot.role == "input" || slot.role == "target";
    if (!data && slot.role != "lengths")
      continue;
    std::vector<int64_t> shape;
    for (const ir::Dim &d : slot.type.dims())
      shape.push_back(d.isStatic() ? d.size : d.sym == "B" ? batch : steps);
    Tensor t(slot.type.dtype(), shape);
    if (slot.role == "lengths") {
      for (int32_t &v : t.i32Vec())
        v = static_cast<int32_t>(steps);
    } else if (t.dtype() == DType::F32) {
      for (float &v : t.f32Vec())
        v = static_cast<float>(rng.nextNormal());
    } else {
      int64_t vocab = tokenVocab(model, declared, i);
      if (vocab <= 0)
        return makeError("cannot tell the vocabulary size of " + slot.role +
                         " '" + slot.name + "'");
      for (int32_t &v : t.i32Vec())
        v = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(vocab));
    }
    args[i] = std::move(t);
  }
  // Masks last: their dims are read off the data arguments.
  Status masks = fillDropoutMasks(info, args, seed, 0);
  if (!masks)
    return Error{masks.error()};
  return args;
}

std::map<std::string, int64_t> boundSymbols(const ir::Function &fn,
                                            const std::vector<Tensor> &args) {
  std::map<std::string, int64_t> syms;
  for (unsigned i = 0; i < fn.numArgs() && i < args.size(); ++i) {
    const ir::TensorType &t = fn.arg(i)->type();
    if (static_cast<int64_t>(t.rank()) != args[i].rank())
      continue;
    for (size_t d = 0; d < t.rank(); ++d)
      if (!t.dim(d).isStatic())
        syms.emplace(t.dim(d).sym, args[i].dim(static_cast<int64_t>(d)));
  }
  return syms;
}

Result<double> matmulFlops(const ir::Function &fn,
                           const std::map<std::string, int64_t> &syms) {
  double total = 0;
  Status s = addBlockFlops(fn.body(), 1.0, syms, total);
  if (!s)
    return Error{s.error()};
  return total;
}

Result<std::string> findExamplesDir(const std::string &flag) {
  namespace fs = std::filesystem;
  auto complete = [](const fs::path &dir) {
    std::error_code ec;
    return fs::is_regular_file(dir / "charlm.rnn", ec) &&
           fs::is_regular_file(dir / "custom_cell.rnn", ec);
  };
  if (!flag.empty()) {
    if (!complete(flag))
      return makeError("--examples " + flag +
                       ": no charlm.rnn and custom_cell.rnn there");
    return flag;
  }
  // The executable sits in <build>/tools/ and builds live in (or beside)
  // the source tree, so the nearest examples/ above it is the repository's.
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec)
    return makeError("cannot tell where rnnc is (/proc/self/exe); pass "
                     "--examples DIR");
  for (fs::path dir = exe.parent_path();; dir = dir.parent_path()) {
    if (complete(dir / "examples"))
      return (dir / "examples").string();
    if (dir == dir.parent_path())
      break;
  }
  return makeError("found no examples/ with charlm.rnn and custom_cell.rnn "
                   "in the folders above " +
                   exe.parent_path().string() + "; pass --examples DIR");
}

} // namespace rnnc::driver
