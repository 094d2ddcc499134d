//===- frontend/Prelude.cpp - The standard cells, in the language ---------===//
//
// Gate order and formulation follow PyTorch so weights map one to one:
// LSTM gates i, f, g, o; GRU gates r, z, n with the reset gate applied after
// the recurrent product (PyTorch's b_hn is `cn` here, b_in is `bn`). PyTorch
// keeps two biases per gate (b_ih and b_hh); where the formulation only sees
// their sum, one bias per gate is enough and import/export adds or splits.
//
//===----------------------------------------------------------------------===//
#include "frontend/Prelude.h"

namespace rnnc::frontend {

static const char kPrelude[] = R"rnn(
# Elman RNN: h' = tanh(W x + U h + b).
cell rnn(x: [I]) -> h: [H] {
  param W: [H, I], U: [H, H], b: [H]
  h = tanh(W @ x + U @ h + b)
}

# LSTM (Hochreiter & Schmidhuber 1997); gate order i, f, g, o as in PyTorch.
cell lstm(x: [I]) -> h: [H] {
  state c: [H]
  param Wi, Wf, Wg, Wo: [H, I]
  param Ui, Uf, Ug, Uo: [H, H]
  param bi: [H]
  param bf: [H] = 1            # forget-gate bias starts at 1
  param bg, bo: [H]
  i = sigmoid(Wi @ x + Ui @ h + bi)
  f = sigmoid(Wf @ x + Uf @ h + bf)
  g = tanh(Wg @ x + Ug @ h + bg)
  o = sigmoid(Wo @ x + Uo @ h + bo)
  c = f * c + i * g
  h = o * tanh(c)
}

# GRU (Cho et al. 2014) in PyTorch's form: reset applied after the recurrent
# product, so the candidate's recurrent bias cn sits inside r * (...).
cell gru(x: [I]) -> h: [H] {
  param Wr, Wz, Wn: [H, I]
  param Ur, Uz, Un: [H, H]
  param br, bz, bn, cn: [H]
  r = sigmoid(Wr @ x + Ur @ h + br)
  z = sigmoid(Wz @ x + Uz @ h + bz)
  n = tanh(Wn @ x + bn + r * (Un @ h + cn))
  h = (1 - z) * n + z * h
}
)rnn";

std::string_view preludeSource() { return kPrelude; }

} // namespace rnnc::frontend
