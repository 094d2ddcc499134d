//===- runtime/TorchNames.h - PyTorch <-> rnnc weight names -----*- C++ -*-===//
//
// Weights trained with torch.nn.LSTM / GRU / RNN load into the prelude cells
// (frontend/Prelude.cpp), and ours export to PyTorch, by renaming and
// slicing: PyTorch stacks the gates of a layer into one matrix, rnnc keeps
// one matrix per gate. Gate order and formulas are PyTorch's, so the mapping
// is exact:
//
//   lstm (gates i, f, g, o), PyTorch rows [k*H, (k+1)*H) = gate k:
//     weight_ih_lN [4H, I] <-> Wi, Wf, Wg, Wo [H, I]
//     weight_hh_lN [4H, H] <-> Ui, Uf, Ug, Uo [H, H]
//     bias_ih_lN + bias_hh_lN [4H] <-> bi, bf, bg, bo [H]  (sum)
//   gru (gates r, z, n): weight_ih <-> Wr, Wz, Wn; weight_hh <-> Ur, Uz, Un;
//     br = b_ir + b_hr, bz = b_iz + b_hz, bn = b_in, cn = b_hn
//     (b_hn sits inside r * (...), so it cannot be folded into bn)
//   rnn (tanh): weight_ih <-> W, weight_hh <-> U, b = bias_ih + bias_hh
//
// Import sums the two PyTorch biases where rnnc has one; a module built with
// bias=False (no bias tensors) imports zero biases. Export writes each summed
// bias to bias_ih and zeros to bias_hh (bn to bias_ih and cn to bias_hh for
// the GRU), which computes the same function. Not supported: LSTM proj_size
// (weight_hr), RNN with nonlinearity='relu' (indistinguishable by its
// weights; the caller must know).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_TORCHNAMES_H
#define RNNC_RUNTIME_TORCHNAMES_H

#include "runtime/Result.h"
#include "runtime/Safetensors.h"

#include <string>

namespace rnnc {

/// Where one PyTorch recurrent layer's tensors live in a state_dict:
/// `<prefix>weight_ih_l<layer>[_reverse]`, e.g. prefix "encoder.lstm.".
struct TorchLayer {
  std::string prefix;
  int layer = 0;
  /// The backward direction of a bidirectional module.
  bool reverse = false;

  /// The full key of one of the layer's tensors ("weight_ih" -> ...).
  std::string key(const std::string &base) const;
};

/// Converts the PyTorch tensors of one layer of cell `kind` ("lstm", "gru"
/// or "rnn") in `torch` to rnnc's parameters of layer `layer` (names
/// "<layer>.Wi", ...). Checks that the tensors exist and have shapes
/// consistent with `hidden`; other tensors in `torch` are ignored.
Result<TensorMap> importTorchCell(const std::string &kind,
                                  const TensorMap &torch,
                                  const TorchLayer &from,
                                  const std::string &layer, int64_t hidden);

/// The reverse: rnnc parameters "<layer>.*" in `params` to the PyTorch
/// tensors of `to`.
Result<TensorMap> exportTorchCell(const std::string &kind,
                                  const TensorMap &params,
                                  const std::string &layer,
                                  const TorchLayer &to, int64_t hidden);

} // namespace rnnc

#endif // RNNC_RUNTIME_TORCHNAMES_H
