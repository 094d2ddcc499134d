# Checks an rnnc train metrics CSV: the mean training loss of the last
# quarter of the steps is below the mean of the first quarter (the whole
# path ran and learnt something). Usage: smoke_loss_fell.py METRICS.csv
import csv, sys
rows = [float(r["train_loss"]) for r in csv.DictReader(open(sys.argv[1]))
        if r["train_loss"]]
q = max(1, len(rows) // 4)
first, last = sum(rows[:q]) / q, sum(rows[-q:]) / q
print("steps %d first-quarter %.4f last-quarter %.4f" % (len(rows), first, last))
assert last < first, "the loss did not fall"
print("OK")
