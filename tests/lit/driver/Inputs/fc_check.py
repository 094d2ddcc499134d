# Checks rnnc eval's forecast report against an independent computation:
# the naive and seasonal-naive RMSE/MAE on the held-out tail are recomputed
# here from the CSV (same split rule: the last floor(N * val_fraction)
# values), and the model's RMSE must be below `bound` times the naive one.
#   fc_check.py SERIES.csv COLUMN VAL_FRACTION SEASON EVAL_OUTPUT BOUND
import csv, math, re, sys
path, column, vf, season, report, bound = sys.argv[1:7]
vf, season, bound = float(vf), int(season), float(bound)
values = [float(r[column]) for r in csv.DictReader(open(path))]
n = len(values)
start = n - int(math.floor(n * vf))

def errors(lag):
    d = [values[t - lag] - values[t] for t in range(start, n)]
    return (math.sqrt(sum(x * x for x in d) / len(d)),
            sum(abs(x) for x in d) / len(d))

text = open(report).read()
def printed(label):
    m = re.search(re.escape(label) + r"\s+RMSE\s+([0-9.]+)\s+MAE\s+([0-9.]+)", text)
    assert m, "no '%s' row in the report" % label
    return float(m.group(1)), float(m.group(2))

for label, lag in [("naive (last value)", 1), ("seasonal naive (%d)" % season, season)]:
    want, got = errors(lag), printed(label)
    for w, g in zip(want, got):
        assert abs(w - g) <= 1e-3 * max(1.0, abs(w)), \
            "%s: printed %s, recomputed %.4f/%.4f" % (label, got, want[0], want[1])
model, naive = printed("model"), errors(1)
print("tail %d: model RMSE %.4f, naive %.4f, seasonal %.4f" %
      (n - start, model[0], naive[0], errors(season)[0]))
assert model[0] < bound * naive[0], \
    "model RMSE %.4f not below %.2f x naive %.4f" % (model[0], bound, naive[0])
print("OK")
