# Checks two rnnc train metrics CSVs have the same training losses step by
# step, to a relative tolerance. Usage: same_losses.py A.csv B.csv RTOL
import csv, sys
a = [float(r["train_loss"]) for r in csv.DictReader(open(sys.argv[1])) if r["train_loss"]]
b = [float(r["train_loss"]) for r in csv.DictReader(open(sys.argv[2])) if r["train_loss"]]
tol = float(sys.argv[3])
assert len(a) == len(b) and a, "different step counts: %d vs %d" % (len(a), len(b))
worst = max(abs(x - y) / max(abs(x), 1e-12) for x, y in zip(a, b))
print("steps %d worst relative difference %.3g" % (len(a), worst))
assert worst <= tol, "losses differ by %.3g" % worst
print("OK")
