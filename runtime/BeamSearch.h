//===- runtime/BeamSearch.h - Beam search over next-token scores -*- C++ -*-===//
//
// The bookkeeping of beam-search decoding, apart from any model, so that it
// can be tested against hand-computed examples (tests/unit/BeamSearchTest.cpp)
// and `rnnc translate` only has to turn model outputs into log-probabilities.
//
// The beam shrinks as hypotheses finish (the form of Graves 2012 and of most
// seq2seq tutorials): with width K and F hypotheses finished, each step
// extends every live hypothesis by every token, keeps the K - F candidates
// with the highest total log-probability, and moves those that end in EOS to
// the finished set. Decoding stops when K hypotheses have finished (or none
// is live); at the length limit the caller calls finish(), which counts the
// live ones as candidates too. The result is the candidate with the highest
// length-normalized score logP / length^alpha, where the length counts the
// EOS token (alpha = 0: raw log-probability, which favours short outputs;
// alpha = 1: mean log-probability per token). Width 1 is greedy decoding.
//
// Ties are broken by the hypothesis' position in the beam, then by token id,
// so decoding is deterministic.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_BEAMSEARCH_H
#define RNNC_RUNTIME_BEAMSEARCH_H

#include "runtime/Result.h"

#include <cstdint>
#include <vector>

namespace rnnc {

struct BeamHypothesis {
  /// The tokens chosen so far, without the EOS that finished it.
  std::vector<int32_t> tokens;
  /// Sum of the log-probabilities of the chosen tokens (EOS included).
  double logProb = 0;
  /// Ended with EOS (else cut at the length limit).
  bool finished = false;
  /// tokens.size() + 1 when finished (the EOS counts), else tokens.size().
  int64_t length() const {
    return static_cast<int64_t>(tokens.size()) + (finished ? 1 : 0);
  }
};

/// logProb / length^alpha (length at least 1).
double lengthNormalizedScore(const BeamHypothesis &h, double alpha);

class BeamSearch {
public:
  /// Width >= 1; `eos` is the token that ends a hypothesis.
  BeamSearch(int64_t width, int32_t eos, double alpha = 1.0);

  /// The hypotheses to extend next, in beam order (at first one, empty).
  const std::vector<BeamHypothesis> &live() const { return liveHyps; }
  const std::vector<BeamHypothesis> &finished() const { return done; }

  /// Extends the live hypotheses: `logProbs` holds live().size() rows of
  /// `vocab` log-probabilities each (row i for live()[i]); -infinity (or
  /// NaN) excludes a token. Fails on a wrong size, or when no token of any
  /// row can be chosen.
  Status step(const std::vector<float> &logProbs, int64_t vocab);

  /// No live hypothesis left, or the beam has filled with finished ones.
  bool isDone() const;

  /// At the length limit: the live hypotheses become candidates (unfinished)
  /// and nothing is live any more.
  void finish();

  /// The candidates, best first by length-normalized score (ties: the one
  /// that finished first).
  std::vector<BeamHypothesis> results() const;

private:
  int64_t width;
  int32_t eos;
  double alpha;
  std::vector<BeamHypothesis> liveHyps, done;
};

} // namespace rnnc

#endif // RNNC_RUNTIME_BEAMSEARCH_H
