#!/usr/bin/env python3
"""Compare two files of `rnn-opt --run` output with a tolerance.

    allclose.py A B [--rtol 1e-4] [--atol 1e-5]

Each file is a list of results: a header line `result <i>: <type>` followed
by the values, one innermost row per line. The files must have the same
headers in the same order (so the same number of results, with the same
types) and the same count of numbers in each result; each pair of numbers
must satisfy |a - b| <= atol + rtol * |b| (numpy's isclose, B the
reference), where NaN equals NaN and an infinity only equals itself.
Any line that is neither a header nor a row of numbers is an error.

Exit status 0 when the files agree, 1 (with one line per problem, at most
20, on stderr) when they do not, 2 on a usage error.
"""
import argparse
import math
import re
import sys

HEADER = re.compile(r"^result (\d+): (\S.*)$")


def parse(path):
    """[(header, [float, ...]), ...] or raises ValueError."""
    results = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            m = HEADER.match(line)
            if m:
                results.append((line, []))
                continue
            if not results:
                raise ValueError(f"{path}:{lineno}: values before the first "
                                 f"'result <i>: <type>' line")
            for tok in line.split():
                try:
                    results[-1][1].append(float(tok))
                except ValueError:
                    raise ValueError(f"{path}:{lineno}: not a number: {tok!r}")
    return results


def close(a, b, rtol, atol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("actual")
    p.add_argument("expected")
    p.add_argument("--rtol", type=float, default=1e-4)
    p.add_argument("--atol", type=float, default=1e-5)
    args = p.parse_args(argv)
    try:
        got = parse(args.actual)
        want = parse(args.expected)
    except (OSError, ValueError) as e:
        print(f"allclose: error: {e}", file=sys.stderr)
        return 1
    problems = []
    if not want:
        problems.append(f"{args.expected}: no results")
    if len(got) != len(want):
        problems.append(f"{len(got)} results in {args.actual}, "
                        f"{len(want)} in {args.expected}")
    for (hg, vg), (hw, vw) in zip(got, want):
        if hg != hw:
            problems.append(f"header '{hg}' vs '{hw}'")
            continue
        if len(vg) != len(vw):
            problems.append(f"{hg}: {len(vg)} numbers vs {len(vw)}")
            continue
        worst = None
        bad = 0
        for i, (a, b) in enumerate(zip(vg, vw)):
            if not close(a, b, args.rtol, args.atol):
                bad += 1
                err = abs(a - b) if not (math.isnan(a) or math.isnan(b)) else math.inf
                if worst is None or err > worst[0]:
                    worst = (err, i, a, b)
        if bad:
            _, i, a, b = worst
            problems.append(f"{hg}: {bad} of {len(vw)} numbers differ; worst "
                            f"at index {i}: {a!r} vs {b!r}")
    for msg in problems[:20]:
        print(f"allclose: {msg}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
