/* charlm_demo.c - using a model compiled by `rnnc compile` from plain C.
 *
 * The object (charlm.o) and header (charlm.h) come from
 *   rnnc compile examples/charlm.rnn --set V=65 --weights W.safetensors \
 *     -o charlm.o --header charlm.h
 * and link against the runtime library only:
 *   cc -O2 -I. examples/deploy/charlm_demo.c charlm.o \
 *     build/runtime/librnnc_runtime.a -lstdc++ -lm -o charlm_demo
 *
 *   ./charlm_demo [--weights W.safetensors] PROMPT [N]
 *
 * 1. Whole-sequence inference: the prompt as one batch row, charlm_run,
 *    and the most likely next character after each prefix.
 * 2. Streaming: the prompt one character at a time through charlm_step
 *    (the LSTM state stays in the context), then N characters generated
 *    greedily, each fed back as the next input.
 * Characters map to ids through the vocabulary the weights were trained
 * with: `rnnc compile --weights CKPT` writes it into the header
 * (CHARLM_VOCAB) when CKPT comes from rnnc train. Without one (fresh
 * weights), ids are byte % V.
 */
#include "charlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V = CHARLM_SIZE_V };

#ifdef CHARLM_VOCAB_SIZE
static int32_t toId(unsigned char c) {
  for (int32_t i = 0; i < CHARLM_VOCAB_SIZE; ++i)
    if (CHARLM_VOCAB[i] == c)
      return i;
  return 0; /* a byte the model never saw */
}
static char fromId(int32_t id) {
  return id >= 0 && id < CHARLM_VOCAB_SIZE ? (char)CHARLM_VOCAB[id] : '?';
}
#else
static int32_t toId(unsigned char c) { return (int32_t)(c % V); }
static char fromId(int32_t id) {
  return id >= 32 && id < 127 ? (char)id : '?';
}
#endif

static int32_t argmax(const float *logits) {
  int32_t best = 0;
  for (int32_t v = 1; v < V; ++v)
    if (logits[v] > logits[best])
      best = v;
  return best;
}

int main(int argc, char **argv) {
  const char *weights = NULL;
  int arg = 1;
  if (arg + 1 < argc && strcmp(argv[arg], "--weights") == 0) {
    weights = argv[arg + 1];
    arg += 2;
  }
  if (arg >= argc) {
    fprintf(stderr, "usage: %s [--weights W.safetensors] PROMPT [N]\n",
            argv[0]);
    return 2;
  }
  const char *prompt = argv[arg];
  int n = arg + 1 < argc ? atoi(argv[arg + 1]) : 20;
  int64_t T = (int64_t)strlen(prompt);
  if (T == 0) {
    fprintf(stderr, "the prompt is empty\n");
    return 2;
  }

  /* NULL: the weights embedded in the object. */
  charlm_ctx *ctx = charlm_create(weights);
  if (!ctx || charlm_error(ctx)) {
    fprintf(stderr, "charlm_create: %s\n",
            ctx ? charlm_error(ctx) : "out of memory");
    charlm_destroy(ctx);
    return 1;
  }

  /* 1. One batch row (B = 1) of T steps; x is [T][B], logits [T][B][V]. */
  int32_t *x = malloc(sizeof *x * (size_t)T);
  float *logits = malloc(sizeof *logits * (size_t)T * V);
  for (int64_t t = 0; t < T; ++t)
    x[t] = toId((unsigned char)prompt[t]);
  if (charlm_run(ctx, T, 1, x, NULL, logits)) {
    fprintf(stderr, "charlm_run: %s\n", charlm_error(ctx));
    return 1;
  }
  printf("next-character guesses after each prefix: ");
  for (int64_t t = 0; t < T; ++t)
    putchar(fromId(argmax(logits + t * V)));
  putchar('\n');

  /* 2. Streaming: one step per character, the state carried in ctx. */
  float step[V];
  charlm_reset(ctx);
  for (int64_t t = 0; t < T; ++t)
    if (charlm_step(ctx, 1, &x[t], step)) {
      fprintf(stderr, "charlm_step: %s\n", charlm_error(ctx));
      return 1;
    }
  printf("%s", prompt);
  for (int i = 0; i < n; ++i) {
    int32_t next = argmax(step);
    putchar(fromId(next));
    if (charlm_step(ctx, 1, &next, step)) {
      fprintf(stderr, "charlm_step: %s\n", charlm_error(ctx));
      return 1;
    }
  }
  putchar('\n');
  free(x);
  free(logits);
  charlm_destroy(ctx);
  return 0;
}
