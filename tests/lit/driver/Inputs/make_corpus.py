# Writes a small, highly regular corpus for the training tests: a few
# sentences repeated, so a small LSTM can drive the loss near zero.
import sys
text = "the quick brown fox jumps over the lazy dog.\nhello world!\n" * 40
open(sys.argv[1], "w").write(text)
