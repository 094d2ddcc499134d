/* charlm_check.c - drives an object made by `rnnc compile` of
 * examples/charlm.rnn through its C API, for tests/lit/aot/aot.test.
 *
 *   charlm_check OUTDIR [WEIGHTS.safetensors]
 *
 * Writes OUTDIR/x.npy (tokens i32[T,B]), OUTDIR/len.npy (lengths i32[B]),
 * OUTDIR/run.npy (charlm_run with those lengths), OUTDIR/full.npy
 * (charlm_run, lengths NULL) and OUTDIR/step.npy (charlm_step T times from
 * a reset state, stacked to [T,B,V]). The test compares them to `rnnc run`.
 * Two contexts also run at once on two threads and must agree with the
 * first; and the error paths (a bad token, a batch change mid-stream) must
 * be reported, not crash. Exit status 0 when everything held.
 */
#include "charlm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { T = 6, B = 3, V = CHARLM_SIZE_V };

static int32_t x[T * B], lengths[B] = {6, 2, 4};
static float runOut[T * B * V], fullOut[T * B * V], stepOut[T * B * V];
static const char *weights;

static int writeNpy(const char *dir, const char *name, const char *descr,
                    const int64_t *shape, int rank, const void *data,
                    size_t bytes) {
  char path[4096], header[256], dims[128] = "";
  snprintf(path, sizeof path, "%s/%s", dir, name);
  for (int i = 0; i < rank; ++i)
    snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%lld,%s",
             (long long)shape[i], i + 1 < rank ? " " : "");
  int n = snprintf(header, sizeof header,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                   descr, dims);
  while ((10 + n + 1) % 64)
    header[n++] = ' ';
  header[n++] = '\n';
  FILE *f = fopen(path, "wb");
  if (!f)
    return 1;
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                           (unsigned char)(n & 255), (unsigned char)(n >> 8)};
  fwrite(pre, 1, 10, f);
  fwrite(header, 1, (size_t)n, f);
  fwrite(data, 1, bytes, f);
  return fclose(f) != 0;
}

static void *worker(void *arg) {
  float *out = arg;
  charlm_ctx *ctx = charlm_create(weights);
  if (!ctx || charlm_error(ctx) ||
      charlm_run(ctx, T, B, x, lengths, out) != 0) {
    fprintf(stderr, "thread: %s\n", ctx ? charlm_error(ctx) : "no context");
    out[0] = 1e30f;
  }
  charlm_destroy(ctx);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: charlm_check OUTDIR [WEIGHTS]\n");
    return 2;
  }
  weights = argc > 2 ? argv[2] : NULL;
  unsigned seed = 12345;
  for (int i = 0; i < T * B; ++i) {
    seed = seed * 1103515245u + 12345u;
    x[i] = (int32_t)((seed >> 16) % V);
  }
  charlm_ctx *ctx = charlm_create(weights);
  if (!ctx || charlm_error(ctx)) {
    fprintf(stderr, "create: %s\n", ctx ? charlm_error(ctx) : "no memory");
    return 1;
  }
  if (charlm_run(ctx, T, B, x, lengths, runOut) ||
      charlm_run(ctx, T, B, x, NULL, fullOut)) {
    fprintf(stderr, "run: %s\n", charlm_error(ctx));
    return 1;
  }
  charlm_reset(ctx);
  for (int t = 0; t < T; ++t)
    if (charlm_step(ctx, B, x + t * B, stepOut + t * B * V)) {
      fprintf(stderr, "step %d: %s\n", t, charlm_error(ctx));
      return 1;
    }

  /* Contexts are independent: two threads, two contexts, same answer. */
  static float a[T * B * V], b[T * B * V];
  pthread_t ta, tb;
  pthread_create(&ta, NULL, worker, a);
  pthread_create(&tb, NULL, worker, b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  if (memcmp(a, runOut, sizeof a) || memcmp(b, runOut, sizeof b)) {
    fprintf(stderr, "threads disagree with the first context\n");
    return 1;
  }

  /* Errors are returned with a message. */
  int32_t bad[B] = {0, V, 0};
  float one[B * V];
  if (charlm_step(ctx, B, bad, one) == 0 || !charlm_error(ctx)) {
    fprintf(stderr, "token %d was accepted\n", V);
    return 1;
  }
  printf("bad token: %s\n", charlm_error(ctx));
  charlm_reset(ctx);
  if (charlm_step(ctx, B, x, one) || charlm_step(ctx, 2, x, one) == 0) {
    fprintf(stderr, "a batch change mid-stream was accepted\n");
    return 1;
  }
  printf("batch change: %s\n", charlm_error(ctx));
  charlm_destroy(ctx);

  const int64_t sx[2] = {T, B}, sl[1] = {B}, so[3] = {T, B, V};
  const char *dir = argv[1];
  if (writeNpy(dir, "x.npy", "<i4", sx, 2, x, sizeof x) ||
      writeNpy(dir, "len.npy", "<i4", sl, 1, lengths, sizeof lengths) ||
      writeNpy(dir, "run.npy", "<f4", so, 3, runOut, sizeof runOut) ||
      writeNpy(dir, "full.npy", "<f4", so, 3, fullOut, sizeof fullOut) ||
      writeNpy(dir, "step.npy", "<f4", so, 3, stepOut, sizeof stepOut)) {
    fprintf(stderr, "cannot write to %s\n", dir);
    return 1;
  }
  printf("ok\n");
  return 0;
}
