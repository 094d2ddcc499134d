//===- tools/rnnc/ForecastMetrics.h - Forecast errors and baselines -*- C++ -*-===//
//
// What `rnnc eval` reports for a forecaster: RMSE and MAE of one-step-ahead
// predictions on the held-out tail of a series, next to the two baselines
// every forecast should beat before it means anything:
//   naive           the last observed value,           yhat[t] = s[t - 1]
//   seasonal naive  the value one season (m steps) ago, yhat[t] = s[t - m]
// The baselines read only the series, never the model, so a model bug
// cannot flatter the comparison. Everything is in the series' own units.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_FORECASTMETRICS_H
#define RNNC_TOOLS_RNNC_FORECASTMETRICS_H

#include <cstdint>
#include <vector>

namespace rnnc::driver {

struct ForecastErrors {
  double rmse = 0, mae = 0;
  int64_t count = 0;
};

/// RMSE and MAE of `predicted` against `actual` (same length, accumulated
/// in double).
ForecastErrors forecastErrors(const std::vector<double> &actual,
                              const std::vector<double> &predicted);

/// The baseline prediction for each of series[from..]: series[t - lag].
/// Empty when from < lag (the first target has no value `lag` steps back)
/// or lag < 1.
std::vector<double> laggedPredictions(const std::vector<double> &series,
                                      int64_t from, int64_t lag);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_FORECASTMETRICS_H
