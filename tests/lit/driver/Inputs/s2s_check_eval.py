# Checks `rnnc eval` output of a seq2seq model (argv[1]) against the
# metrics CSV of the run that trained it (argv[2]): the held-out loss per
# token must equal the last validation loss training recorded (same
# weights, same split), and the teacher-forced token accuracy must be at
# least argv[3], and so must the fraction of held-out sources that greedy
# and beam decoding translate exactly into the pair's reference.
import csv, re, sys
text = open(sys.argv[1]).read()
m = re.search(r"(\d+) held-out tokens .*: loss ([0-9.]+) nats/token .* accuracy ([0-9.]+)%", text)
assert m, "no loss/accuracy line in:\n" + text
tokens, loss, acc = int(m.group(1)), float(m.group(2)), float(m.group(3)) / 100
val = [float(r["val_loss"]) for r in csv.DictReader(open(sys.argv[2])) if r["val_loss"]]
print("eval: %d tokens, loss %.4f, accuracy %.4f; training's last val_loss %.4f" % (tokens, loss, acc, val[-1]))
assert abs(loss - val[-1]) < 1e-4 + 5e-4 * val[-1], "eval loss differs from training's validation"
assert acc >= float(sys.argv[3]), "accuracy %.4f below %s" % (acc, sys.argv[3])
d = re.search(r"decoding (\d+) held-out sources, greedy / beam \d+: output = the pair's reference ([0-9.]+)% / ([0-9.]+)%", text)
assert d, "no decoding line in:\n" + text
print("decoded %s: exact %s%% greedy, %s%% beam" % d.groups())
assert float(d.group(2)) / 100 >= float(sys.argv[3]) and float(d.group(3)) / 100 >= float(sys.argv[3]), "decoding too rarely exact"
print("OK")
