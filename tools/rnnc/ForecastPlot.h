//===- tools/rnnc/ForecastPlot.h - SVG picture of a forecast ----*- C++ -*-===//
//
// `rnnc eval --report PREFIX` on a forecaster writes PREFIXforecast.svg: the
// held-out tail (and a stretch of the series before it, for context) with
// the model's one-step-ahead predictions and a baseline's drawn over it, so
// a reader sees at a glance where the model beats the baseline and where it
// lags. Plain SVG, no scripts, like the loss plot of rnnc train.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_FORECASTPLOT_H
#define RNNC_TOOLS_RNNC_FORECASTPLOT_H

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::driver {

struct PlotLine {
  std::string label;
  /// SVG colour, and a dash pattern ("" for solid).
  std::string colour, dash;
  /// Values at time indices first, first + 1, ...
  int64_t first = 0;
  std::vector<double> values;
};

/// An SVG line chart of `lines` over time index, with a vertical rule at
/// `split` (where the held-out tail starts) and a legend.
std::string forecastPlotSvg(const std::string &title,
                            const std::vector<PlotLine> &lines, int64_t split);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_FORECASTPLOT_H
