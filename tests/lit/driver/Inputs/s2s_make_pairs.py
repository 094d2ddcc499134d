# Writes a synthetic seq2seq pair file: a source of 1 to 5 letters from
# a..f (space-separated words) and its reverse as the target, one
# `source<TAB>target` per line, from a fixed seed.
import random, sys
rng = random.Random(7)
n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
with open(sys.argv[1], "w") as f:
    for _ in range(n):
        w = [rng.choice("abcdef") for _ in range(rng.randint(1, 5))]
        f.write(" ".join(w) + "\t" + " ".join(reversed(w)) + "\n")
