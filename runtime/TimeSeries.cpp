//===- runtime/TimeSeries.cpp - CSV series, normalization, windows --------===//
#include "runtime/TimeSeries.h"

#include "runtime/TextFile.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace rnnc {

Normalization Normalization::fit(const std::vector<float> &values) {
  Normalization n;
  if (values.empty())
    return n;
  double sum = 0;
  for (float v : values)
    sum += v;
  n.mean = sum / static_cast<double>(values.size());
  double sq = 0;
  for (float v : values)
    sq += (v - n.mean) * (v - n.mean);
  n.stddev = std::sqrt(sq / static_cast<double>(values.size()));
  if (!(n.stddev > 0))
    n.stddev = 1;
  return n;
}

float Normalization::apply(float v) const {
  return static_cast<float>((v - mean) / stddev);
}

float Normalization::invert(float z) const {
  return static_cast<float>(z * stddev + mean);
}

std::string Normalization::serialize() const {
  char buf[96];
  std::snprintf(buf, sizeof buf, "zscore:mean=%.17g,std=%.17g", mean, stddev);
  return buf;
}

static bool parseNumber(std::string_view s, double &out) {
  std::string str(s);
  if (str.empty() || std::isspace(static_cast<unsigned char>(str[0])))
    return false;
  char *end = nullptr;
  errno = 0;
  out = std::strtod(str.c_str(), &end);
  return errno != ERANGE && end == str.c_str() + str.size() &&
         std::isfinite(out);
}

Result<Normalization> Normalization::parse(const std::string &s) {
  const std::string prefix = "zscore:mean=";
  size_t comma = s.find(",std=");
  Normalization n;
  if (s.compare(0, prefix.size(), prefix) != 0 || comma == std::string::npos)
    return makeError("normalization '" + s +
                     "': expected zscore:mean=M,std=S");
  std::string_view sv(s);
  if (!parseNumber(sv.substr(prefix.size(), comma - prefix.size()), n.mean))
    return makeError("normalization '" + s + "': mean is not a number");
  if (!parseNumber(sv.substr(comma + 5), n.stddev) || !(n.stddev > 0))
    return makeError("normalization '" + s + "': std is not a number > 0");
  return n;
}

static std::vector<std::string_view> splitCells(std::string_view line) {
  std::vector<std::string_view> cells;
  size_t start = 0;
  while (true) {
    size_t end = line.find(',', start);
    std::string_view cell = line.substr(start, end - start);
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t'))
      cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t'))
      cell.remove_suffix(1);
    if (cell.size() >= 2 && cell.front() == '"' && cell.back() == '"')
      cell = cell.substr(1, cell.size() - 2);
    cells.push_back(cell);
    if (end == std::string_view::npos)
      return cells;
    start = end + 1;
  }
}

Result<std::vector<float>> readCsvColumn(const std::string &path,
                                         const std::string &column) {
  auto text = readWholeFile(path);
  if (!text)
    return makeError(text.error());
  std::vector<std::string_view> lines = splitLines(*text);
  size_t headerLine = 0;
  while (headerLine < lines.size() && lines[headerLine].empty())
    ++headerLine;
  if (headerLine == lines.size())
    return makeError(path + ": no header line");
  std::vector<std::string_view> header = splitCells(lines[headerLine]);
  int64_t col = -1;
  for (size_t k = 0; k < header.size(); ++k)
    if (header[k] == column)
      col = static_cast<int64_t>(k);
  if (col < 0 && !column.empty() &&
      column.find_first_not_of("0123456789") == std::string::npos &&
      column.size() < 10)
    col = std::stoll(column);
  if (col < 0 || col >= static_cast<int64_t>(header.size())) {
    std::string names;
    for (std::string_view h : header)
      names += (names.empty() ? "'" : ", '") + std::string(h) + "'";
    return lineError(path, headerLine + 1,
                     "no column '" + column + "' (the header has " + names +
                         ")");
  }
  std::vector<float> values;
  for (size_t k = headerLine + 1; k < lines.size(); ++k) {
    if (lines[k].empty())
      continue;
    std::vector<std::string_view> cells = splitCells(lines[k]);
    if (cells.size() != header.size())
      return lineError(path, k + 1,
                       std::to_string(cells.size()) + " cells, the header has " +
                           std::to_string(header.size()));
    double v;
    if (!parseNumber(cells[col], v))
      return lineError(path, k + 1,
                       "column '" + std::string(header[col]) + "': '" +
                           std::string(cells[col]) + "' is not a number");
    values.push_back(static_cast<float>(v));
  }
  if (values.empty())
    return makeError(path + ": no data rows");
  return values;
}

Result<ExampleSet> makeWindows(const std::vector<float> &series,
                               const WindowOptions &o) {
  if (o.window < 1 || o.horizon < 1 || o.stride < 1)
    return makeError("time-series windows need window, horizon and stride "
                     ">= 1, got " +
                     std::to_string(o.window) + ", " +
                     std::to_string(o.horizon) + ", " +
                     std::to_string(o.stride));
  ExampleSet set;
  set.features = 1;
  set.targetFeatures = 1;
  const int64_t n = static_cast<int64_t>(series.size());
  for (int64_t i = 0; i + o.window + o.horizon <= n; i += o.stride) {
    Example e;
    e.frames.assign(series.begin() + i, series.begin() + i + o.window);
    e.targetFrames.assign(series.begin() + i + o.horizon,
                          series.begin() + i + o.horizon + o.window);
    set.examples.push_back(std::move(e));
  }
  return set;
}

Result<TimeSeriesData> loadTimeSeries(const std::string &path,
                                      const std::string &column,
                                      double valFraction,
                                      const WindowOptions &options,
                                      const Normalization *norm) {
  if (!(valFraction >= 0 && valFraction < 1))
    return makeError(path + ": validation fraction must be in [0, 1)");
  auto raw = readCsvColumn(path, column);
  if (!raw)
    return makeError(raw.error());
  size_t nVal = static_cast<size_t>(
      std::floor(static_cast<double>(raw->size()) * valFraction));
  size_t nTrain = raw->size() - nVal;
  std::vector<float> train(raw->begin(), raw->begin() + nTrain);
  std::vector<float> val(raw->begin() + nTrain, raw->end());
  TimeSeriesData d;
  d.norm = norm ? *norm : Normalization::fit(train);
  for (float &v : train)
    v = d.norm.apply(v);
  for (float &v : val)
    v = d.norm.apply(v);
  auto tw = makeWindows(train, options);
  if (!tw)
    return makeError(tw.error());
  auto vw = makeWindows(val, options);
  if (!vw)
    return makeError(vw.error());
  const int64_t need = options.window + options.horizon;
  if (tw->examples.empty())
    return makeError(path + ": the training part has " +
                     std::to_string(train.size()) + " values, a window needs " +
                     std::to_string(need));
  if (nVal > 0 && vw->examples.empty())
    return makeError(path + ": the validation part has " +
                     std::to_string(val.size()) + " values, a window needs " +
                     std::to_string(need) + " (raise the validation fraction)");
  d.train = std::move(train);
  d.val = std::move(val);
  d.trainWindows = tw.take();
  d.valWindows = vw.take();
  return d;
}

} // namespace rnnc
