//===- tools/rnnc/TrainLog.cpp - Progress, metrics CSV and loss plot ------===//
#include "tools/rnnc/TrainLog.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace rnnc::driver {

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

TrainLog::TrainLog(std::ostream &os, bool interactive, int64_t totalSteps,
                   double timeLimitSec, double logEverySec)
    : os(os), tty(interactive), total(totalSteps), timeLimit(timeLimitSec),
      logEvery(logEverySec) {}

void TrainLog::prepend(std::vector<StepRecord> earlier) {
  earlier.insert(earlier.end(), rows.begin(), rows.end());
  rows = std::move(earlier);
}

void TrainLog::step(const StepRecord &r) {
  rows.push_back(r);
  rows.back().valLoss = std::numeric_limits<double>::quiet_NaN();
  // An exponential moving average makes the shown loss readable; the CSV
  // keeps the raw value.
  smoothed = haveSmoothed ? 0.95 * smoothed + 0.05 * r.trainLoss : r.trainLoss;
  haveSmoothed = true;
  double interval = tty ? 0.25 : logEvery;
  if (!std::isfinite(logEvery) ||
      (r.elapsedSec - lastPrint < interval && r.step != total))
    return;
  lastPrint = r.elapsedSec;

  double eta = std::numeric_limits<double>::quiet_NaN();
  double perStep = rows.size() > 0 ? r.elapsedSec / std::max<int64_t>(
                                                        1, r.step - rows.front().step + 1)
                                   : 0;
  if (total > 0)
    eta = perStep * static_cast<double>(total - r.step);
  if (timeLimit > 0)
    eta = std::isfinite(eta) ? std::min(eta, timeLimit - r.elapsedSec)
                             : timeLimit - r.elapsedSec;
  char buf[256];
  std::string stepText = total > 0 ? std::to_string(r.step) + "/" +
                                         std::to_string(total)
                                   : std::to_string(r.step);
  std::snprintf(buf, sizeof buf,
                "step %s  epoch %lld  loss %.4f  lr %.2e  |g| %.3g  "
                "%.0f tok/s  elapsed %s  ETA %s",
                stepText.c_str(), static_cast<long long>(r.epoch), smoothed,
                r.lr, r.gradNorm, r.tokensPerSec,
                formatDuration(r.elapsedSec).c_str(),
                formatDuration(eta).c_str());
  if (tty) {
    std::string bar;
    if (total > 0) {
      int width = 20;
      int filled = static_cast<int>(width * std::min(1.0, double(r.step) / total));
      bar = "[" + std::string(filled, '=') + std::string(width - filled, ' ') +
            "] ";
    }
    os << "\r\033[K" << bar << buf << std::flush;
    lineOpen = true;
  } else {
    os << buf << "\n" << std::flush;
  }
}

void TrainLog::validation(const StepRecord &r, const std::string &label,
                          bool inNats) {
  if (!rows.empty() && rows.back().step == r.step)
    rows.back().valLoss = r.valLoss;
  else
    rows.push_back(r);
  char buf[200];
  if (inNats)
    std::snprintf(buf, sizeof buf,
                  "validation at step %lld: loss %.4f %s (%.4f bits), "
                  "elapsed %s",
                  static_cast<long long>(r.step), r.valLoss, label.c_str(),
                  r.valLoss / std::log(2.0),
                  formatDuration(r.elapsedSec).c_str());
  else
    std::snprintf(buf, sizeof buf, "validation at step %lld: loss %.4f %s, "
                  "elapsed %s",
                  static_cast<long long>(r.step), r.valLoss, label.c_str(),
                  formatDuration(r.elapsedSec).c_str());
  message(buf);
}

void TrainLog::message(const std::string &text) {
  if (lineOpen)
    os << "\r\033[K";
  os << text << "\n" << std::flush;
  lineOpen = false;
  lastPrint = -1e30; // redraw the progress line at the next step
}

void TrainLog::finish() {
  if (lineOpen)
    os << "\n" << std::flush;
  lineOpen = false;
}

static std::string num(double v) {
  if (!std::isfinite(v))
    return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string metricsCsv(const std::vector<StepRecord> &rows) {
  std::string s = "step,epoch,train_loss,val_loss,lr,grad_norm,tokens_per_s,"
                  "elapsed_s\n";
  for (const StepRecord &r : rows)
    s += std::to_string(r.step) + "," + std::to_string(r.epoch) + "," +
         num(r.trainLoss) + "," + num(r.valLoss) + "," + num(r.lr) + "," +
         num(r.gradNorm) + "," + num(r.tokensPerSec) + "," +
         num(r.elapsedSec) + "\n";
  return s;
}

std::vector<StepRecord> parseMetricsCsv(const std::string &text) {
  std::vector<StepRecord> rows;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line); // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, ','))
      f.push_back(cell);
    if (line.back() == ',')
      f.push_back("");
    if (f.size() != 8)
      continue;
    auto d = [](const std::string &c) {
      return c.empty() ? std::numeric_limits<double>::quiet_NaN()
                       : std::strtod(c.c_str(), nullptr);
    };
    StepRecord r;
    r.step = std::strtoll(f[0].c_str(), nullptr, 10);
    r.epoch = std::strtoll(f[1].c_str(), nullptr, 10);
    r.trainLoss = d(f[2]);
    r.valLoss = d(f[3]);
    r.lr = d(f[4]);
    r.gradNorm = d(f[5]);
    r.tokensPerSec = d(f[6]);
    r.elapsedSec = d(f[7]);
    rows.push_back(r);
  }
  return rows;
}

std::string lossPlotSvg(const std::vector<StepRecord> &rows,
                        const std::string &title) {
  const double W = 720, H = 420, left = 70, right = 20, top = 40, bottom = 50;
  std::vector<std::pair<double, double>> train, val;
  double ema = 0;
  bool have = false;
  for (const StepRecord &r : rows) {
    if (std::isfinite(r.trainLoss) && r.trainLoss != 0) {
      ema = have ? 0.95 * ema + 0.05 * r.trainLoss : r.trainLoss;
      have = true;
      train.push_back({double(r.step), ema});
    }
    if (std::isfinite(r.valLoss))
      val.push_back({double(r.step), r.valLoss});
  }
  // A long run has thousands of steps; 800 points draw the same curve.
  if (train.size() > 800) {
    size_t stride = (train.size() + 799) / 800;
    std::vector<std::pair<double, double>> thin;
    for (size_t i = 0; i < train.size(); i += stride)
      thin.push_back(train[i]);
    if (thin.back() != train.back())
      thin.push_back(train.back());
    train = std::move(thin);
  }
  double x0 = 0, x1 = 1, y0 = 1e300, y1 = -1e300;
  for (auto *series : {&train, &val})
    for (auto [x, y] : *series) {
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  if (y0 > y1) {
    y0 = 0;
    y1 = 1;
  }
  if (y1 - y0 < 1e-6)
    y1 = y0 + 1;
  double pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * (W - left - right); };
  auto py = [&](double y) { return top + (y1 - y) / (y1 - y0) * (H - top - bottom); };
  std::ostringstream s;
  char buf[128];
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W
    << "\" height=\"" << H << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::string esc;
  for (char c : title)
    esc += c == '<' ? "&lt;" : c == '&' ? "&amp;" : c == '>' ? "&gt;"
                                                             : std::string(1, c);
  s << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" "
    << "font-size=\"15\">" << esc << "</text>\n";
  // Axes with five ticks each.
  s << "<g stroke=\"#888\" fill=\"none\"><rect x=\"" << left << "\" y=\"" << top
    << "\" width=\"" << W - left - right << "\" height=\"" << H - top - bottom
    << "\"/></g>\n";
  for (int i = 0; i <= 4; ++i) {
    double y = y0 + (y1 - y0) * i / 4, x = x0 + (x1 - x0) * i / 4;
    std::snprintf(buf, sizeof buf, "%.3g", y);
    s << "<text x=\"" << left - 6 << "\" y=\"" << py(y) + 4
      << "\" text-anchor=\"end\">" << buf << "</text>\n";
    s << "<line x1=\"" << left << "\" x2=\"" << W - right << "\" y1=\"" << py(y)
      << "\" y2=\"" << py(y) << "\" stroke=\"#eee\"/>\n";
    std::snprintf(buf, sizeof buf, "%.0f", x);
    s << "<text x=\"" << px(x) << "\" y=\"" << H - bottom + 18
      << "\" text-anchor=\"middle\">" << buf << "</text>\n";
  }
  s << "<text x=\"" << (left + W - right) / 2 << "\" y=\"" << H - 12
    << "\" text-anchor=\"middle\">step</text>\n";
  s << "<text x=\"16\" y=\"" << (top + H - bottom) / 2
    << "\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
    << (top + H - bottom) / 2 << ")\">loss</text>\n";
  auto polyline = [&](const std::vector<std::pair<double, double>> &pts,
                      const char *color) {
    if (pts.empty())
      return;
    s << "<polyline fill=\"none\" stroke=\"" << color
      << "\" stroke-width=\"2\" points=\"";
    for (auto [x, y] : pts) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(x), py(y));
      s << buf;
    }
    s << "\"/>\n";
  };
  polyline(train, "#1f77b4");
  polyline(val, "#d62728");
  for (auto [x, y] : val)
    s << "<circle cx=\"" << px(x) << "\" cy=\"" << py(y)
      << "\" r=\"3\" fill=\"#d62728\"/>\n";
  s << "<g font-size=\"12\"><line x1=\"" << W - 190 << "\" x2=\"" << W - 170
    << "\" y1=\"" << top + 15 << "\" y2=\"" << top + 15
    << "\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"" << W - 165
    << "\" y=\"" << top + 19 << "\">train (smoothed)</text>\n<line x1=\""
    << W - 190 << "\" x2=\"" << W - 170 << "\" y1=\"" << top + 33
    << "\" y2=\"" << top + 33
    << "\" stroke=\"#d62728\" stroke-width=\"2\"/><text x=\"" << W - 165
    << "\" y=\"" << top + 37 << "\">validation</text></g>\n</svg>\n";
  return s.str();
}

} // namespace rnnc::driver
