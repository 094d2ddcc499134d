//===- runtime/FrameSequences.h - Sequences of feature frames ---*- C++ -*-===//
//
// Multivariate sequences stored one frame per line, as the UCI Japanese
// Vowels data (../shared/data/japanese_vowels/ae.train, ae.test): each line
// holds the same number of whitespace-separated numbers, and a sequence ends
// with a separator line whose values all equal `separator` (1.0 there;
// compared numerically, since ae.train writes one as "1.00 1.00 ..."). Blank
// lines are skipped; frames after the last separator form a final sequence.
// Labels are implied by order in that data, so labelInBlocks() assigns them
// from per-class counts (30 x 9 for ae.train; 31 35 88 44 29 24 40 50 29 for
// ae.test).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_FRAMESEQUENCES_H
#define RNNC_RUNTIME_FRAMESEQUENCES_H

#include "runtime/Batching.h"
#include "runtime/Result.h"

#include <string>
#include <vector>

namespace rnnc {

/// The sequences of the file as examples with `frames` (features = numbers
/// per line). Errors name file and line: a non-numeric value, a line with
/// another number of values than the first, an empty sequence (two
/// separators in a row); and the file when missing, unreadable or empty.
Result<ExampleSet> loadFrameSequences(const std::string &path,
                                      double separator = 1.0);

/// Gives the first counts[0] examples label 0, the next counts[1] label 1,
/// and so on; fails unless the counts are positive and sum to set.size().
Status labelInBlocks(ExampleSet &set, const std::vector<int64_t> &counts);

} // namespace rnnc

#endif // RNNC_RUNTIME_FRAMESEQUENCES_H
