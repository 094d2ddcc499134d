//===- runtime/LRSchedule.cpp - Learning rate by step ---------------------===//
#include "runtime/LRSchedule.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <vector>

namespace rnnc {

static std::vector<std::string> split(const std::string &s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end - start));
    if (end == std::string::npos)
      return out;
    start = end + 1;
  }
}

static bool parseReal(const std::string &s, double &out) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0])))
    return false;
  char *end = nullptr;
  errno = 0;
  out = std::strtod(s.c_str(), &end);
  return errno == 0 && end == s.c_str() + s.size() && std::isfinite(out);
}

static bool parseCount(const std::string &s, int64_t &out) {
  if (s.empty() || s.size() > 18)
    return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

Result<LRSchedule> LRSchedule::parse(const std::string &spec) {
  LRSchedule s;
  bool haveWarmup = false, haveDecay = false;
  auto bad = [&](const std::string &part, const std::string &why) {
    return makeError("lr schedule '" + spec + "': '" + part + "': " + why);
  };
  for (const std::string &part : split(spec, ',')) {
    std::vector<std::string> f = split(part, ':');
    const std::string &kind = f[0];
    if (kind == "warmup") {
      if (haveWarmup)
        return bad(part, "only one warmup");
      if (f.size() != 2 || !parseCount(f[1], s.warmup) || s.warmup <= 0)
        return bad(part, "expected warmup:N with N a positive step count");
      haveWarmup = true;
      continue;
    }
    if (kind != "constant" && kind != "step" && kind != "cosine" &&
        kind != "linear")
      return bad(part, "unknown part (expected constant, step:N[:G], "
                       "cosine[:min=X], linear[:min=X] or warmup:N)");
    if (haveDecay)
      return bad(part, "only one of constant, step, cosine, linear");
    haveDecay = true;
    if (kind == "constant") {
      if (f.size() != 1)
        return bad(part, "constant takes no arguments");
      s.kind = Kind::Constant;
    } else if (kind == "step") {
      s.kind = Kind::Step;
      if (f.size() < 2 || f.size() > 3 || !parseCount(f[1], s.stepSize) ||
          s.stepSize <= 0)
        return bad(part, "expected step:N[:G] with N a positive step count");
      if (f.size() == 3 && (!parseReal(f[2], s.gamma) || s.gamma < 0))
        return bad(part, "gamma '" + f[2] + "' is not a number >= 0");
    } else {
      s.kind = kind == "cosine" ? Kind::Cosine : Kind::Linear;
      if (f.size() > 2)
        return bad(part, "expected " + kind + "[:min=X]");
      if (f.size() == 2) {
        const std::string &arg = f[1];
        if (arg.compare(0, 4, "min=") != 0)
          return bad(part, "unknown argument '" + arg + "' (expected min=X)");
        if (!parseReal(arg.substr(4), s.minLr) || s.minLr < 0)
          return bad(part, "min '" + arg.substr(4) + "' is not a number >= 0");
      }
    }
  }
  return s;
}

double LRSchedule::at(double baseLr, int64_t step, int64_t totalSteps) const {
  if (step < 0)
    step = 0;
  double warm = 1;
  if (warmup > 0 && step < warmup)
    warm = static_cast<double>(step + 1) / static_cast<double>(warmup);
  int64_t s = step - warmup < 0 ? 0 : step - warmup;
  int64_t span = totalSteps - warmup;
  double lr = baseLr;
  switch (kind) {
  case Kind::Constant:
    break;
  case Kind::Step:
    lr = baseLr * std::pow(gamma, static_cast<double>(s / stepSize));
    break;
  case Kind::Cosine:
  case Kind::Linear: {
    if (span <= 0)
      break;
    double progress =
        static_cast<double>(s < span ? s : span) / static_cast<double>(span);
    if (kind == Kind::Cosine)
      lr = minLr + (baseLr - minLr) *
                       (1 + std::cos(std::numbers::pi * progress)) / 2;
    else
      lr = baseLr + (minLr - baseLr) * progress;
    break;
  }
  }
  return lr * warm;
}

std::string LRSchedule::str() const {
  auto real = [](double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", x);
    return std::string(buf);
  };
  std::string out;
  if (warmup > 0)
    out = "warmup:" + std::to_string(warmup) + ",";
  switch (kind) {
  case Kind::Constant:
    return out + "constant";
  case Kind::Step:
    return out + "step:" + std::to_string(stepSize) + ":" + real(gamma);
  case Kind::Cosine:
    return out + "cosine:min=" + real(minLr);
  case Kind::Linear:
    return out + "linear:min=" + real(minLr);
  }
  return out;
}

} // namespace rnnc
