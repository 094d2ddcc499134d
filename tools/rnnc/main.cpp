//===- tools/rnnc/main.cpp - The rnnc driver: a subcommand dispatcher -----===//
//
// `rnnc <command> [options]`. Each command is one entry in allCommands() and
// one file; this file only dispatches and prints the overall help.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/Command.h"

#include <iostream>
#include <new>
#include <stdexcept>

namespace rnnc::driver {

const std::vector<Command> &allCommands() {
  static const std::vector<Command> commands = {
      {"check", "check a model file and print its diagnostics",
       "usage: rnnc check MODEL.rnn [--set NAME=N]...\n\n"
       "Parses, checks and lowers the model; prints errors and warnings.\n"
       "A size with no value (one the data binds) is checked with a\n"
       "stand-in, with a note. Exit status: 0 no errors, 1 errors in the\n"
       "model, 2 bad usage.\n\n"
       "  --set NAME=N   bind the model's size NAME (e.g. --set V=65)\n",
       runCheck},
      {"ir", "print a model's syntax tree or IR",
       "usage: rnnc ir MODEL.rnn [--set NAME=N]... "
       "[--emit=ast|ir|info|llvm|asm]\n"
       "               [--after PASS | --optimize]\n\n"
       "  --emit=ast     the syntax tree after parsing and name checks\n"
       "  --emit=ir      the lowered IR (default)\n"
       "  --after PASS   the IR after the optimization pipeline up to PASS:\n"
       "                 canonicalize, cse, gate-fusion,\n"
       "                 hoist-input-projection, sink-accumulators,\n"
       "                 sink-slices, dce\n"
       "  --optimize     the IR after the whole pipeline (what the JIT\n"
       "                 compiles; docs/passes.md)\n"
       "  --no-optimize  llvm/asm of the IR as lowered (no passes, no fusion)\n"
       "  --emit=info    the calling convention: arguments, results, roles,\n"
       "                 parameter initializers, train settings\n"
       "  --emit=llvm    the LLVM IR (after O3 unless -O0)\n"
       "  --emit=asm     the target's assembly\n"
       "  -O N           LLVM optimization level 0..3 (default 3)\n"
       "  --target TRIPLE, --cpu NAME, --features +a,-b\n"
       "                 another target (default: this host), e.g.\n"
       "                 --target aarch64-linux-gnu --cpu neoverse-v1\n"
       "  --model NAME   which model of the file (default: the last; for\n"
       "                 ir and info, every model)\n"
       "  --set NAME=N   bind the model's size NAME (e.g. --set V=65)\n",
       runIr},
      {"run", "run a model on .npy inputs (JIT or interpreter)",
       "usage: rnnc run MODEL.rnn --weights W.safetensors --input X.npy\n"
       "                [--input NAME=FILE.npy]... [--lengths L.npy] -o OUT.npy\n\n"
       "Whole-sequence inference. Unnamed inputs bind the model's inputs in\n"
       "order; NAME=FILE binds any input, target, state or lengths argument.\n"
       "Lengths default to full rows, targets to zeros, states to their\n"
       "declared initial values. Token ids must lie in [0, V): an input's\n"
       "everywhere (padding is looked up too), a target's up to its row's\n"
       "length.\n\n"
       "  --weights W    parameters (safetensors); without it the model's\n"
       "                 initializers with --seed N (default 0). A PyTorch\n"
       "                 state_dict's names are matched to the layers\n"
       "                 (docs/weights.md)\n"
       "  --torch-map TORCH=LAYER,...  which PyTorch module is which layer\n"
       "                 (fc=logits, lstm.l1=h2) where shapes cannot tell\n"
       "  -o OUT.npy     where the output goes\n"
       "  --output NAME  write this result instead of the declared output\n"
       "  --interpret    run the reference interpreter instead of the JIT\n"
       "  --no-cache     do not use the on-disk object cache\n"
       "  --no-optimize  skip the IR passes and fusion\n"
       "                 ($RNNC_CACHE_DIR, $XDG_CACHE_HOME/rnnc, ~/.cache/rnnc)\n"
       "  --verbose      print compile and run times and the cache outcome\n"
       "  --threads N    threads for large matrix products (default\n"
       "                 $RNNC_THREADS, else all cores up to 8)\n"
       "  --model NAME   which model of the file (default: the last)\n"
       "  --set NAME=N   bind the model's size NAME\n",
       runRun},
      {"init", "write fresh weights from the model's initializers",
       "usage: rnnc init MODEL.rnn [--seed N] -o W.safetensors\n\n"
       "  --seed N       the initializers' seed (default 0)\n"
       "  --model NAME   which model of the file (default: the last)\n"
       "  --set NAME=N   bind the model's size NAME\n",
       runInit},
      {"export", "write a checkpoint's weights as a PyTorch state_dict",
       "usage: rnnc export MODEL.rnn --weights CKPT -o OUT.safetensors\n"
       "                   [--torch-map TORCH=LAYER,...]\n\n"
       "Writes the parameters under PyTorch's names, loadable with\n"
       "model.load_state_dict(safetensors.torch.load_file(OUT)). An lstm,\n"
       "gru or rnn layer L becomes layer 0 of module L (L.weight_ih_l0, ...,\n"
       "_l0_reverse for reverse=true), embed/linear/layernorm keep their\n"
       "names (L.weight, L.bias), a cell's own parameters keep theirs.\n\n"
       "  --weights CKPT  the checkpoint (its sizes and model are used)\n"
       "  -o OUT          the state_dict to write\n"
       "  --torch-map TORCH=LAYER,...  name layers after your modules:\n"
       "                  lstm.l1=h2 makes h2 lstm.weight_ih_l1, ...;\n"
       "                  fc=logits makes logits fc.weight, fc.bias\n"
       "  --model NAME    which model of the file (default: the checkpoint's)\n"
       "  --set NAME=N    bind the model's size NAME\n",
       runExport},
      {"compile", "compile a model to an object file with a C API",
       "usage: rnnc compile MODEL.rnn [--weights W.safetensors] -o MODEL.o\n"
       "                    [--header MODEL.h] [--weights-at-runtime]\n\n"
       "Writes an object exporting <model>_create/_destroy/_error/_run/\n"
       "_step/_reset (docs/aot.md). Link it with the runtime library only:\n"
       "  cc prog.c MODEL.o librnnc_runtime.a -lstdc++ -lm\n\n"
       "  --weights W    embed these weights (default: fresh ones, --seed N);\n"
       "                 PyTorch names are matched as in rnnc run\n"
       "  --torch-map TORCH=LAYER,...  as in rnnc run\n"
       "  --weights-at-runtime  embed none; <model>_create loads a file\n"
       "  --header H     write the C header\n"
       "  --target TRIPLE, --cpu NAME, --features +a,-b, -O N\n"
       "                 cross-compile (e.g. --target aarch64-linux-gnu)\n"
       "  --verbose      print the object's size and whether it can step\n"
       "  --model NAME   which model of the file (default: the last)\n"
       "  --set NAME=N   bind the model's size NAME\n",
       runCompile},
      {"train", "train a model on data (truncated BPTT for text)",
       "usage: rnnc train MODEL.rnn --data FILE [options]\n\n"
       "Trains a language model on a text file: the first 90% trains, the\n"
       "last 10% validates. The corpus is cut into --batch lanes; each step\n"
       "trains on the next --bptt characters of every lane, carrying the\n"
       "state across windows without gradient (truncated BPTT). Defaults\n"
       "come from the model's train block; flags override them. The size\n"
       "naming the token vocabulary (V in seq[token[V]]) is bound from the\n"
       "data.\n\n"
       "  --data FILE          text corpus (UTF-8 bytes; the vocabulary is its\n"
       "                       distinct bytes)\n"
       "  --data FILE.csv[:COLUMN][:season=N][:log]\n"
       "                       for a forecaster (input and target\n"
       "                       seq[f32[1]]): one CSV column (name or index;\n"
       "                       default the last numeric one), the seasonal-\n"
       "                       naive period (default from a date column: 12\n"
       "                       monthly, 365 daily) and log(value) modelling;\n"
       "                       the last --val-fraction is held out\n"
       "  --steps N            train N optimizer steps\n"
       "  --epochs N           train N passes over the data\n"
       "  --time-limit SEC     stop after SEC seconds of training\n"
       "  -o FILE              checkpoint to write (default MODEL.safetensors);\n"
       "                       written at every validation and at the end\n"
       "  --resume CKPT        continue a run from its checkpoint (parameters,\n"
       "                       optimizer state, carried state, step, data)\n"
       "  --weights FILE       start from these weights instead of the\n"
       "                       initializers (rnnc's or a PyTorch state_dict's;\n"
       "                       --torch-map as in rnnc run)\n"
       "  --optimizer NAME     sgd, adam, adamw or rmsprop\n"
       "  --lr X               learning rate\n"
       "  --weight-decay X     weight decay (decoupled for adamw)\n"
       "  --schedule SPEC      constant, step:N[:G], cosine[:min=X],\n"
       "                       linear[:min=X], each optionally with warmup:W\n"
       "                       (e.g. warmup:100,cosine); with --time-limit\n"
       "                       and no --steps, over the time budget\n"
       "  --clip X             clip the global gradient norm to X (0: off)\n"
       "  --batch N, --bptt N  lanes per batch, steps per window\n"
       "  --val-every N        validate (and checkpoint) every N steps\n"
       "                       (default 200; 0: only at the end)\n"
       "  --val-windows N      validate on at most N windows (default 0: all)\n"
       "  --val-fraction X     held-out tail of the data (default 0.1)\n"
       "  --metrics FILE       metrics CSV (default MODEL.metrics.csv)\n"
       "  --plot FILE          SVG loss plot (default MODEL.loss.svg)\n"
       "  --seed N             initializer seed (default 1)\n"
       "  --log-every SEC      seconds between log lines when not on a\n"
       "                       terminal (default 10)\n"
       "  --recompute          recompute activations in the backward pass\n"
       "                       instead of storing them (long sequences)\n"
       "  --quiet              print only the summary\n"
       "  --no-cache           do not use the on-disk object cache\n"
       "  --no-optimize        skip the IR passes and fusion\n"
       "  --threads N          threads for large matrix products (default\n"
       "                       $RNNC_THREADS, else all cores up to 8); the\n"
       "                       results do not depend on it\n"
       "  --set NAME=N         bind a size of the model\n\n"
       "Ctrl-C stops after the current step and saves. A NaN or infinite\n"
       "loss stops the run, naming the step, without saving.\n",
       runTrain},
      {"sample", "generate text from a trained language model",
       "usage: rnnc sample MODEL.rnn --weights CKPT [options]\n\n"
       "Feeds the prime text through the model, then samples one character\n"
       "at a time, feeding each back. Sizes and the vocabulary come from\n"
       "the checkpoint rnnc train wrote.\n\n"
       "  --weights CKPT       the checkpoint\n"
       "  --prime TEXT         text to start from (default a newline)\n"
       "  -n N                 characters to generate (default 500)\n"
       "  --temperature X      softmax temperature (default 1; lower is more\n"
       "                       conservative; 0 picks the most likely)\n"
       "  --top-k K            sample among the K most likely (default all)\n"
       "  --seed N             sampling seed (default 1)\n"
       "  --no-cache           do not use the on-disk object cache\n"
       "  --no-optimize        skip the IR passes and fusion\n",
       runSample},
      {"eval", "report a trained model's metrics on held-out data",
       "usage: rnnc eval MODEL.rnn --weights CKPT --data PATH [options]\n\n"
       "Splits the data as rnnc train did (same --val-fraction, the seed in\n"
       "the checkpoint) and reports the held-out metrics: loss per token\n"
       "(nats and bits), perplexity and accuracy for token targets, and what\n"
       "the data's task adds (e.g. a confusion matrix for classifiers).\n\n"
       "  --weights CKPT        a checkpoint rnnc train wrote\n"
       "  --data PATH           the data it was trained on\n"
       "  --val-fraction X      (default 0.1)\n"
       "  --batch N, --bptt N   batch shape (default from the train block)\n"
       "  --report PREFIX       where tasks write pictures (PREFIX.*.svg)\n"
       "  --no-cache            do not use the on-disk object cache\n"
       "  --no-optimize         skip the IR passes and fusion\n",
       runEval},
      {"translate", "translate sentences with a trained seq2seq model",
       "usage: rnnc translate MODEL.rnn --weights CKPT [options] [SENTENCE...]\n\n"
       "Decodes each sentence (from the command line, --input FILE, or\n"
       "standard input, one per line) with an encoder-decoder trained on\n"
       "sentence pairs, and prints one translation per line. The model must\n"
       "declare its logits as an output. Words the source vocabulary lacks\n"
       "are read as <unk> (with a warning).\n\n"
       "  --weights CKPT       the checkpoint rnnc train wrote\n"
       "  --beam K             beam width (default 1: greedy; at most 1000)\n"
       "  --max-len N          at most N output tokens (default 50; at most\n"
       "                       100000)\n"
       "  --alpha X            length normalization: score = logP / len^X\n"
       "                       (default 1; 0 ranks by raw log-probability)\n"
       "  --input FILE         sentences, one per line (of a pair file, the\n"
       "                       source column)\n"
       "  --verbose            print every beam candidate and its score to\n"
       "                       stderr\n"
       "  --no-cache           do not use the on-disk object cache\n"
       "  --no-optimize        skip the IR passes and fusion\n",
       runTranslate},
      {"bench", "time JIT-compiled models (one JSON line per config)",
       "usage: rnnc bench [--cell lstm|gru|rnn] [--input I] [--hidden H]\n"
       "                  [--batch B] [--steps T] [--mode infer|train]\n"
       "                  [--threads N[,M]...] [--reps N] [--no-cache] "
       "[--quiet]\n"
       "       rnnc bench --model MODEL.rnn [--set NAME=N]... [options]\n"
       "       rnnc bench --standard [--threads N[,M]...] [--examples DIR]\n\n"
       "Times JIT-compiled models and prints one JSON line per configuration\n"
       "and thread count on stdout (a progress line each on stderr):\n"
       "  {\"cell\":\"lstm\",\"I\":256,\"H\":256,\"B\":1,\"T\":100,"
       "\"mode\":\"infer\",\"threads\":1,\n"
       "   \"us_per_step\":27.3,\"gflops\":19.2,\"compile_ms\":180.0}\n"
       "us_per_step: the median over --reps calls (after one or two warm-up\n"
       "calls) of the wall time of one call over the whole T-step sequence,\n"
       "divided by T. A call is the model's function (infer) or its gradient\n"
       "function, forward and backward as rnnc train builds it, without the\n"
       "optimizer's update (train). gflops: matmul FLOPs per call / time,\n"
       "counted on the IR that is compiled (after the optimization pipeline;\n"
       "for train the gradient function): 2*M*N*K per matmul with B and T\n"
       "bound, ops in a scan body once per step; other ops are not counted.\n"
       "compile_ms: wall time of building the gradient (train) and\n"
       "compiling. The on-disk object cache is used, so a second run shows\n"
       "cache hits; --no-cache gives cold compile times.\n\n"
       "  --cell NAME      a one-layer model over the prelude cell: lstm\n"
       "                   (default), gru or rnn; infer returns h, train has\n"
       "                   the loss mse(h, y) against a target seq[[H]]\n"
       "  --input I, --hidden H   its sizes (default 256 and 256)\n"
       "  --batch B, --steps T    rows and time steps (default 1 and 100)\n"
       "  --mode MODE      infer (default) or train\n"
       "  --model FILE     time this model file instead; \"cell\" is its\n"
       "                   model's name, I its size I (else its first\n"
       "                   input's features, or vocabulary for tokens), H its\n"
       "                   size H (else 0). Inputs are random: floats N(0,1),\n"
       "                   token ids uniform over the vocabulary, lengths T,\n"
       "                   states their initial values; weights from the\n"
       "                   initializers (seed 1)\n"
       "  --set NAME=N     bind a size of the --model file\n"
       "  --standard       the standard configurations, in order: infer\n"
       "                   lstm, gru, rnn at I=H=256 B=1 T=100; infer lstm\n"
       "                   1024 B=1, 256 B=64, 512 B=64; train lstm 512 B=64;\n"
       "                   train examples/custom_cell.rnn (\"lm\") and the\n"
       "                   same model with lstm (\"lm_lstm\") at V=65 H=256\n"
       "                   B=32 T=64; \"charlm\": examples/charlm.rnn at V=65\n"
       "                   B=32 T=64, one full training step (gradient,\n"
       "                   clipping, Adam) with \"tokens_per_s\" = B*T/step\n"
       "                   time; with --threads 1,2 unless given\n"
       "  --examples DIR   where --standard finds charlm.rnn and\n"
       "                   custom_cell.rnn (default: the examples/ folder\n"
       "                   nearest above the rnnc executable)\n"
       "  --threads N[,M]  run each configuration with each thread count\n"
       "                   (default $RNNC_THREADS, else all cores up to 8)\n"
       "  --reps N         timed calls per measurement (default 5)\n"
       "  --no-cache       do not use the on-disk object cache\n"
       "  --no-optimize    skip the IR passes and fusion\n"
       "  --quiet          no progress lines on stderr\n",
       runBench},
  };
  return commands;
}

static void printHelp(std::ostream &os) {
  os << "usage: rnnc <command> [options]\n\nrnnc compiles recurrent neural "
        "networks written in the .rnn language.\n\ncommands:\n";
  for (const Command &c : allCommands())
    os << "  " << c.name << std::string(12 - std::string(c.name).size(), ' ')
       << c.summary << "\n";
  os << "\nRun 'rnnc <command> --help' for a command's options.\n";
}

} // namespace rnnc::driver

int main(int argc, char **argv) {
  using namespace rnnc::driver;
  if (argc < 2) {
    printHelp(std::cerr);
    return kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printHelp(std::cout);
    return kExitOk;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const Command &c : allCommands()) {
    if (name != c.name)
      continue;
    for (const std::string &a : args)
      if (a == "--help" || a == "-h") {
        std::cout << c.help;
        return kExitOk;
      }
    // Library code reports what it can check; an allocation that fails
    // anyway (sizes that multiply past this machine's memory: --batch,
    // --steps, the data) is reported here instead of aborting.
    try {
      return c.run(args);
    } catch (const std::bad_alloc &) {
      std::cerr << "rnnc " << c.name
                << ": error: out of memory: the sizes asked for (the "
                   "model's sizes, --batch, --steps, the data) need more "
                   "memory than this machine has\n";
    } catch (const std::length_error &) {
      std::cerr << "rnnc " << c.name
                << ": error: out of memory: a buffer size is too large "
                   "(check the model's sizes, --batch and --steps)\n";
    }
    return kExitModelError;
  }
  std::cerr << "rnnc: error: unknown command '" << name
            << "' (run 'rnnc --help' for the list)\n";
  return kExitUsage;
}
