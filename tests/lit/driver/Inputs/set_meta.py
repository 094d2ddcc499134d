# Rewrites the __metadata__ of a safetensors file, keeping its tensors:
# set_meta.py IN OUT KEY=VALUE... (VALUE "<del>" removes the key). For the
# checkpoint-metadata tests, which need damaged or foreign metadata.
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, 'rb').read()
n = struct.unpack('<Q', data[:8])[0]
hdr = json.loads(data[8:8+n])
meta = hdr.setdefault('__metadata__', {})
for kv in sys.argv[3:]:
    k, _, v = kv.partition('=')
    if v == '<del>': meta.pop(k, None)
    else: meta[k] = v
h = json.dumps(hdr).encode()
h += b' ' * (-len(h) % 8)
open(dst, 'wb').write(struct.pack('<Q', len(h)) + h + data[8+n:])
