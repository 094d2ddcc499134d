//===- runtime/LabelledText.h - Texts with class labels ---------*- C++ -*-===//
//
// Sequence classification data, in the two layouts of ../shared/data:
//
//   a directory with one file per class (names/<Language>.txt): the class
//     is the file's name without its extension, classes are numbered in
//     sorted file-name order, and each non-blank line is one example;
//   one example per line, text and label separated by a TAB
//     (sentiment/*.txt, `sentence<TAB>label`; labelFirst for
//     `label<TAB>text`). Lines split on '\n' only (the imdb file holds
//     U+0085), exactly one TAB per line. When every label is a
//     non-negative integer the label is its own class id (so "0"/"1" stay
//     0/1 and the classes are "0".."max"); otherwise classes are the sorted
//     distinct label strings.
//
// toExamples() encodes the texts with a Vocab (Vocab.h) for batching.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_LABELLEDTEXT_H
#define RNNC_RUNTIME_LABELLEDTEXT_H

#include "runtime/Batching.h"
#include "runtime/Result.h"
#include "runtime/Vocab.h"

#include <string>
#include <vector>

namespace rnnc {

struct LabelledTexts {
  /// Class id -> name.
  std::vector<std::string> classes;
  std::vector<std::string> texts;
  std::vector<int32_t> labels;
  /// "file:line" of each example, for messages.
  std::vector<std::string> origins;
  size_t size() const { return texts.size(); }
};

/// Every file ending in `extension` in `dir` is a class. Fails naming the
/// directory when it is missing or holds no such file, and naming a file
/// that is empty or unreadable.
Result<LabelledTexts> loadClassDirectory(const std::string &dir,
                                         const std::string &extension = ".txt");

/// One `text<TAB>label` (or `label<TAB>text`) per line. Errors name the file
/// and line: no TAB, more than one TAB, an empty text or label; and the file
/// when it is missing, unreadable or empty.
Result<LabelledTexts> loadTabSeparated(const std::string &path,
                                       bool labelFirst = false);

/// Texts encoded with `vocab`, labelled. Fails naming the origin of an
/// example whose text has no tokens.
Result<ExampleSet> toExamples(const LabelledTexts &data, const Vocab &vocab);

} // namespace rnnc

#endif // RNNC_RUNTIME_LABELLEDTEXT_H
