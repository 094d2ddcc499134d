//===- tools/rnnc/TrainLog.h - Progress, metrics CSV and loss plot -*- C++ -*-===//
//
// What a long training run shows and leaves behind:
//   - on a terminal, one progress line redrawn in place (step, loss,
//     tokens/s, ETA); otherwise plain log lines at a steady rate, so logs
//     piped to a file stay readable;
//   - a CSV of every logged step and every validation (step, epoch, train
//     loss, val loss, lr, gradient norm, tokens/s, elapsed seconds);
//   - an SVG plot of the training loss (smoothed) and validation loss.
// Files are rewritten atomically, so a crash leaves the last good copy.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_TOOLS_RNNC_TRAINLOG_H
#define RNNC_TOOLS_RNNC_TRAINLOG_H

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace rnnc::driver {

struct StepRecord {
  int64_t step = 0;
  int64_t epoch = 0;
  double trainLoss = 0;
  /// NaN when no validation ran at this step.
  double valLoss = 0;
  double lr = 0;
  double gradNorm = 0;
  double tokensPerSec = 0;
  double elapsedSec = 0;
};

class TrainLog {
public:
  /// `totalSteps` <= 0 means unknown (no bar, no ETA by steps);
  /// `timeLimitSec` > 0 gives the ETA from the time budget instead.
  TrainLog(std::ostream &os, bool interactive, int64_t totalSteps,
           double timeLimitSec, double logEverySec);

  /// A training step finished; prints when due.
  void step(const StepRecord &r);
  /// A validation finished (printed always, on its own line). `label`
  /// names the loss ("nats/char"); bits are shown when it is in nats.
  void validation(const StepRecord &r, const std::string &label = "nats/token",
                  bool inNats = true);
  /// A message on its own line (clearing the progress line first).
  void message(const std::string &text);
  /// Ends the progress line.
  void finish();

  const std::vector<StepRecord> &records() const { return rows; }
  /// Records of an earlier run (from its CSV) so a resumed run's files are
  /// whole.
  void prepend(std::vector<StepRecord> earlier);

private:
  std::ostream &os;
  bool tty;
  int64_t total;
  double timeLimit, logEvery;
  double lastPrint = -1e30;
  bool lineOpen = false;
  std::vector<StepRecord> rows;
  double smoothed = 0;
  bool haveSmoothed = false;
};

/// The CSV text of the records (header line first).
std::string metricsCsv(const std::vector<StepRecord> &rows);
/// Parses what metricsCsv wrote; rows it cannot read are skipped.
std::vector<StepRecord> parseMetricsCsv(const std::string &text);
/// An SVG line plot of train (EMA-smoothed) and validation loss over steps.
std::string lossPlotSvg(const std::vector<StepRecord> &rows,
                        const std::string &title);

/// "1h02m", "3m05s", "42s".
std::string formatDuration(double seconds);

} // namespace rnnc::driver

#endif // RNNC_TOOLS_RNNC_TRAINLOG_H
