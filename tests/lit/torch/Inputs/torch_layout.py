#!/usr/bin/env python3
"""Rewrites rnnc weights in the layout of a PyTorch state_dict (numpy and
torch are not assumed), written from PyTorch's documentation of nn.LSTM /
nn.GRU / nn.RNN, not from rnnc's importer:

  weight_ih_l<k> = rows of the gates stacked (LSTM i, f, g, o; GRU r, z, n)
  weight_hh_l<k> = the same for the recurrent weights
  bias_ih_l<k>, bias_hh_l<k>: rnnc's one bias per gate split in halves
  (halving is exact in binary), except the GRU's n gate, where b_in is rnnc's
  bn and b_hn its cn (b_hn sits inside r * (...)).

  torch_layout.py IN.safetensors OUT.safetensors SPEC...
  SPEC: lstm:LAYER=TORCH.l<k>[_reverse] (also gru:, rnn:) or dense:LAYER=TORCH
"""
import json
import struct
import sys


def read(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        count = (b - a) // 4
        out[name] = (e["shape"], list(struct.unpack("<%df" % count, body[a:b])))
    return out


def write(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (shape, values) in tensors.items():
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(blob)]}
        off += len(blob)
        blobs.append(blob)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


GATES = {"lstm": "ifgo", "gru": "rzn", "rnn": [""]}


def main(argv):
    src, dst = read(argv[1]), {}
    taken = set()
    for spec in argv[3:]:
        kind, _, pair = spec.partition(":")
        layer, torch = pair.split("=")
        if kind == "dense":
            for part in ("weight", "bias"):
                if layer + "." + part in src:
                    dst[torch + "." + part] = src[layer + "." + part]
                    taken.add(layer + "." + part)
            continue
        prefix, _, rest = torch.rpartition(".")
        prefix = prefix + "." if prefix else ""
        suffix = "_" + rest  # l0 or l0_reverse
        gates = GATES[kind]
        for mat, key in (("W", "weight_ih"), ("U", "weight_hh")):
            shape, values = None, []
            for g in gates:
                s, v = src[layer + "." + mat + g]
                taken.add(layer + "." + mat + g)
                shape = [s[0] * len(gates), s[1]]
                values += v
            dst[prefix + key + suffix] = (shape, values)
        ih, hh = [], []
        for g in gates:
            if kind == "gru" and g == "n":
                ih += src[layer + ".bn"][1]
                hh += src[layer + ".cn"][1]
                taken.update([layer + ".bn", layer + ".cn"])
            else:
                b = src[layer + ".b" + g][1]
                taken.add(layer + ".b" + g)
                ih += [x / 2 for x in b]
                hh += [x / 2 for x in b]
        dst[prefix + "bias_ih" + suffix] = ([len(ih)], ih)
        dst[prefix + "bias_hh" + suffix] = ([len(hh)], hh)
    for name, t in src.items():
        if name not in taken and not name.startswith(("optimizer/", "state/")):
            dst[name] = t
    write(argv[2], dst)


if __name__ == "__main__":
    main(sys.argv)
