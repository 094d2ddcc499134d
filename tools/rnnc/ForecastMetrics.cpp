//===- tools/rnnc/ForecastMetrics.cpp - Forecast errors and baselines -----===//
#include "tools/rnnc/ForecastMetrics.h"

#include <cmath>

namespace rnnc::driver {

ForecastErrors forecastErrors(const std::vector<double> &actual,
                              const std::vector<double> &predicted) {
  ForecastErrors e;
  double sq = 0, abs = 0;
  size_t n = std::min(actual.size(), predicted.size());
  for (size_t i = 0; i < n; ++i) {
    double d = predicted[i] - actual[i];
    sq += d * d;
    abs += std::fabs(d);
  }
  e.count = static_cast<int64_t>(n);
  if (n > 0) {
    e.rmse = std::sqrt(sq / static_cast<double>(n));
    e.mae = abs / static_cast<double>(n);
  }
  return e;
}

std::vector<double> laggedPredictions(const std::vector<double> &series,
                                      int64_t from, int64_t lag) {
  std::vector<double> out;
  if (lag < 1 || from < lag)
    return out;
  for (int64_t t = from; t < static_cast<int64_t>(series.size()); ++t)
    out.push_back(series[t - lag]);
  return out;
}

} // namespace rnnc::driver
