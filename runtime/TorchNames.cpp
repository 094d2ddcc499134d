//===- runtime/TorchNames.cpp - PyTorch <-> rnnc names for standard cells -===//
//
// Each cell is described by a table (gate letters, and which PyTorch biases
// feed each rnnc bias), so the three cells share one import and one export.
//
//===----------------------------------------------------------------------===//
#include "runtime/TorchNames.h"

#include <vector>

namespace rnnc {

namespace {

/// One rnnc bias: the gate block it covers and which PyTorch biases it sums.
struct BiasMap {
  const char *name; // without the layer prefix
  int gate;
  bool fromIh, fromHh;
};

struct CellTable {
  std::vector<std::string> gates; // suffixes of W/U per gate block
  std::vector<BiasMap> biases;
};

Result<CellTable> lookupCell(const std::string &kind) {
  if (kind == "lstm")
    return CellTable{{"i", "f", "g", "o"},
                     {{"bi", 0, true, true},
                      {"bf", 1, true, true},
                      {"bg", 2, true, true},
                      {"bo", 3, true, true}}};
  if (kind == "gru")
    return CellTable{{"r", "z", "n"},
                     {{"br", 0, true, true},
                      {"bz", 1, true, true},
                      {"bn", 2, true, false},
                      {"cn", 2, false, true}}};
  if (kind == "rnn")
    return CellTable{{""}, {{"b", 0, true, true}}};
  return makeError("unknown cell kind '" + kind +
                   "' (expected lstm, gru or rnn)");
}

/// Rows [row, row + n) of a rank-1 or rank-2 f32 tensor.
Tensor sliceRows(const Tensor &t, int64_t row, int64_t n) {
  std::vector<int64_t> shape = t.shape();
  int64_t width = t.rank() == 2 ? shape[1] : 1;
  shape[0] = n;
  const float *src = t.f32Data() + row * width;
  return Tensor::f32(shape, std::vector<float>(src, src + n * width));
}

/// Checks `t` is f32 of the given shape; `what` names it in the message.
Status expectShape(const Tensor &t, const std::vector<int64_t> &shape,
                   const std::string &what) {
  if (t.dtype() != DType::F32 || t.shape() != shape) {
    std::string want = "f32[";
    for (size_t k = 0; k < shape.size(); ++k)
      want += (k ? "," : "") + std::to_string(shape[k]);
    return makeError("'" + what + "' is " + t.typeString() + ", expected " +
                     want + "]");
  }
  return Status::ok();
}

} // namespace

std::string TorchLayer::key(const std::string &base) const {
  return prefix + base + "_l" + std::to_string(layer) +
         (reverse ? "_reverse" : "");
}

Result<TensorMap> importTorchCell(const std::string &kind,
                                  const TensorMap &torch,
                                  const TorchLayer &from,
                                  const std::string &layer, int64_t hidden) {
  auto cell = lookupCell(kind);
  if (!cell)
    return makeError(cell.error());
  auto fail = [&](const std::string &what) {
    return makeError("importing PyTorch " + kind + " '" + from.key("*") +
                     "' into '" + layer + "': " + what);
  };
  if (hidden <= 0)
    return fail("hidden size must be positive");
  int64_t gates = static_cast<int64_t>(cell->gates.size());
  int64_t rows = gates * hidden;
  if (torch.count(from.key("weight_hr")))
    return fail("LSTM projections (proj_size) are not supported");
  auto get = [&](const std::string &base) -> const Tensor * {
    auto it = torch.find(from.key(base));
    return it == torch.end() ? nullptr : &it->second;
  };
  const Tensor *wih = get("weight_ih"), *whh = get("weight_hh");
  const Tensor *bih = get("bias_ih"), *bhh = get("bias_hh");
  if (!wih)
    return fail("missing tensor '" + from.key("weight_ih") + "'");
  if (!whh)
    return fail("missing tensor '" + from.key("weight_hh") + "'");
  if (!bih != !bhh)
    return fail("'" + from.key(bih ? "bias_hh" : "bias_ih") +
                "' is missing but its partner is present");
  if (wih->rank() != 2)
    return fail("'" + from.key("weight_ih") + "' is " + wih->typeString() +
                ", expected a matrix");
  int64_t input = wih->dim(1);
  if (Status s = expectShape(*wih, {rows, input}, from.key("weight_ih")); !s)
    return fail(s.error());
  if (Status s = expectShape(*whh, {rows, hidden}, from.key("weight_hh")); !s)
    return fail(s.error());
  if (bih) {
    if (Status s = expectShape(*bih, {rows}, from.key("bias_ih")); !s)
      return fail(s.error());
    if (Status s = expectShape(*bhh, {rows}, from.key("bias_hh")); !s)
      return fail(s.error());
  }

  TensorMap out;
  for (int64_t g = 0; g < gates; ++g) {
    out[layer + ".W" + cell->gates[g]] = sliceRows(*wih, g * hidden, hidden);
    out[layer + ".U" + cell->gates[g]] = sliceRows(*whh, g * hidden, hidden);
  }
  for (const BiasMap &b : cell->biases) {
    Tensor sum(DType::F32, {hidden});
    for (int64_t k = 0; k < hidden && bih; ++k) {
      int64_t row = b.gate * hidden + k;
      // Summed in float, as PyTorch adds the two biases in f32.
      sum.f32Vec()[k] = (b.fromIh ? bih->f32Data()[row] : 0.0f) +
                        (b.fromHh ? bhh->f32Data()[row] : 0.0f);
    }
    out[layer + "." + b.name] = std::move(sum);
  }
  return out;
}

Result<TensorMap> exportTorchCell(const std::string &kind,
                                  const TensorMap &params,
                                  const std::string &layer,
                                  const TorchLayer &to, int64_t hidden) {
  auto cell = lookupCell(kind);
  if (!cell)
    return makeError(cell.error());
  auto fail = [&](const std::string &what) {
    return makeError("exporting " + kind + " '" + layer + "' to PyTorch '" +
                     to.key("*") + "': " + what);
  };
  if (hidden <= 0)
    return fail("hidden size must be positive");
  int64_t gates = static_cast<int64_t>(cell->gates.size());
  auto get = [&](const std::string &name) -> const Tensor * {
    auto it = params.find(layer + "." + name);
    return it == params.end() ? nullptr : &it->second;
  };
  const Tensor *w0 = get("W" + cell->gates[0]);
  if (!w0)
    return fail("missing tensor '" + layer + ".W" + cell->gates[0] + "'");
  if (w0->rank() != 2)
    return fail("'" + layer + ".W" + cell->gates[0] + "' is " +
                w0->typeString() + ", expected a matrix");
  int64_t input = w0->dim(1);

  Tensor wih(DType::F32, {gates * hidden, input});
  Tensor whh(DType::F32, {gates * hidden, hidden});
  Tensor bih(DType::F32, {gates * hidden}), bhh(DType::F32, {gates * hidden});
  // Copies a [H, width] block into rows [g*H, (g+1)*H) of `dst`.
  auto place = [&](const std::string &name, std::vector<int64_t> shape,
                   Tensor &dst, int64_t g) -> Status {
    const Tensor *t = get(name);
    if (!t)
      return makeError("missing tensor '" + layer + "." + name + "'");
    if (Status s = expectShape(*t, shape, layer + "." + name); !s)
      return s;
    int64_t width = shape.size() == 2 ? shape[1] : 1;
    std::copy(t->f32Vec().begin(), t->f32Vec().end(),
              dst.f32Vec().begin() + g * hidden * width);
    return Status::ok();
  };
  for (int64_t g = 0; g < gates; ++g) {
    if (Status s = place("W" + cell->gates[g], {hidden, input}, wih, g); !s)
      return fail(s.error());
    if (Status s = place("U" + cell->gates[g], {hidden, hidden}, whh, g); !s)
      return fail(s.error());
  }
  for (const BiasMap &b : cell->biases)
    // A summed bias goes to bias_ih (bias_hh stays zero); GRU's bn and cn
    // each have their own side.
    if (Status s = place(b.name, {hidden}, b.fromIh ? bih : bhh, b.gate); !s)
      return fail(s.error());

  TensorMap out;
  out[to.key("weight_ih")] = std::move(wih);
  out[to.key("weight_hh")] = std::move(whh);
  out[to.key("bias_ih")] = std::move(bih);
  out[to.key("bias_hh")] = std::move(bhh);
  return out;
}

} // namespace rnnc
