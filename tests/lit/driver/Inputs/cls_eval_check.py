#!/usr/bin/env python3
"""Checks `rnnc eval` output of a classifier against itself, independently.

  cls_eval_check.py EVAL.txt MIN_ACCURACY [SVG] [SUPPORT0,SUPPORT1,...]

Re-derives from the printed confusion matrix: each row sums to the class's
printed support, the diagonal to the printed correct count, and their ratio
is the printed accuracy; the majority baseline is the largest row over the
total. With SUPPORTS (e.g. from a size_ file), the rows must hold exactly
those counts. With SVG, the picture must parse as XML and hold one shaded
cell per matrix entry.
"""
import re
import sys
import xml.etree.ElementTree as ET

text = open(sys.argv[1]).read()
head = re.search(r"accuracy ([\d.]+)% \((\d+)/(\d+)\); always guessing the "
                 r"most frequent class would score ([\d.]+)%", text)
assert head, "no accuracy line in " + sys.argv[1]
acc, correct, total, base = float(head[1]), int(head[2]), int(head[3]), float(head[4])
support = [(int(a), int(b)) for a, b in re.findall(r"^  \S.*?\s+[\d.]+%\s+\((\d+)/(\d+)\)$", text, re.M)]
lines = text.split("confusion matrix (rows: true class, columns: predicted):\n")[1].splitlines()
rows = []
for line in lines[1:1 + len(support)]:
    cells = line.split()
    rows.append([int(c) for c in cells[2:]])
C = len(support)
assert C >= 2 and len(rows) == C and all(len(r) == C for r in rows), "matrix is not %dx%d" % (C, C)
for k, r in enumerate(rows):
    assert sum(r) == support[k][1], "row %d sums to %d, support %d" % (k, sum(r), support[k][1])
    assert r[k] == support[k][0], "row %d diagonal %d, printed %d" % (k, r[k], support[k][0])
assert sum(map(sum, rows)) == total, "matrix total differs"
assert sum(rows[k][k] for k in range(C)) == correct, "diagonal differs"
assert abs(100.0 * correct / total - acc) < 0.006, "accuracy differs"
assert abs(100.0 * max(map(sum, rows)) / total - base) < 0.006, "baseline differs"
assert acc >= float(sys.argv[2]), "accuracy %.2f%% below %s%%" % (acc, sys.argv[2])
if len(sys.argv) > 4:
    want = [int(v) for v in sys.argv[4].split(",")]
    assert [s[1] for s in support] == want, "supports %s, expected %s" % ([s[1] for s in support], want)
if len(sys.argv) > 3:
    svg = ET.parse(sys.argv[3]).getroot()
    rects = [e for e in svg.iter() if e.tag.endswith("rect")]
    assert len(rects) == 1 + C * C, "SVG has %d rects, expected %d" % (len(rects), 1 + C * C)
print("OK %d classes, accuracy %.2f%% of %d, baseline %.2f%%" % (C, acc, total, base))
