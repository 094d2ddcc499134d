//===- runtime/TimeSeries.h - CSV series, normalization, windows -*- C++ -*-===//
//
// Univariate forecasting data (../shared/data/timeseries/*.csv): one numeric
// column of a CSV file with a header line, z-score normalized with a mean
// and standard deviation fitted on the training part only (so validation
// does not leak into the model) and stored with the model as a string, then
// cut into input/target windows for a model like examples/forecast.rnn:
//
//   x[t] = s[i + t],  y[t] = s[i + t + horizon]   for t < window,
//
// for window starts i = 0, stride, 2*stride, ... while the target fits.
// The split is by time: the first (1 - valFraction) of the series trains,
// the tail validates, and validation windows start at the split (their
// targets never precede the training data's end).
//
// CSV: comma-separated, no quoting rules beyond dropping a pair of double
// quotes around a cell; blank lines are skipped; every other line must have
// as many cells as the header.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_TIMESERIES_H
#define RNNC_RUNTIME_TIMESERIES_H

#include "runtime/Batching.h"
#include "runtime/Result.h"

#include <string>
#include <vector>

namespace rnnc {

/// v -> (v - mean) / stddev.
struct Normalization {
  double mean = 0, stddev = 1;

  /// Mean and population standard deviation of `values` (stddev 1 when
  /// the values are constant, so normalizing never divides by 0).
  static Normalization fit(const std::vector<float> &values);
  float apply(float v) const;
  float invert(float z) const;
  /// "zscore:mean=<%.17g>,std=<%.17g>": exact, and plain ASCII for metadata.
  std::string serialize() const;
  static Result<Normalization> parse(const std::string &s);
};

/// The values of `column` (a header name, or a 0-based index written as
/// digits when no header cell has that name) of the CSV file at `path`.
/// Errors name the file and line: a missing column, a short or long row, a
/// non-numeric cell (quoting it), no data rows.
Result<std::vector<float>> readCsvColumn(const std::string &path,
                                         const std::string &column);

struct WindowOptions {
  int64_t window = 32;  // steps per example (T)
  int64_t horizon = 1;  // how far ahead the target is
  int64_t stride = 1;   // steps between window starts
};

/// The windows of `series` as examples with 1-feature frames and
/// targetFrames; fails when options are not positive. A series too short
/// for one window gives no examples.
Result<ExampleSet> makeWindows(const std::vector<float> &series,
                               const WindowOptions &options);

struct TimeSeriesData {
  Normalization norm;
  /// The normalized series, split by time.
  std::vector<float> train, val;
  ExampleSet trainWindows, valWindows;
};

/// readCsvColumn, split by time, normalize (with `norm` when given, e.g.
/// restored from a checkpoint; else fitted on the training part), window.
/// Fails when the training part has no window, or the validation part
/// (valFraction > 0) has none.
Result<TimeSeriesData> loadTimeSeries(const std::string &path,
                                      const std::string &column,
                                      double valFraction,
                                      const WindowOptions &options,
                                      const Normalization *norm = nullptr);

} // namespace rnnc

#endif // RNNC_RUNTIME_TIMESERIES_H
