/* forecast_check.c - drives an object made by `rnnc compile` of
 * examples/forecast.rnn (a GRU over f32 samples) through its C API, for
 * tests/lit/aot/aot.test: online use, one sample in, one prediction out.
 *
 *   forecast_check OUTDIR
 *
 * Writes OUTDIR/x.npy (f32[T,B,1]), OUTDIR/run.npy (forecast_run) and
 * OUTDIR/step.npy (T calls of forecast_step, stacked); the test compares
 * them to `rnnc run`. Exit status 0 when every call succeeded.
 */
#include "forecast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { T = 9, B = 2, F = FORECAST_SIZE_F };

static int writeF32(const char *dir, const char *name, const float *data) {
  char path[4096], header[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int n = snprintf(header, sizeof header,
                   "{'descr': '<f4', 'fortran_order': False, "
                   "'shape': (%d, %d, %d), }",
                   T, B, F);
  while ((10 + n + 1) % 64)
    header[n++] = ' ';
  header[n++] = '\n';
  FILE *f = fopen(path, "wb");
  if (!f)
    return 1;
  unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                           (unsigned char)n, 0};
  fwrite(pre, 1, 10, f);
  fwrite(header, 1, (size_t)n, f);
  fwrite(data, sizeof(float), (size_t)T * B * F, f);
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  static float x[T * B * F], run[T * B * F], step[T * B * F];
  for (int i = 0; i < T * B * F; ++i)
    x[i] = (float)sin(0.7 * i) + 0.1f * (float)(i % 3);
  forecast_ctx *ctx = forecast_create(NULL);
  if (!ctx || forecast_error(ctx)) {
    fprintf(stderr, "create: %s\n", ctx ? forecast_error(ctx) : "no memory");
    return 1;
  }
  if (forecast_run(ctx, T, B, x, NULL, run)) {
    fprintf(stderr, "run: %s\n", forecast_error(ctx));
    return 1;
  }
  for (int t = 0; t < T; ++t)
    if (forecast_step(ctx, B, x + t * B * F, step + t * B * F)) {
      fprintf(stderr, "step: %s\n", forecast_error(ctx));
      return 1;
    }
  if (writeF32(argv[1], "x.npy", x) || writeF32(argv[1], "run.npy", run) ||
      writeF32(argv[1], "step.npy", step))
    return 1;
  forecast_destroy(ctx);
  printf("ok\n");
  return 0;
}
