#!/usr/bin/env python3
"""compare_valid.py OUT.npy REF.npy LENGTHS.npy TOL: |out - ref| <= TOL at
every position t < length of its row (rnnc zeroes the rest, PyTorch's
pad_packed_sequence pads with zeros too, but only valid ones matter)."""
import sys

import numpy as np

out, ref, lengths = np.load(sys.argv[1]), np.load(sys.argv[2]), np.load(sys.argv[3])
tol = float(sys.argv[4])
assert out.shape == ref.shape, (out.shape, ref.shape)
worst = 0.0
for b, n in enumerate(lengths):
    worst = max(worst, float(np.abs(out[:n, b] - ref[:n, b]).max()))
print("max |rnnc - torch| %.3g" % worst)
sys.exit(0 if worst <= tol else 1)
