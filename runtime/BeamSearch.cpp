//===- runtime/BeamSearch.cpp - Beam search over next-token scores --------===//
#include "runtime/BeamSearch.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace rnnc {

double lengthNormalizedScore(const BeamHypothesis &h, double alpha) {
  double len = static_cast<double>(std::max<int64_t>(1, h.length()));
  return alpha == 0 ? h.logProb : h.logProb / std::pow(len, alpha);
}

BeamSearch::BeamSearch(int64_t width, int32_t eos, double alpha)
    : width(std::max<int64_t>(1, width)), eos(eos), alpha(alpha) {
  liveHyps.emplace_back();
}

Status BeamSearch::step(const std::vector<float> &logProbs, int64_t vocab) {
  if (liveHyps.empty())
    return Status::ok();
  if (vocab <= 0 ||
      logProbs.size() != liveHyps.size() * static_cast<size_t>(vocab))
    return makeError("beam search: expected " +
                     std::to_string(liveHyps.size()) + " rows of " +
                     std::to_string(vocab) + " log-probabilities, got " +
                     std::to_string(logProbs.size()) + " values");
  struct Candidate {
    double logProb;
    size_t hyp;
    int32_t token;
  };
  std::vector<Candidate> cands;
  cands.reserve(logProbs.size());
  for (size_t i = 0; i < liveHyps.size(); ++i)
    for (int64_t v = 0; v < vocab; ++v) {
      float lp = logProbs[i * vocab + v];
      // Excluded tokens, and NaN, which would break the ordering.
      if (!(lp > -INFINITY))
        continue;
      cands.push_back({liveHyps[i].logProb + lp, i, static_cast<int32_t>(v)});
    }
  if (cands.empty())
    return makeError("beam search: every token is excluded");
  size_t keep = std::min(cands.size(),
                         static_cast<size_t>(width) - done.size());
  auto better = [](const Candidate &a, const Candidate &b) {
    if (a.logProb != b.logProb)
      return a.logProb > b.logProb;
    if (a.hyp != b.hyp)
      return a.hyp < b.hyp;
    return a.token < b.token;
  };
  std::partial_sort(cands.begin(), cands.begin() + keep, cands.end(), better);
  std::vector<BeamHypothesis> next;
  for (size_t k = 0; k < keep; ++k) {
    const Candidate &c = cands[k];
    BeamHypothesis h;
    h.tokens = liveHyps[c.hyp].tokens;
    h.logProb = c.logProb;
    if (c.token == eos) {
      h.finished = true;
      done.push_back(std::move(h));
    } else {
      h.tokens.push_back(c.token);
      next.push_back(std::move(h));
    }
  }
  liveHyps = std::move(next);
  return Status::ok();
}

bool BeamSearch::isDone() const {
  return liveHyps.empty() || static_cast<int64_t>(done.size()) >= width;
}

void BeamSearch::finish() {
  for (BeamHypothesis &h : liveHyps)
    done.push_back(std::move(h));
  liveHyps.clear();
}

std::vector<BeamHypothesis> BeamSearch::results() const {
  std::vector<BeamHypothesis> out = done;
  // stable_sort: equal scores keep the order in which they finished.
  std::stable_sort(out.begin(), out.end(),
                   [&](const BeamHypothesis &a, const BeamHypothesis &b) {
                     return lengthNormalizedScore(a, alpha) >
                            lengthNormalizedScore(b, alpha);
                   });
  return out;
}

} // namespace rnnc
