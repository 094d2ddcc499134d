"""Copies a .safetensors file with one element of its first f32 parameter
(optimizer state skipped) set to NaN: weights a diverged or damaged run
could leave behind."""
import json
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
n = struct.unpack("<Q", data[:8])[0]
header = json.loads(data[8:8 + n])
for name, entry in header.items():
    if name == "__metadata__" or entry["dtype"] != "F32":
        continue
    if name.startswith(("optim.", "adam.", "sgd.", "adamw.", "rmsprop.")):
        continue
    at = 8 + n + entry["data_offsets"][0] + 4  # element 1
    data[at:at + 4] = struct.pack("<f", float("nan"))
    print(name)
    break
open(dst, "wb").write(data)
