#!/usr/bin/env python3
"""Builds a PyTorch model, saves its state_dict as safetensors (written here:
the safetensors package is not assumed) and its outputs on random tokens as
.npy, for torch-reference.test.

  torch_reference.py lm|bigru|rnn OUT_DIR
    lm:    nn.Embedding(11, 5) + nn.LSTM(5, 7, num_layers=2) + nn.Linear(7, 11)
    bigru: nn.Embedding(11, 6) + nn.GRU(6, 5, bidirectional=True)
           + nn.Linear(10, 4), rows of different lengths (packed sequences)
    rnn:   nn.Embedding(11, 4) + nn.RNN(4, 6, bias=False) + nn.Linear(6, 3)
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_layout import write  # noqa: E402 (the pure-Python writer)


def save(path, state):
    write(path, {name: (list(t.shape), t.detach().flatten().tolist()) for name, t in state.items()})


def main(kind, out):
    torch.manual_seed(7)
    T, B = 6, 3
    x = torch.randint(0, 11, (T, B))
    lengths = torch.tensor([6, 4, 2])
    if kind == "lm":
        emb, rnn, head = torch.nn.Embedding(11, 5), torch.nn.LSTM(5, 7, num_layers=2), torch.nn.Linear(7, 11)
    elif kind == "bigru":
        emb, rnn, head = torch.nn.Embedding(11, 6), torch.nn.GRU(6, 5, bidirectional=True), torch.nn.Linear(10, 4)
    else:
        emb, rnn, head = torch.nn.Embedding(11, 4), torch.nn.RNN(4, 6, bias=False), torch.nn.Linear(6, 3)
    state = {}
    for prefix, m in (("embed", emb), ("rnn", rnn), ("fc", head)):
        for k, v in m.state_dict().items():
            state[prefix + "." + k] = v
    save(os.path.join(out, kind + ".safetensors"), state)
    with torch.no_grad():
        if kind == "bigru":
            packed = torch.nn.utils.rnn.pack_padded_sequence(emb(x), lengths)
            h, _ = rnn(packed)
            h, _ = torch.nn.utils.rnn.pad_packed_sequence(h, total_length=T)
        else:
            h, _ = rnn(emb(x))
        y = head(h)
    np.save(os.path.join(out, kind + "_x.npy"), x.numpy().astype(np.int32))
    np.save(os.path.join(out, kind + "_len.npy"), lengths.numpy().astype(np.int32))
    np.save(os.path.join(out, kind + "_ref.npy"), y.numpy())


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
