#!/usr/bin/env python3
"""show_names.py FILE.safetensors: the tensor names, sorted, on one line."""
import json
import struct
import sys

data = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", data[:8])
print(" ".join(sorted(k for k in json.loads(data[8:8 + n]) if k != "__metadata__")))
