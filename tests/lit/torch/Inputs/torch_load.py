#!/usr/bin/env python3
"""Loads a state_dict that `rnnc export` wrote into the PyTorch twin of a
model (load_state_dict is strict: every name and shape must be PyTorch's),
runs it on tokens and saves the output, for torch-reference.test.

  torch_load.py lm|bigru STATE.safetensors X.npy LENGTHS.npy OUT.npy
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_layout import read  # noqa: E402 (the pure-Python reader)


def load(path):
    return {name: torch.tensor(values, dtype=torch.float32).reshape(shape)
            for name, (shape, values) in read(path).items()}


class Twin(torch.nn.Module):
    def __init__(self, kind):
        super().__init__()
        if kind == "lm":
            self.embed, self.rnn, self.fc = torch.nn.Embedding(11, 5), torch.nn.LSTM(5, 7, num_layers=2), torch.nn.Linear(7, 11)
        else:
            self.embed, self.rnn, self.fc = torch.nn.Embedding(11, 6), torch.nn.GRU(6, 5, bidirectional=True), torch.nn.Linear(10, 4)
        self.kind = kind

    def forward(self, x, lengths):
        e = self.embed(x)
        if self.kind == "bigru":
            packed = torch.nn.utils.rnn.pack_padded_sequence(e, lengths, enforce_sorted=False)
            h, _ = self.rnn(packed)
            h, _ = torch.nn.utils.rnn.pad_packed_sequence(h, total_length=x.shape[0])
        else:
            h, _ = self.rnn(e)
        return self.fc(h)


def main(kind, state, x, lengths, out):
    m = Twin(kind)
    m.load_state_dict(load(state))
    with torch.no_grad():
        y = m(torch.from_numpy(np.load(x).astype(np.int64)), torch.from_numpy(np.load(lengths).astype(np.int64)))
    np.save(out, y.numpy())


if __name__ == "__main__":
    main(*sys.argv[1:])
