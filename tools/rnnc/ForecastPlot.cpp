//===- tools/rnnc/ForecastPlot.cpp - SVG picture of a forecast ------------===//
#include "tools/rnnc/ForecastPlot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace rnnc::driver {

static std::string escapeXml(const std::string &text) {
  std::string out;
  for (char c : text)
    out += c == '<' ? "&lt;" : c == '&' ? "&amp;" : c == '>' ? "&gt;"
                                                             : std::string(1, c);
  return out;
}

std::string forecastPlotSvg(const std::string &title,
                            const std::vector<PlotLine> &lines, int64_t split) {
  const double W = 820, H = 440, left = 70, right = 20, top = 40, bottom = 70;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const PlotLine &l : lines)
    for (size_t i = 0; i < l.values.size(); ++i) {
      if (!std::isfinite(l.values[i]))
        continue;
      double x = static_cast<double>(l.first + static_cast<int64_t>(i));
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, l.values[i]);
      y1 = std::max(y1, l.values[i]);
    }
  if (x0 > x1) {
    x0 = 0;
    x1 = 1;
    y0 = 0;
    y1 = 1;
  }
  if (x1 - x0 < 1)
    x1 = x0 + 1;
  if (y1 - y0 < 1e-9)
    y1 = y0 + 1;
  double pad = 0.05 * (y1 - y0);
  y0 -= pad;
  y1 += pad;
  auto px = [&](double x) {
    return left + (x - x0) / (x1 - x0) * (W - left - right);
  };
  auto py = [&](double y) {
    return top + (y1 - y) / (y1 - y0) * (H - top - bottom);
  };
  std::ostringstream s;
  char buf[160];
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W
    << "\" height=\"" << H
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" "
    << "font-size=\"15\">" << escapeXml(title) << "</text>\n"
    << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\""
    << W - left - right << "\" height=\"" << H - top - bottom
    << "\" stroke=\"#888\" fill=\"none\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    double y = y0 + (y1 - y0) * i / 4, x = x0 + (x1 - x0) * i / 4;
    std::snprintf(buf, sizeof buf, "%.4g", y);
    s << "<text x=\"" << left - 6 << "\" y=\"" << py(y) + 4
      << "\" text-anchor=\"end\">" << buf << "</text>\n"
      << "<line x1=\"" << left << "\" x2=\"" << W - right << "\" y1=\""
      << py(y) << "\" y2=\"" << py(y) << "\" stroke=\"#eee\"/>\n";
    std::snprintf(buf, sizeof buf, "%.0f", x);
    s << "<text x=\"" << px(x) << "\" y=\"" << H - bottom + 16
      << "\" text-anchor=\"middle\">" << buf << "</text>\n";
  }
  // The held-out tail starts here.
  if (split >= x0 && split <= x1)
    s << "<line x1=\"" << px(split) << "\" x2=\"" << px(split) << "\" y1=\""
      << top << "\" y2=\"" << H - bottom
      << "\" stroke=\"#bbb\" stroke-dasharray=\"2,3\"/>\n"
      << "<text x=\"" << px(split) + 4 << "\" y=\"" << top + 14
      << "\" fill=\"#888\">held out</text>\n";
  double legendX = left;
  for (const PlotLine &l : lines) {
    s << "<polyline fill=\"none\" stroke=\"" << l.colour
      << "\" stroke-width=\"1.5\"";
    if (!l.dash.empty())
      s << " stroke-dasharray=\"" << l.dash << "\"";
    s << " points=\"";
    for (size_t i = 0; i < l.values.size(); ++i) {
      if (!std::isfinite(l.values[i]))
        continue;
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ",
                    px(static_cast<double>(l.first + static_cast<int64_t>(i))),
                    py(l.values[i]));
      s << buf;
    }
    s << "\"/>\n";
    double ly = H - 22;
    s << "<line x1=\"" << legendX << "\" x2=\"" << legendX + 24 << "\" y1=\""
      << ly - 4 << "\" y2=\"" << ly - 4 << "\" stroke=\"" << l.colour
      << "\" stroke-width=\"2\"";
    if (!l.dash.empty())
      s << " stroke-dasharray=\"" << l.dash << "\"";
    s << "/>\n<text x=\"" << legendX + 30 << "\" y=\"" << ly << "\">"
      << escapeXml(l.label) << "</text>\n";
    legendX += 40 + 7.0 * static_cast<double>(l.label.size());
  }
  s << "</svg>\n";
  return s.str();
}

} // namespace rnnc::driver
