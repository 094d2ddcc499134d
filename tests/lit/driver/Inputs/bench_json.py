# Checks `rnnc bench` stdout: every line is one JSON object with exactly the
# documented keys in order (tokens_per_s only on the char-LM step), sizes
# positive integers and timings positive numbers. Prints one summary line
# per config for FileCheck, then "OK N". Usage: rnnc bench ... | bench_json.py
import json, sys

KEYS = ["cell", "I", "H", "B", "T", "mode", "threads", "us_per_step",
        "gflops", "compile_ms"]
lines = sys.stdin.read().splitlines()
assert lines, "no output"
for line in lines:
    d = json.loads(line)
    keys = list(d)
    want = KEYS + (["tokens_per_s"] if "tokens_per_s" in d else [])
    assert keys == want, "keys %s, expected %s" % (keys, want)
    assert isinstance(d["cell"], str) and d["cell"], line
    assert d["mode"] in ("infer", "train"), line
    for k in ("I", "H", "B", "T", "threads"):
        assert isinstance(d[k], int) and d[k] > 0, "%s in %s" % (k, line)
    for k in want[7:]:
        assert isinstance(d[k], (int, float)) and d[k] > 0, "%s in %s" % (k, line)
    print("%s I=%d H=%d B=%d T=%d %s threads=%d" % (
        d["cell"], d["I"], d["H"], d["B"], d["T"], d["mode"], d["threads"]))
print("OK %d" % len(lines))
