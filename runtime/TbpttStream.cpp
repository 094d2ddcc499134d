//===- runtime/TbpttStream.cpp - Batches for truncated BPTT ---------------===//
#include "runtime/TbpttStream.h"

#include <string>

namespace rnnc {

Status TbpttStream::check(const std::vector<int32_t> &ids, int64_t batch,
                          int64_t steps) {
  if (batch < 1 || steps < 1)
    return makeError("truncated BPTT needs batch >= 1 and bptt steps >= 1, "
                     "got batch " +
                     std::to_string(batch) + ", steps " +
                     std::to_string(steps));
  int64_t n = static_cast<int64_t>(ids.size());
  if (n - 1 < batch * steps)
    return makeError("text too small for truncated BPTT: " +
                     std::to_string(n) + " ids, but batch " +
                     std::to_string(batch) + " x steps " +
                     std::to_string(steps) + " needs at least " +
                     std::to_string(batch * steps + 1) +
                     " (lower batch or bptt)");
  return Status::ok();
}

Result<TbpttStream> TbpttStream::create(const std::vector<int32_t> *ids,
                                        int64_t batch, int64_t steps) {
  if (!ids)
    return makeError("truncated BPTT: no ids");
  Status s = check(*ids, batch, steps);
  if (!s)
    return makeError(s.error());
  return TbpttStream(ids, batch, steps);
}

TbpttStream::TbpttStream(const std::vector<int32_t> *ids, int64_t batch,
                         int64_t steps)
    : ids(ids), b(batch < 1 ? 1 : batch), t(steps < 1 ? 1 : steps) {
  if (ids && check(*ids, batch, steps)) {
    windows = (static_cast<int64_t>(ids->size()) - 1) / (b * t);
    laneLen = windows * t;
  }
}

TbpttStream::Batch TbpttStream::next() {
  Batch out;
  out.x = Tensor(DType::I32, {t, b});
  out.y = Tensor(DType::I32, {t, b});
  out.lengths = Tensor::i32({b}, std::vector<int32_t>(b, static_cast<int32_t>(t)));
  if (!windows)
    return out;
  int64_t w = pos % windows;
  out.epochStart = w == 0;
  const int32_t *src = ids->data();
  int32_t *x = out.x.i32Data(), *y = out.y.i32Data();
  for (int64_t lane = 0; lane < b; ++lane) {
    int64_t base = lane * laneLen + w * t;
    for (int64_t s = 0; s < t; ++s) {
      x[s * b + lane] = src[base + s];
      y[s * b + lane] = src[base + s + 1];
    }
  }
  ++pos;
  return out;
}

} // namespace rnnc
