//===- tools/rnnc/ConfusionMatrix.cpp - Classification results by class ---===//
#include "tools/rnnc/ConfusionMatrix.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace rnnc::driver {

ConfusionMatrix::ConfusionMatrix(std::vector<std::string> classNames)
    : names(std::move(classNames)), cells(names.size() * names.size(), 0),
      rowTotals(names.size(), 0) {}

void ConfusionMatrix::add(int64_t truth, int64_t predicted) {
  if (truth < 0 || truth >= classes())
    return;
  ++n;
  ++rowTotals[truth];
  if (predicted >= 0 && predicted < classes())
    ++cells[truth * classes() + predicted];
}

int64_t ConfusionMatrix::correct() const {
  int64_t c = 0;
  for (int64_t k = 0; k < classes(); ++k)
    c += count(k, k);
  return c;
}

double ConfusionMatrix::accuracy() const {
  return n ? static_cast<double>(correct()) / static_cast<double>(n) : 0;
}

double ConfusionMatrix::majorityBaseline() const {
  int64_t most = 0;
  for (int64_t t : rowTotals)
    most = std::max(most, t);
  return n ? static_cast<double>(most) / static_cast<double>(n) : 0;
}

static std::string percent(int64_t num, int64_t den) {
  char buf[32];
  if (den == 0)
    return "    -";
  std::snprintf(buf, sizeof buf, "%5.1f%%", 100.0 * num / den);
  return buf;
}

std::string ConfusionMatrix::text() const {
  std::ostringstream os;
  size_t nameWidth = 5;
  for (const std::string &s : names)
    nameWidth = std::max(nameWidth, s.size());
  os << "per-class accuracy:\n";
  for (int64_t k = 0; k < classes(); ++k) {
    os << "  " << names[k] << std::string(nameWidth - names[k].size(), ' ')
       << " " << percent(count(k, k), support(k)) << "  (" << count(k, k)
       << "/" << support(k) << ")\n";
  }
  // Columns are numbered: the names would make 18 columns too wide.
  int64_t most = 1;
  for (int64_t c : cells)
    most = std::max(most, c);
  int width = static_cast<int>(std::to_string(most).size()) + 1;
  width = std::max(width, static_cast<int>(std::to_string(classes()).size()) + 1);
  int labelWidth = static_cast<int>(std::to_string(classes()).size());
  os << "confusion matrix (rows: true class, columns: predicted):\n";
  os << std::string(labelWidth + nameWidth + 3, ' ');
  for (int64_t k = 0; k < classes(); ++k) {
    std::string h = std::to_string(k);
    os << std::string(width - h.size(), ' ') << h;
  }
  os << "\n";
  for (int64_t t = 0; t < classes(); ++t) {
    std::string idx = std::to_string(t);
    os << "  " << std::string(labelWidth - idx.size(), ' ') << idx << " "
       << names[t] << std::string(nameWidth - names[t].size(), ' ');
    for (int64_t p = 0; p < classes(); ++p) {
      std::string c = std::to_string(count(t, p));
      os << std::string(width - c.size(), ' ') << c;
    }
    os << "\n";
  }
  return os.str();
}

static std::string xmlEscape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '&': out += "&amp;"; break;
    case '"': out += "&quot;"; break;
    default: out += c;
    }
  }
  return out;
}

std::string ConfusionMatrix::svg(const std::string &title) const {
  const int cell = classes() > 12 ? 32 : 48;
  size_t longest = 1;
  for (const std::string &s : names)
    longest = std::max(longest, s.size());
  const int margin = 16 + static_cast<int>(longest) * 8;
  const int top = 40 + margin;
  const int size = cell * static_cast<int>(classes());
  // The column labels lean right (rotated -60 degrees): leave room for the
  // last one past the grid.
  const int w = margin + size + 20 + static_cast<int>(longest) * 4,
            h = top + size + 40;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w
     << "\" height=\"" << h << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
     << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
     << "<text x=\"" << w / 2 << "\" y=\"20\" text-anchor=\"middle\" "
     << "font-size=\"14\">" << xmlEscape(title) << "</text>\n";
  char acc[64];
  std::snprintf(acc, sizeof acc, "accuracy %.2f%% of %lld", 100 * accuracy(),
                static_cast<long long>(n));
  os << "<text x=\"" << w / 2 << "\" y=\"" << h - 14
     << "\" text-anchor=\"middle\">" << acc
     << " (rows: true class, columns: predicted)</text>\n";
  for (int64_t k = 0; k < classes(); ++k) {
    int c = margin + static_cast<int>(k) * cell + cell / 2;
    int r = top + static_cast<int>(k) * cell + cell / 2 + 4;
    os << "<text x=\"" << margin - 6 << "\" y=\"" << r
       << "\" text-anchor=\"end\">" << xmlEscape(names[k]) << "</text>\n";
    os << "<text transform=\"translate(" << c + 4 << "," << top - 6
       << ") rotate(-60)\">" << xmlEscape(names[k]) << "</text>\n";
  }
  for (int64_t t = 0; t < classes(); ++t)
    for (int64_t p = 0; p < classes(); ++p) {
      // Shade by the fraction of the true class: white (0) to dark blue (1).
      double f = support(t) ? static_cast<double>(count(t, p)) / support(t) : 0;
      int red = static_cast<int>(255 - f * (255 - 8));
      int green = static_cast<int>(255 - f * (255 - 48));
      int blue = static_cast<int>(255 - f * (255 - 107));
      int x = margin + static_cast<int>(p) * cell;
      int y = top + static_cast<int>(t) * cell;
      os << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << cell
         << "\" height=\"" << cell << "\" fill=\"rgb(" << red << "," << green
         << "," << blue << ")\" stroke=\"#ccc\"/>\n";
      if (count(t, p))
        os << "<text x=\"" << x + cell / 2 << "\" y=\"" << y + cell / 2 + 4
           << "\" text-anchor=\"middle\" font-size=\"" << (cell > 40 ? 12 : 10)
           << "\" fill=\"" << (f > 0.5 ? "white" : "black") << "\">"
           << count(t, p) << "</text>\n";
    }
  os << "</svg>\n";
  return os.str();
}

} // namespace rnnc::driver
