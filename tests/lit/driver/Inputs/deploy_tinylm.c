/* Streaming greedy generation from an AOT-compiled, trained tinylm: the
 * prompt one character at a time through tinylm_step, then N characters,
 * each fed back. Ids map to bytes through TINYLM_VOCAB, which rnnc compile
 * writes into the header from the checkpoint. */
#include "tinylm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t toId(unsigned char c) {
  for (int32_t i = 0; i < TINYLM_VOCAB_SIZE; ++i)
    if (TINYLM_VOCAB[i] == c)
      return i;
  fprintf(stderr, "byte %d is not in the vocabulary\n", c);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  const char *prompt = argv[1];
  int n = atoi(argv[2]);
  tinylm_ctx *ctx = tinylm_create(NULL);
  if (!ctx || tinylm_error(ctx)) {
    fprintf(stderr, "create: %s\n", ctx ? tinylm_error(ctx) : "no memory");
    return 1;
  }
  float logits[TINYLM_SIZE_V];
  for (const char *p = prompt; *p; ++p) {
    int32_t id = toId((unsigned char)*p);
    if (tinylm_step(ctx, 1, &id, logits)) {
      fprintf(stderr, "step: %s\n", tinylm_error(ctx));
      return 1;
    }
  }
  printf("%s", prompt);
  for (int i = 0; i < n; ++i) {
    int32_t best = 0;
    for (int32_t v = 1; v < TINYLM_VOCAB_SIZE; ++v)
      if (logits[v] > logits[best])
        best = v;
    putchar(TINYLM_VOCAB[best]);
    if (tinylm_step(ctx, 1, &best, logits)) {
      fprintf(stderr, "step: %s\n", tinylm_error(ctx));
      return 1;
    }
  }
  putchar('\n');
  tinylm_destroy(ctx);
  return 0;
}
