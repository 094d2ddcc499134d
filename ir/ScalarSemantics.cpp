//===- ir/ScalarSemantics.cpp - What each elementwise op computes ---------===//
#include "ir/ScalarSemantics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rnnc::ir {

double evalUnary(OpKind kind, double x) {
  switch (kind) {
  case OpKind::Neg:
    return -x;
  case OpKind::Exp:
    return std::exp(x);
  case OpKind::Log:
    return std::log(x);
  case OpKind::Tanh:
    return std::tanh(x);
  case OpKind::Sigmoid:
    return 1.0 / (1.0 + std::exp(-x));
  case OpKind::Relu:
    return x > 0.0 ? x : 0.0;
  case OpKind::Sqrt:
    return std::sqrt(x);
  default:
    return std::numeric_limits<double>::quiet_NaN();
  }
}

double evalBinary(OpKind kind, double x, double y) {
  switch (kind) {
  case OpKind::Add:
    return x + y;
  case OpKind::Sub:
    return x - y;
  case OpKind::Mul:
    return x * y;
  case OpKind::Div:
    return x / y;
  case OpKind::Max:
    return std::isnan(x) || std::isnan(y) ? std::nan("") : std::max(x, y);
  case OpKind::Min:
    return std::isnan(x) || std::isnan(y) ? std::nan("") : std::min(x, y);
  default:
    return std::numeric_limits<double>::quiet_NaN();
  }
}

} // namespace rnnc::ir
