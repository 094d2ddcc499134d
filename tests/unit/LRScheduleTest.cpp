//===- tests/unit/LRScheduleTest.cpp - Learning rate schedules ------------===//
//
// Values at the boundary steps of each schedule, computed here from the
// formulas in LRSchedule.h, and the parser's errors.
//
//===----------------------------------------------------------------------===//
#include "runtime/LRSchedule.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace rnnc;

namespace {
LRSchedule parse(const std::string &spec) {
  auto r = LRSchedule::parse(spec);
  EXPECT_TRUE(r) << spec << ": " << r.error();
  return r ? *r : LRSchedule();
}
std::string parseError(const std::string &spec) {
  auto r = LRSchedule::parse(spec);
  EXPECT_FALSE(r) << spec;
  return r ? std::string() : r.error();
}
} // namespace

TEST(LRScheduleTest, Constant) {
  LRSchedule s = parse("constant");
  EXPECT_EQ(s.at(0.1, 0, 100), 0.1);
  EXPECT_EQ(s.at(0.1, 99, 100), 0.1);
  EXPECT_EQ(s.at(0.1, 500, 100), 0.1);
}

TEST(LRScheduleTest, Step) {
  LRSchedule s = parse("step:10:0.5");
  EXPECT_DOUBLE_EQ(s.at(0.8, 0, 100), 0.8);
  EXPECT_DOUBLE_EQ(s.at(0.8, 9, 100), 0.8);
  EXPECT_DOUBLE_EQ(s.at(0.8, 10, 100), 0.4);
  EXPECT_DOUBLE_EQ(s.at(0.8, 19, 100), 0.4);
  EXPECT_DOUBLE_EQ(s.at(0.8, 20, 100), 0.2);
  EXPECT_DOUBLE_EQ(parse("step:3").at(1, 3, 0), 0.1); // StepLR's gamma
}

TEST(LRScheduleTest, Cosine) {
  LRSchedule s = parse("cosine");
  EXPECT_DOUBLE_EQ(s.at(1, 0, 100), 1);
  EXPECT_NEAR(s.at(1, 50, 100), 0.5, 1e-15);
  EXPECT_NEAR(s.at(1, 25, 100), (1 + std::cos(M_PI / 4)) / 2, 1e-15);
  EXPECT_NEAR(s.at(1, 100, 100), 0, 1e-15);
  EXPECT_NEAR(s.at(1, 150, 100), 0, 1e-15); // clamped past the end
  LRSchedule m = parse("cosine:min=1e-4");
  EXPECT_NEAR(m.at(1e-2, 100, 100), 1e-4, 1e-18);
  EXPECT_NEAR(m.at(1e-2, 50, 100), (1e-2 + 1e-4) / 2, 1e-17);
  EXPECT_EQ(s.at(0.3, 7, 0), 0.3); // total unknown: holds base
}

TEST(LRScheduleTest, Linear) {
  LRSchedule s = parse("linear:min=0.1");
  EXPECT_DOUBLE_EQ(s.at(1, 0, 10), 1);
  EXPECT_DOUBLE_EQ(s.at(1, 5, 10), 0.55);
  EXPECT_DOUBLE_EQ(s.at(1, 10, 10), 0.1);
}

TEST(LRScheduleTest, WarmupThenCosine) {
  LRSchedule s = parse("warmup:4,cosine");
  EXPECT_DOUBLE_EQ(s.at(2, 0, 14), 0.5); // 2 * 1/4
  EXPECT_DOUBLE_EQ(s.at(2, 1, 14), 1.0);
  EXPECT_DOUBLE_EQ(s.at(2, 3, 14), 2.0); // last warmup step reaches base
  EXPECT_DOUBLE_EQ(s.at(2, 4, 14), 2.0); // cosine starts at base
  EXPECT_NEAR(s.at(2, 9, 14), 1.0, 1e-15); // half of the 10 cosine steps
  EXPECT_NEAR(s.at(2, 14, 14), 0, 1e-15);
  // Order of the parts does not matter; warmup alone is warmup + constant.
  EXPECT_DOUBLE_EQ(parse("cosine,warmup:4").at(2, 9, 14), s.at(2, 9, 14));
  EXPECT_DOUBLE_EQ(parse("warmup:4").at(2, 1, 14), 1.0);
  EXPECT_DOUBLE_EQ(parse("warmup:4").at(2, 100, 14), 2.0);
  EXPECT_DOUBLE_EQ(parse("warmup:2,step:3:0.5").at(1, 5, 0), 0.5);
}

TEST(LRScheduleTest, StrRoundTrips) {
  for (const char *spec :
       {"constant", "step:10:0.5", "cosine:min=1e-4", "warmup:3,linear",
        "warmup:7,step:2"}) {
    LRSchedule a = parse(spec);
    LRSchedule b = parse(a.str());
    for (int64_t step : {0, 1, 2, 5, 9, 30})
      EXPECT_EQ(a.at(0.1, step, 20), b.at(0.1, step, 20)) << spec;
  }
}

TEST(LRScheduleTest, Errors) {
  EXPECT_NE(parseError("cosin").find("'cosin': unknown part"),
            std::string::npos);
  EXPECT_NE(parseError("").find("unknown part"), std::string::npos);
  EXPECT_NE(parseError("step").find("'step'"), std::string::npos);
  EXPECT_NE(parseError("step:0").find("positive"), std::string::npos);
  EXPECT_NE(parseError("step:10:x").find("gamma 'x'"), std::string::npos);
  EXPECT_NE(parseError("cosine:1e-4").find("unknown argument '1e-4'"),
            std::string::npos);
  EXPECT_NE(parseError("cosine:min=abc").find("min 'abc'"),
            std::string::npos);
  EXPECT_NE(parseError("warmup:-5,cosine").find("'warmup:-5'"),
            std::string::npos);
  EXPECT_NE(parseError("warmup:5,warmup:6").find("only one warmup"),
            std::string::npos);
  EXPECT_NE(parseError("cosine,step:5").find("'step:5': only one"),
            std::string::npos);
  EXPECT_NE(parseError("constant:3").find("no arguments"), std::string::npos);
}
