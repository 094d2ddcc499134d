#!/usr/bin/env python3
"""Small synthetic classification data for the classify-*.test lit tests.

  cls_make_data.py dir OUT_DIR      one file per class (alpha.txt, beta.txt,
                                     gamma.txt): a class's words start with
                                     its own letter, the rest is random
  cls_make_data.py tsv OUT.txt      `sentence<TAB>label` lines: label 1 when
                                     the sentence starts with "good"
  cls_make_data.py frames OUT_DIR   toy.train / toy.test frame sequences (3
                                     floats per frame, 1.0 separator lines)
                                     with size_toy.train / size_toy.test;
                                     class k's first feature is near k - 1

Seeded, so every run writes the same files.
"""
import os
import random
import sys

rng = random.Random(7)
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def word(first, lo=3, hi=9):
    return first + "".join(rng.choice(LETTERS) for _ in range(rng.randint(lo, hi) - 1))


def main(argv):
    kind, out = argv[1], argv[2]
    if kind == "dir":
        os.makedirs(out, exist_ok=True)
        for name, first in (("alpha", "a"), ("beta", "b"), ("gamma", "g")):
            with open(os.path.join(out, name + ".txt"), "w") as f:
                for _ in range(80):
                    f.write(word(first).capitalize() + "\n")
    elif kind == "tsv":
        with open(out, "w") as f:
            for _ in range(240):
                label = rng.randint(0, 1)
                lead = "good" if label else rng.choice(["bad", "poor", "awful"])
                rest = " ".join(word(rng.choice(LETTERS)) for _ in range(rng.randint(1, 6)))
                f.write("%s %s .\t%d\n" % (lead, rest, label))
    elif kind == "frames":
        os.makedirs(out, exist_ok=True)
        for part, per_class in (("train", [30, 30, 30]), ("test", [12, 9, 15])):
            with open(os.path.join(out, "toy." + part), "w") as f:
                for k, n in enumerate(per_class):
                    for _ in range(n):
                        for _ in range(rng.randint(3, 9)):
                            vals = [k - 1 + rng.gauss(0, 0.4), rng.gauss(0, 1), rng.gauss(0, 1)]
                            f.write(" ".join("%.4f" % v for v in vals) + " \n")
                        f.write(" ".join(["1.0"] * 3) + "\n")
            with open(os.path.join(out, "size_toy." + part), "w") as f:
                f.write(" ".join(str(n) for n in per_class) + "\n")
    else:
        sys.exit("unknown kind " + kind)


main(sys.argv)
