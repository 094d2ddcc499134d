#!/usr/bin/python3
"""PyTorch baseline for rnnc's RNN benchmarks (not part of the build or tests).

Times torch.nn.LSTM / GRU / RNN(tanh) (one layer, fp32, CPU) over whole
sequences, and the char-LM training step, and prints one JSON line per
configuration and thread count, in the format of `rnnc bench` plus
"framework":"torch":

  {"framework":"torch","cell":"lstm","I":256,"H":256,"B":1,"T":100,"mode":"infer",
   "threads":1,"us_per_step":27.3,"gflops":19.2,"compile_ms":0}

Run it with Debian's /usr/bin/python3 (torch 1.13 from python3-torch). Its CPU
LSTM/GRU/RNN are ATen loops over aten::addmm, i.e. BLAS sgemm, and BLAS is
whatever /usr/lib/x86_64-linux-gnu/libblas.so.3 points at (OpenBLAS-pthread
here); the library actually loaded is printed on stderr (and by --info).
Threads: torch.set_num_threads(n) for ATen's OpenMP loops and
openblas_set_num_threads(n) for OpenBLAS's own thread pool, which
torch.set_num_threads does not reach. The two pools share the cores, and with
libgomp's default spin-waiting the idle OpenMP threads take the cores from the
OpenBLAS threads (2 threads ran 2-5x slower than 1 on this 2-core machine), so
this script sets OMP_WAIT_POLICY=PASSIVE before importing torch unless the
environment sets it.

  infer   model(x) under torch.no_grad()
  train   forward + loss (sum of the outputs) + backward, gradients of the
          weights only (as rnnc bench's train: the input of a first layer
          needs none; --input-grad adds dL/dx), no optimizer step
  charlm  one training step of the char-LM: embedding E=64 of V=65 tokens,
          2 stacked LSTM layers H=256, linear to 65 logits, cross entropy,
          B=32, T=64, Adam lr 2e-3, global-norm clipping 1.0; the LSTM state is
          carried (detached) from step to step as in truncated BPTT

Each repetition is one whole sequence (one training step for charlm); after
--warmup untimed ones, the median of --reps timed ones divided by T is
us_per_step. FLOPs per time step: 2 * gates * H * (I + H) * B (gates 4/3/1 for
lstm/gru/rnn), times 3 for train; for charlm the two LSTM layers and the output
projection, times 3. charlm lines also carry tokens_per_s = B * T / step time.

Examples:
  /usr/bin/python3 bench/torch_rnn.py --standard --threads 1,2
  /usr/bin/python3 bench/torch_rnn.py --cell gru --input 256 --hidden 256 --batch 1 --steps 100
  /usr/bin/python3 bench/torch_rnn.py --cell charlm --threads 2
  /usr/bin/python3 bench/torch_rnn.py --info
"""

import argparse
import ctypes
import json
import os
import statistics
import sys
import time

# The standard configurations, shared with bench/compare (which imports this
# module without importing torch). Fields: cell, I, H, B, T, mode.
STANDARD_CONFIGS = [
    ("lstm", 256, 256, 1, 100, "infer"),
    ("gru", 256, 256, 1, 100, "infer"),
    ("rnn", 256, 256, 1, 100, "infer"),
    ("lstm", 1024, 1024, 1, 100, "infer"),
    ("lstm", 256, 256, 64, 100, "infer"),
    ("lstm", 512, 512, 64, 100, "infer"),
    ("lstm", 512, 512, 64, 100, "train"),
    ("charlm", 64, 256, 32, 64, "train"),   # I = embedding size E
]

CHARLM_V = 65
CHARLM_LAYERS = 2

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def flops_per_step(cell, I, H, B, mode):
    """The standard FLOP count per time step (multiply-add = 2)."""
    if cell == "charlm":
        per_row = 2 * 4 * H * (I + H) + 2 * 4 * H * (H + H) + 2 * H * CHARLM_V
        return 3 * per_row * B
    f = 2 * GATES[cell] * H * (I + H) * B
    return 3 * f if mode == "train" else f


# ----------------------------------------------------------------- BLAS

def _openblas():
    """The OpenBLAS that torch loaded (through libblas.so.3), or None."""
    for name in ("libopenblas.so.0", "libblas.so.3"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_get_num_threads  # raises AttributeError if not OpenBLAS
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


def blas_info():
    """What BLAS this process has mapped, and OpenBLAS's own description."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            base = os.path.basename(path)
            if any(k in base for k in ("blas", "mkl", "lapack", "blis")):
                libs.add(path)
    ob = _openblas()
    return {
        "blas_libraries": sorted(libs),
        "openblas_config": ob.openblas_get_config().decode() if ob else None,
    }


def set_threads(torch, n):
    torch.set_num_threads(n)
    ob = _openblas()
    if ob:
        ob.openblas_set_num_threads(n)
        return ob.openblas_get_num_threads()
    return None


def rnn_ops(torch):
    """Names of the ATen ops a small LSTM runs: shows whether the CPU LSTM is the
    addmm (BLAS) loop or a fused kernel such as mkldnn_rnn."""
    m = torch.nn.LSTM(8, 8)
    with torch.autograd.profiler.profile() as prof, torch.no_grad():
        m(torch.randn(3, 2, 8))
    names = {e.name for e in prof.function_events}
    return sorted(n for n in names if any(k in n for k in ("mm", "rnn", "lstm", "linear")))


def info(torch):
    return {
        "framework": "torch",
        "torch_version": torch.__version__,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "lstm_ops": rnn_ops(torch),
        **blas_info(),
    }


# ----------------------------------------------------------------- timing

def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def bench_rnn(torch, cell, I, H, B, T, mode, threads, reps, warmup, input_grad=False):
    torch.manual_seed(0)
    if cell == "lstm":
        model = torch.nn.LSTM(I, H)
    elif cell == "gru":
        model = torch.nn.GRU(I, H)
    else:
        model = torch.nn.RNN(I, H, nonlinearity="tanh")
    x = torch.rand(T, B, I) * 2 - 1

    if mode == "infer":
        def run():
            with torch.no_grad():
                model(x)
    else:
        x.requires_grad_(input_grad)
        params = list(model.parameters())

        def run():
            for p in params:
                p.grad = None
            x.grad = None
            out, _ = model(x)
            out.sum().backward()

    for n in threads:
        blas_threads = set_threads(torch, n)
        ms = median_ms(run, reps, warmup)
        us = ms * 1e3 / T
        yield {
            "framework": "torch", "cell": cell, "I": I, "H": H, "B": B, "T": T,
            "mode": mode, "threads": n, "us_per_step": round(us, 3),
            "gflops": round(flops_per_step(cell, I, H, B, mode) / (us * 1e-6) / 1e9, 3),
            "compile_ms": 0, "blas_threads": blas_threads,
            **({"input_grad": input_grad} if mode == "train" else {}),
        }


def bench_charlm(torch, E, H, B, T, threads, reps, warmup):
    nn = torch.nn
    V = CHARLM_V
    torch.manual_seed(0)

    class CharLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(V, E)
            self.lstm = nn.LSTM(E, H, num_layers=CHARLM_LAYERS)
            self.out = nn.Linear(H, V)

        def forward(self, x, state):
            h, state = self.lstm(self.embed(x), state)
            return self.out(h), state

    model = CharLM()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    params = list(model.parameters())
    x = torch.randint(0, V, (T, B))
    y = torch.randint(0, V, (T, B))
    zeros = torch.zeros(CHARLM_LAYERS, B, H)
    state = [(zeros, zeros)]

    def step():
        opt.zero_grad(set_to_none=True)
        logits, new_state = model(x, state[0])
        loss = nn.functional.cross_entropy(logits.view(-1, V), y.view(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        state[0] = tuple(s.detach() for s in new_state)

    for n in threads:
        blas_threads = set_threads(torch, n)
        ms = median_ms(step, reps, warmup)
        us = ms * 1e3 / T
        yield {
            "framework": "torch", "cell": "charlm", "I": E, "H": H, "B": B, "T": T,
            "mode": "train", "threads": n, "us_per_step": round(us, 3),
            "gflops": round(flops_per_step("charlm", E, H, B, "train") / (us * 1e-6) / 1e9, 3),
            "compile_ms": 0, "tokens_per_s": round(B * T / (ms * 1e-3), 1),
            "ms_per_train_step": round(ms, 3), "V": V, "layers": CHARLM_LAYERS,
            "blas_threads": blas_threads,
        }


# ----------------------------------------------------------------- main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--standard", action="store_true", help="run all standard configurations")
    p.add_argument("--cell", choices=["lstm", "gru", "rnn", "charlm"], default="lstm")
    p.add_argument("--input", type=int, help="I (for charlm: embedding size E); default 256 (64)")
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch", type=int, help="B; default 1 (charlm 32)")
    p.add_argument("--steps", type=int, help="T; default 100 (charlm 64)")
    p.add_argument("--mode", choices=["infer", "train"], default="infer")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--reps", type=int, default=5, help="timed repetitions (median; default 5)")
    p.add_argument("--warmup", type=int, default=2, help="untimed repetitions first (default 2)")
    p.add_argument("--input-grad", action="store_true",
                   help="train: also compute the gradient of the input sequence")
    p.add_argument("--info", action="store_true",
                   help="print torch version, BLAS and LSTM ops as one JSON line and exit")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read when libgomp loads
    try:
        import torch
    except ImportError as e:
        print(f"torch_rnn: torch is not installed for {sys.executable}: {e}", file=sys.stderr)
        return 3

    details = info(torch)
    if args.info:
        print(json.dumps(details), flush=True)
        return 0
    blas = details["openblas_config"] or ", ".join(details["blas_libraries"]) or "unknown"
    print(f"torch_rnn: torch {details['torch_version']}, BLAS: {blas}", file=sys.stderr)

    threads = [int(t) for t in args.threads.split(",") if t]
    if args.standard:
        configs = STANDARD_CONFIGS
    else:
        charlm = args.cell == "charlm"
        configs = [(args.cell,
                    args.input or (64 if charlm else 256), args.hidden,
                    args.batch or (32 if charlm else 1), args.steps or (64 if charlm else 100),
                    "train" if charlm else args.mode)]
    for cell, I, H, B, T, mode in configs:
        if cell == "charlm":
            lines = bench_charlm(torch, I, H, B, T, threads, args.reps, args.warmup)
        else:
            lines = bench_rnn(torch, cell, I, H, B, T, mode, threads, args.reps, args.warmup,
                              args.input_grad)
        for line in lines:
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
