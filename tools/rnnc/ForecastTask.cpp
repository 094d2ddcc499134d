//===- tools/rnnc/ForecastTask.cpp - Forecasting a CSV time series --------===//
//
// A model with input seq[f32[1]] and target seq[f32[1]] (examples/forecast/)
// learns to predict the next value of a series at every step. The data is
// one numeric column of a CSV file, named in --data:
//
//   --data FILE.csv[:COLUMN][:season=N][:log]
//
// COLUMN is a header name or a 0-based index (default: the last column
// whose first value is a number); `season=N` is the seasonal-naive
// baseline's period (default: inferred from a date first column, 12 for
// monthly and 365 for daily dates); `log` models log(value), which turns a
// multiplicative trend and seasonality (airline passengers) into additive
// ones. The same string goes to rnnc eval.
//
// The split is by time, never shuffled across it: the last valFraction of
// the series is the held-out tail. A z-score normalization is fitted on the
// training part only and kept in the checkpoint, so eval (and a resumed run)
// reuses it and reports in the original units. Training batches are random
// windows of --bptt steps from the training part (every start, shuffled
// per epoch with the seed), the target being the input shifted by one; the
// state starts from zero in every window.
//
// Evaluation forecasts each held-out value one step ahead from the window of
// --bptt observed values just before it (the model warmed up on the series,
// exactly as in training, where a window's last prediction has the same
// context), and scores the last step's prediction. The report adds RMSE and
// MAE in the original units next to the naive and seasonal-naive baselines
// (ForecastMetrics.h), and PREFIXforecast.svg with --report PREFIX.
//
//===----------------------------------------------------------------------===//
#include "tools/rnnc/SequenceTask.h"

#include "runtime/Batching.h"
#include "runtime/TextFile.h"
#include "runtime/TimeSeries.h"
#include "tools/rnnc/Checkpoint.h"
#include "tools/rnnc/ForecastMetrics.h"
#include "tools/rnnc/ForecastPlot.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <optional>

namespace rnnc::driver {

namespace {

/// Metadata keys of a forecaster's checkpoint.
constexpr const char *kMetaColumn = "rnnc.forecast.column";
constexpr const char *kMetaTransform = "rnnc.forecast.transform";
constexpr const char *kMetaNormalization = "rnnc.forecast.normalization";
constexpr const char *kMetaWindow = "rnnc.forecast.window";

/// What --data says: the file and the options after it.
struct SeriesSpec {
  std::string path;
  std::string column; // "" = the last numeric column
  int64_t season = 0; // 0 = infer from the dates
  bool log = false;
};

Result<SeriesSpec> parseSpec(const std::string &data) {
  SeriesSpec spec;
  std::error_code ec;
  // A file whose name has a colon in it is taken whole.
  if (std::filesystem::exists(data, ec)) {
    spec.path = data;
    return spec;
  }
  size_t colon = data.find(':');
  spec.path = data.substr(0, colon);
  bool haveColumn = false;
  while (colon != std::string::npos) {
    size_t next = data.find(':', colon + 1);
    std::string part =
        data.substr(colon + 1, next == std::string::npos ? std::string::npos
                                                         : next - colon - 1);
    colon = next;
    if (part == "log") {
      spec.log = true;
    } else if (part.rfind("season=", 0) == 0) {
      std::string n = part.substr(7);
      char *end = nullptr;
      errno = 0;
      long long v = std::strtoll(n.c_str(), &end, 10);
      if (n.empty() || *end || errno || v < 1)
        return makeError("--data " + data +
                         ": season must be an integer "
                         ">= 1, got '" +
                         n + "'");
      spec.season = v;
    } else if (part.empty() || haveColumn) {
      return makeError("--data " + data +
                       ": expected FILE.csv[:COLUMN][:season=N][:log]");
    } else {
      spec.column = part;
      haveColumn = true;
    }
  }
  return spec;
}

/// The cells of one CSV line, trimmed, a pair of double quotes dropped
/// (as runtime/TimeSeries.cpp reads them).
std::vector<std::string> splitCells(std::string_view line) {
  std::vector<std::string> cells;
  size_t start = 0;
  while (true) {
    size_t end = line.find(',', start);
    std::string_view c = line.substr(start, end - start);
    while (!c.empty() && (c.front() == ' ' || c.front() == '\t'))
      c.remove_prefix(1);
    while (!c.empty() && (c.back() == ' ' || c.back() == '\t'))
      c.remove_suffix(1);
    if (c.size() >= 2 && c.front() == '"' && c.back() == '"')
      c = c.substr(1, c.size() - 2);
    cells.emplace_back(c);
    if (end == std::string_view::npos)
      return cells;
    start = end + 1;
  }
}

bool isNumber(const std::string &s) {
  if (s.empty())
    return false;
  char *end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

/// A date cell as a count of months (YYYY-MM) or days (YYYY-MM-DD).
struct DateStamp {
  enum Kind { None, Month, Day } kind = None;
  int64_t value = 0;
};

DateStamp parseDate(const std::string &s) {
  auto digits = [&](size_t at, size_t n, int64_t &out) {
    if (at + n > s.size())
      return false;
    out = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9')
        return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int64_t y, m, d;
  DateStamp r;
  if (!digits(0, 4, y) || s.size() < 7 || s[4] != '-' || !digits(5, 2, m) ||
      m < 1 || m > 12)
    return r;
  if (s.size() == 7) {
    r.kind = DateStamp::Month;
    r.value = y * 12 + (m - 1);
    return r;
  }
  if (s.size() != 10 || s[7] != '-' || !digits(8, 2, d) || d < 1 || d > 31)
    return r;
  // Days since 1970-01-01 in the proleptic Gregorian calendar (Howard
  // Hinnant's days_from_civil).
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  r.kind = DateStamp::Day;
  r.value = era * 146097 + doe - 719468;
  return r;
}

/// What the header and the first data rows tell: the default column and
/// the season implied by a date first column.
struct CsvShape {
  std::vector<std::string> header;
  int64_t lastNumeric = -1;
  int64_t season = 0;
  std::string seasonWhy;
};

Result<CsvShape> inspectCsv(const std::string &path) {
  auto text = readWholeFile(path);
  if (!text)
    return makeError(text.error());
  std::vector<std::string_view> lines = splitLines(*text);
  std::vector<std::vector<std::string>> rows;
  for (std::string_view l : lines)
    if (!l.empty() && rows.size() < 3)
      rows.push_back(splitCells(l));
  CsvShape shape;
  if (rows.empty())
    return makeError(path + ": no header line");
  shape.header = rows[0];
  if (rows.size() >= 2)
    for (int64_t k = static_cast<int64_t>(rows[1].size()) - 1; k >= 0; --k)
      if (isNumber(rows[1][k])) {
        shape.lastNumeric = k;
        break;
      }
  if (rows.size() >= 3 && !rows[1].empty() && !rows[2].empty()) {
    DateStamp a = parseDate(rows[1][0]), b = parseDate(rows[2][0]);
    if (a.kind != DateStamp::None && a.kind == b.kind) {
      int64_t step = b.value - a.value;
      if (a.kind == DateStamp::Month && (step == 1 || step == 3)) {
        shape.season = step == 1 ? 12 : 4;
        shape.seasonWhy = step == 1 ? "monthly dates" : "quarterly dates";
      } else if (a.kind == DateStamp::Day && (step == 1 || step == 7)) {
        shape.season = step == 1 ? 365 : 52;
        shape.seasonWhy = step == 1 ? "daily dates" : "weekly dates";
      }
    }
  }
  return shape;
}

std::string fmt(const char *format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

class ForecastTask : public SequenceTask {
public:
  ForecastTask(SeriesSpec spec, std::string columnName, std::string seasonWhy,
               std::vector<float> raw, int64_t nTrain,
               std::vector<DeclaredData> decls)
      : spec(std::move(spec)), columnName(std::move(columnName)),
        seasonWhy(std::move(seasonWhy)), raw(std::move(raw)), nTrain(nTrain),
        decls(std::move(decls)) {
    for (float v : this->raw)
      modelled.push_back(this->spec.log ? std::log(v) : v);
    norm = Normalization::fit(
        std::vector<float>(modelled.begin(), modelled.begin() + this->nTrain));
  }

  std::string unit() const override { return "step"; }
  std::string lossLabel() const override { return "(normalized mse)"; }
  bool lossInNats() const override { return false; }

  std::string describe() const override {
    std::string s = "series '" + columnName + "' of " + spec.path + ": " +
                    std::to_string(nTrain) + " train / " +
                    std::to_string(heldOut()) + " held-out steps";
    if (window > 0)
      s += ", window " + std::to_string(window);
    s += spec.log ? ", log values" : "";
    if (spec.season > 0)
      s += ", season " + std::to_string(spec.season) +
           (seasonWhy.empty() ? "" : " (" + seasonWhy + ")");
    return s;
  }

  Status bindSizes(const std::string &,
                   std::map<std::string, int64_t> &sizes) override {
    // One column is one feature: bind F in seq[f32[F]] to 1.
    for (const DeclaredData &d : decls) {
      if (d.dimNames.size() != 1 || d.dimNames[0].empty())
        continue;
      const std::string &name = d.dimNames[0];
      auto it = sizes.find(name);
      if (it == sizes.end())
        sizes[name] = 1;
      else if (it->second != 1)
        return makeError("--set " + name + "=" + std::to_string(it->second) +
                         ": a forecaster on one CSV column has 1 feature "
                         "per step");
    }
    return Status::ok();
  }

  Status attach(const frontend::ModelInfo &info, const ModelArgs &layout,
                const BatchShape &s) override {
    auto isSeries = [](const ir::TensorType &t) {
      return t.dtype() == DType::F32 && t.rank() == 3 && t.dim(2).isStatic() &&
             t.dim(2).size == 1;
    };
    if (layout.inputs().size() != 1 || layout.targets().size() != 1 ||
        !isSeries(info.args[layout.inputs()[0]].type) ||
        !isSeries(info.args[layout.targets()[0]].type) ||
        layout.lossResult() < 0 || layout.outputs().empty() ||
        !isSeries(info.results[layout.outputs()[0]].type))
      return makeError("'" + info.name +
                       "' is not a univariate forecaster: forecasting a CSV "
                       "column needs one input seq[f32[1]], one target "
                       "seq[f32[1]], a loss and a first output seq[f32[1]]");
    shape = s;
    window = restoredWindow > 0 ? restoredWindow : s.bptt;
    slots.bind(layout);
    if (nTrain < window + 1)
      return makeError(spec.path + ": the training part of '" + columnName +
                       "' has " + std::to_string(nTrain) + " values (of " +
                       std::to_string(raw.size()) + "; the last " +
                       std::to_string(heldOut()) +
                       " are held out), too few for one " + "window of " +
                       std::to_string(window) + " steps and its next " +
                       "value; use a smaller --bptt or --val-fraction");
    z.clear();
    for (float v : modelled)
      z.push_back(norm.apply(v));
    auto w = makeWindows(std::vector<float>(z.begin(), z.begin() + nTrain),
                         {window, 1, 1});
    if (!w)
      return makeError(w.error());
    windows = w.take();
    std::vector<int64_t> all(windows.size());
    std::iota(all.begin(), all.end(), 0);
    iter.emplace(&windows, std::move(all), s.batch, s.seed);
    return Status::ok();
  }

  TaskBatch next(std::vector<Tensor> &args) override {
    // attach() made sure there is at least one window, so this succeeds.
    PaddedBatch b = nextBatch(spec.path);
    TaskBatch tb = freshBatch(b.batchSize(), b.batchSize() * window);
    slots.fill(args, b, std::move(b.y));
    return tb;
  }

  Result<EvalResult> evaluate(const codegen::CompiledFunction &forward,
                              const ModelArgs &layout, std::vector<Tensor> args,
                              int64_t maxBatches) override {
    EvalResult r;
    r.accuracy = std::nan("");
    auto pred = predictTail(forward, layout, args, maxBatches);
    if (!pred)
      return makeError(pred.error());
    double sq = 0;
    for (size_t k = 0; k < pred->size(); ++k) {
      double d = (*pred)[k] - z[nTrain + k];
      sq += d * d;
    }
    r.units = static_cast<int64_t>(pred->size());
    r.loss = r.units ? sq / static_cast<double>(r.units) : 0;
    return r;
  }

  Result<std::string> report(const codegen::CompiledFunction &forward,
                             const ModelArgs &layout, std::vector<Tensor> args,
                             const std::string &artifactPrefix) override;

  std::map<std::string, std::string> metadata() const override {
    return {{kMetaColumn, columnName},
            {kMetaTransform, spec.log ? "log" : "none"},
            {kMetaNormalization, norm.serialize()},
            {kMetaWindow, std::to_string(window)}};
  }

  Status checkResume(const std::map<std::string, std::string> &meta) override {
    auto get = [&](const char *key) {
      auto it = meta.find(key);
      return it == meta.end() ? std::string() : it->second;
    };
    if (get(kMetaNormalization).empty())
      return makeError("the checkpoint has no time-series normalization "
                       "(was it trained on a CSV series?)");
    if (get(kMetaColumn) != columnName)
      return makeError("the checkpoint was trained on column '" +
                       get(kMetaColumn) + "', not '" + columnName + "' of " +
                       spec.path);
    std::string transform = spec.log ? "log" : "none";
    if (get(kMetaTransform) != transform)
      return makeError("the checkpoint was trained " +
                       std::string(spec.log ? "without" : "with") +
                       " ':log'; pass the same --data as in training");
    auto n = Normalization::parse(get(kMetaNormalization));
    if (!n)
      return makeError(n.error());
    // The training run's normalization, so predictions invert to the units
    // it learned in (the same values when the data has not changed).
    norm = *n;
    char *end = nullptr;
    std::string w = get(kMetaWindow);
    long long v = std::strtoll(w.c_str(), &end, 10);
    if (w.empty() || *end || v < 1)
      return makeError("the checkpoint's window '" + w +
                       "' is not a positive integer");
    restoredWindow = v;
    return Status::ok();
  }

private:
  int64_t heldOut() const { return static_cast<int64_t>(raw.size()) - nTrain; }

  /// One-step-ahead normalized predictions for held-out values nTrain,
  /// nTrain + 1, ..., each from the window of observed values before it;
  /// at most maxBatches batches (0: all).
  Result<std::vector<double>> predictTail(const codegen::CompiledFunction &fn,
                                          const ModelArgs &layout,
                                          std::vector<Tensor> &args,
                                          int64_t maxBatches) const {
    std::vector<double> out;
    const int64_t n = heldOut(), T = window;
    const int64_t rowsPer = std::max<int64_t>(shape.batch, 1);
    int64_t batches = 0;
    for (int64_t k0 = 0; k0 < n; k0 += rowsPer) {
      if (maxBatches > 0 && batches++ >= maxBatches)
        break;
      const int64_t R = std::min(rowsPer, n - k0);
      Tensor x(DType::F32, {T, R, 1}), y(DType::F32, {T, R, 1});
      for (int64_t r = 0; r < R; ++r) {
        const int64_t target = nTrain + k0 + r; // predicted at step T - 1
        for (int64_t t = 0; t < T; ++t) {
          x.f32Data()[t * R + r] = z[target - T + t];
          y.f32Data()[t * R + r] = z[target - T + t + 1];
        }
      }
      args[layout.inputs()[0]] = std::move(x);
      args[layout.targets()[0]] = std::move(y);
      for (unsigned l : layout.lengths())
        args[l] = Tensor::i32({R}, std::vector<int32_t>(R, int32_t(T)));
      bindInitialStates(layout, args, R);
      auto res = fn.run(args);
      if (!res)
        return makeError(res.error());
      const Tensor &yhat = (*res)[layout.outputs()[0]];
      for (int64_t r = 0; r < R; ++r)
        out.push_back(yhat.f32Data()[(T - 1) * R + r]);
    }
    return out;
  }

  /// A normalized model value back in the series' units.
  double toUnits(double zv) const {
    double v = norm.invert(static_cast<float>(zv));
    return spec.log ? std::exp(v) : v;
  }

  SeriesSpec spec;
  std::string columnName, seasonWhy;
  /// The series in its units, the modelled values (log or not), and those
  /// normalized (set by attach, after checkResume may have restored norm).
  std::vector<float> raw, modelled, z;
  int64_t nTrain;
  std::vector<DeclaredData> decls;
  Normalization norm;
  int64_t restoredWindow = 0, window = 0;
  BatchShape shape;
  ExampleSet windows;
  InputTargetSlots slots;
};

Result<std::string> ForecastTask::report(const codegen::CompiledFunction &fwd,
                                         const ModelArgs &layout,
                                         std::vector<Tensor> args,
                                         const std::string &artifactPrefix) {
  const int64_t n = heldOut();
  if (n == 0)
    return makeError("there is no held-out tail to evaluate on (--val-fraction "
                     "is 0)");
  auto pred = predictTail(fwd, layout, args, 0);
  if (!pred)
    return makeError(pred.error());
  std::vector<double> units(raw.begin(), raw.end());
  std::vector<double> actual(units.begin() + nTrain, units.end());
  std::vector<double> model;
  double sq = 0;
  for (int64_t k = 0; k < n; ++k) {
    model.push_back(toUnits((*pred)[k]));
    double d = (*pred)[k] - z[nTrain + k];
    sq += d * d;
  }
  std::vector<double> naive = laggedPredictions(units, nTrain, 1);
  std::vector<double> seasonal =
      spec.season > 0 ? laggedPredictions(units, nTrain, spec.season)
                      : std::vector<double>();

  std::string text = std::to_string(n) + " held-out steps (" + describe() +
                     "), each predicted one step ahead from the " +
                     std::to_string(window) + " values before it\n";
  text += "  loss " + fmt("%.5f", sq / static_cast<double>(n)) +
          " (mse of the normalized series)\n";
  char buf[160];
  auto row = [&](const std::string &name, const ForecastErrors &e) {
    std::snprintf(buf, sizeof buf, "  %-22s RMSE %10.4f   MAE %10.4f\n",
                  name.c_str(), e.rmse, e.mae);
    text += buf;
  };
  ForecastErrors em = forecastErrors(actual, model);
  ForecastErrors en = forecastErrors(actual, naive);
  row("model", em);
  row("naive (last value)", en);
  std::optional<ForecastErrors> es;
  if (!seasonal.empty()) {
    es = forecastErrors(actual, seasonal);
    row("seasonal naive (" + std::to_string(spec.season) + ")", *es);
  } else if (spec.season > 0) {
    text += "  seasonal naive: the training part (" + std::to_string(nTrain) +
            " values) is shorter than a season of " +
            std::to_string(spec.season) + "\n";
  } else {
    text += "  seasonal naive: no season known (add :season=N to --data)\n";
  }
  auto ratio = [](double a, double b) {
    return b > 0 ? fmt("%.3f", a / b) : std::string("n/a");
  };
  text += "  model RMSE / naive " + ratio(em.rmse, en.rmse);
  if (es)
    text += ", / seasonal naive " + ratio(em.rmse, es->rmse);
  text += "\n";

  if (!artifactPrefix.empty()) {
    // The tail and a season (or as much again) of the series before it.
    int64_t context = std::min<int64_t>(nTrain, std::max(spec.season, n));
    int64_t from = nTrain - context;
    std::vector<PlotLine> lines;
    lines.push_back({"actual", "#222", "", from,
                     std::vector<double>(units.begin() + from, units.end())});
    if (es)
      lines.push_back({"seasonal naive", "#e08020", "5,4", nTrain, seasonal});
    else
      lines.push_back({"naive", "#e08020", "5,4", nTrain, naive});
    lines.push_back({"model", "#1f5fbf", "", nTrain, model});
    std::string path = artifactPrefix + "forecast.svg";
    Status w = writeFileAtomically(
        path, forecastPlotSvg(columnName + " of " + spec.path +
                                  ": held-out tail, one step ahead",
                              lines, nTrain));
    if (!w)
      return makeError(w.error());
    text += "  wrote " + path + "\n";
  }
  return text;
}

} // namespace

Result<std::unique_ptr<TrainTask>>
makeForecastTask(const std::string &dataPath,
                 const std::vector<DeclaredData> &decls, double valFraction) {
  auto spec = parseSpec(dataPath);
  if (!spec)
    return makeError(spec.error());
  auto csv = inspectCsv(spec->path);
  if (!csv)
    return makeError(csv.error());
  std::string column = spec->column;
  if (column.empty()) {
    if (csv->lastNumeric < 0)
      return makeError(spec->path +
                       ": no column of the first data row is a number; name "
                       "one with --data FILE.csv:COLUMN");
    column = std::to_string(csv->lastNumeric);
  }
  auto values = readCsvColumn(spec->path, column);
  if (!values)
    return makeError(values.error());
  // The column's name as the header spells it, whether given by name or
  // index (readCsvColumn resolved it the same way).
  std::string name = column;
  bool byName = false;
  for (const std::string &h : csv->header)
    byName |= h == column;
  if (!byName && column.find_first_not_of("0123456789") == std::string::npos) {
    size_t k = std::stoul(column);
    if (k < csv->header.size() && !csv->header[k].empty())
      name = csv->header[k];
  }
  if (spec->log)
    for (size_t i = 0; i < values->size(); ++i)
      if (!((*values)[i] > 0))
        return makeError(spec->path +
                         ": ':log' needs values > 0, but data "
                         "row " +
                         std::to_string(i + 1) + " of '" + name + "' is " +
                         fmt("%g", (*values)[i]));
  std::string seasonWhy;
  if (spec->season == 0) {
    spec->season = csv->season;
    seasonWhy = csv->seasonWhy;
  }
  const int64_t total = static_cast<int64_t>(values->size());
  const int64_t nVal = static_cast<int64_t>(
      std::floor(static_cast<double>(total) * valFraction));
  if (total - nVal < 2)
    return makeError(spec->path + ": '" + name + "' has " +
                     std::to_string(total) +
                     " values, too few to train on (and hold out a tail)");
  return std::unique_ptr<TrainTask>(std::make_unique<ForecastTask>(
      std::move(*spec), name, seasonWhy, values.take(), total - nVal, decls));
}

} // namespace rnnc::driver
