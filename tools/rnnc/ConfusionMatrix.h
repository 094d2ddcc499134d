//===- tools/rnnc/ConfusionMatrix.h - Classification results by class -*- C++ -*-===//
//
// Counts of (true class, predicted class) over a held-out set, and the two
// ways `rnnc eval` shows them: text for the terminal (accuracy, per-class
// accuracy, the matrix with rows = truth, columns = prediction) and an SVG
// picture (cells shaded by the fraction of the true class's examples, so
// small classes are as visible as large ones).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_CONFUSIONMATRIX_H
#define RNNC_TOOLS_RNNC_CONFUSIONMATRIX_H

#include <cstdint>
#include <string>
#include <vector>

namespace rnnc::driver {

class ConfusionMatrix {
public:
  explicit ConfusionMatrix(std::vector<std::string> classNames);

  /// One example; a prediction outside the classes (a model with more
  /// outputs than classes) counts as wrong, in no column.
  void add(int64_t truth, int64_t predicted);

  int64_t classes() const { return static_cast<int64_t>(names.size()); }
  int64_t count(int64_t truth, int64_t predicted) const {
    return cells[truth * classes() + predicted];
  }
  int64_t total() const { return n; }
  int64_t correct() const;
  /// Examples whose true class is `c`.
  int64_t support(int64_t c) const { return rowTotals[c]; }
  double accuracy() const;
  /// The share of the most frequent true class: what always guessing it
  /// scores.
  double majorityBaseline() const;

  /// Per-class accuracy lines, then the matrix (columns numbered like the
  /// rows, so 18 classes still fit in a terminal).
  std::string text() const;
  /// A standalone SVG document.
  std::string svg(const std::string &title) const;

private:
  std::vector<std::string> names;
  std::vector<int64_t> cells, rowTotals;
  int64_t n = 0;
};

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_CONFUSIONMATRIX_H
