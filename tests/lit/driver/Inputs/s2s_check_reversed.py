# Checks `rnnc translate` output (argv[2], one line per input) for the
# reversal pairs of s2s_make_pairs.py (argv[1]): the fraction of lines that
# are exactly the reversed source must be at least argv[3].
import sys
src = [l.split("\t")[0].split() for l in open(sys.argv[1]) if l.strip()]
out = [l.split() for l in open(sys.argv[2])]
assert len(out) == len(src), "%d outputs for %d inputs" % (len(out), len(src))
ok = sum(o == s[::-1] for s, o in zip(src, out))
print("%d/%d reversed exactly" % (ok, len(src)))
assert ok >= float(sys.argv[3]) * len(src), "too few reversed"
print("OK")
