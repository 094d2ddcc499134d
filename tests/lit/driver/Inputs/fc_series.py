# Writes a synthetic series for the forecast tests: a sine of period 24 on a
# rising trend with a little seeded noise, as step,value rows (no date column,
# so the tests give the season explicitly).
#   fc_series.py OUT.csv [N]
import math, random, sys
n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
rng = random.Random(7)
with open(sys.argv[1], "w") as f:
    f.write("step,value\n")
    for t in range(n):
        v = 10 + 0.02 * t + 3 * math.sin(2 * math.pi * t / 24) + rng.gauss(0, 0.1)
        f.write("%d,%.4f\n" % (t, v))
