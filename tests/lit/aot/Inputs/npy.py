#!/usr/bin/env python3
"""Tiny .npy writer and comparer for the aot lit tests (numpy is not assumed).

  npy.py tokens OUT.npy T B V SEED     i32[T,B] ids in [0, V)
  npy.py floats OUT.npy SEED D0 D1...  f32 values in [-1, 1)
  npy.py ints OUT.npy v0 v1 ...        i32[n] (e.g. lengths)
  npy.py grid OUT.npy T B v0 v1 ...    i32[T,B] of the values, row-major
  npy.py f64 OUT.npy D0 D1...          f8 zeros (a wrong dtype)
  npy.py compare A.npy B.npy RTOL ATOL same shape, |a-b| <= atol + rtol|b|
  npy.py show A.npy                    dtype and shape
"""
import ast
import random
import struct
import sys


def write(path, descr, shape, values):
    fmt = {"<i4": "i", "<f4": "f", "<f8": "d"}[descr]
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, "".join("%d, " % d for d in shape) if len(shape) != 1 else "%d," % shape[0])
    pad = 64 - (10 + len(header) + 1) % 64
    header += " " * pad + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%d%s" % (len(values), fmt), *values))


def read(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", path + ": not a .npy file"
    major = data[6]
    if major == 1:
        (hlen,), start = struct.unpack("<H", data[8:10]), 10
    else:
        (hlen,), start = struct.unpack("<I", data[8:12]), 12
    header = ast.literal_eval(data[start:start + hlen].decode())
    shape = header["shape"]
    fmt = {"<i4": "i", "<f4": "f", "<f8": "d"}[header["descr"]]
    n = 1
    for d in shape:
        n *= d
    body = data[start + hlen:]
    return header["descr"], shape, struct.unpack("<%d%s" % (n, fmt), body[:4 * n if fmt != "d" else 8 * n])


def main(argv):
    cmd = argv[1]
    if cmd == "tokens":
        out, t, b, v, seed = argv[2], int(argv[3]), int(argv[4]), int(argv[5]), int(argv[6])
        rng = random.Random(seed)
        write(out, "<i4", (t, b), [rng.randrange(v) for _ in range(t * b)])
    elif cmd == "floats":
        out, seed, dims = argv[2], int(argv[3]), [int(d) for d in argv[4:]]
        rng = random.Random(seed)
        n = 1
        for d in dims:
            n *= d
        write(out, "<f4", tuple(dims), [rng.uniform(-1, 1) for _ in range(n)])
    elif cmd == "ints":
        vals = [int(v) for v in argv[3:]]
        write(argv[2], "<i4", (len(vals),), vals)
    elif cmd == "grid":
        t, b = int(argv[3]), int(argv[4])
        values = [int(v) for v in argv[5:]]
        assert len(values) == t * b, "grid needs T*B values"
        write(argv[2], "<i4", (t, b), values)
    elif cmd == "f64":
        dims = [int(d) for d in argv[3:]]
        n = 1
        for d in dims:
            n *= d
        write(argv[2], "<f8", tuple(dims), [0.0] * n)
    elif cmd == "compare":
        da, sa, a = read(argv[2])
        db, sb, b = read(argv[3])
        rtol, atol = float(argv[4]), float(argv[5])
        if sa != sb:
            print("shape mismatch: %s vs %s" % (sa, sb))
            return 1
        worst = max((abs(x - y) - rtol * abs(y) for x, y in zip(a, b)), default=0)
        bad = sum(1 for x, y in zip(a, b) if not abs(x - y) <= atol + rtol * abs(y))
        print("compared %d values, %d outside tolerance, max excess %.3g" % (len(a), bad, worst))
        return 1 if bad else 0
    elif cmd == "show":
        d, s, _ = read(argv[2])
        print(d, s)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
