# Checks a metrics CSV of rnnc train: the last training loss must be below
# argv[2] and below a fraction argv[3] of the first one.
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["train_loss"]]
first, last = float(rows[0]["train_loss"]), float(rows[-1]["train_loss"])
val = [float(r["val_loss"]) for r in csv.DictReader(open(sys.argv[1])) if r["val_loss"]]
print("steps %d first %.4f last %.4f val %s" % (len(rows), first, last, val[-1:] ))
assert last < float(sys.argv[2]), "final loss %.4f not below %s" % (last, sys.argv[2])
assert last < float(sys.argv[3]) * first, "loss did not fall enough"
print("OK")
