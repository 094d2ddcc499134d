#!/usr/bin/env python3
"""A classifier's output for a row alone equals that row's output inside a
padded batch, through `rnnc run` (numpy is not assumed).

  cls_padding.py MODEL.rnn tokens|frames WORKDIR [--set NAME=N]...

Writes a time-major batch of three rows of lengths 6, 2 and 4 whose padded
steps hold junk (nonzero ids / large floats: the lengths, not the padding
value, must hide them), runs the model's initialized parameters on it and
on each row alone (unpadded, T = its length), and compares the scores.
"""
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "aot", "Inputs"))
import npy  # noqa: E402  (tests/lit/aot/Inputs/npy.py: writer and reader)

model, kind, work = sys.argv[1], sys.argv[2], sys.argv[3]
sets = sys.argv[4:]
rng = random.Random(3)
lengths = [6, 2, 4]
T, B, F = max(lengths), len(lengths), 3


def step(b, t):
    if kind == "tokens":
        return [rng.randrange(4, 10)] if t < lengths[b] else [9]
    return [rng.uniform(-1, 1) for _ in range(F)] if t < lengths[b] else [50.0] * F


rows = [[step(b, t) for t in range(T)] for b in range(B)]
descr = "<i4" if kind == "tokens" else "<f4"
feat = () if kind == "tokens" else (F,)


def run(name, steps_by_row, lens):
    t = max(lens)
    vals = [v for tt in range(t) for r in steps_by_row for v in r[tt]]
    x = os.path.join(work, name + ".x.npy")
    npy.write(x, descr, (t, len(steps_by_row)) + feat, vals)
    ln = os.path.join(work, name + ".len.npy")
    npy.write(ln, "<i4", (len(lens),), lens)
    out = os.path.join(work, name + ".out.npy")
    subprocess.run(["rnnc", "run", model, "--input", x, "--lengths", ln, "-o", out] + sets,
                   check=True)
    _, shape, data = npy.read(out)
    return shape, data


shape, batch = run("batch", rows, lengths)
C = shape[-1]
worst = 0.0
for b in range(B):
    _, alone = run("row%d" % b, [rows[b][:lengths[b]]], [lengths[b]])
    for c in range(C):
        a, p = alone[c], batch[b * C + c]
        worst = max(worst, abs(a - p))
        assert abs(a - p) <= 1e-5 + 1e-5 * abs(a), "row %d class %d: alone %g, in the batch %g" % (b, c, a, p)
print("OK %d rows, %d scores each, max difference %.3g" % (B, C, worst))
