//===- tests/unit/ExecContextTest.cpp - The arena behind compiled code ----===//
//
// rnnc_alloc's alignment, the first-error record, and the guard that turns a
// write past the end of a buffer into an error.
//
//===----------------------------------------------------------------------===//
#include "runtime/ExecContext.h"

#include <gtest/gtest.h>

#include <cstdint>

using namespace rnnc;

TEST(ExecContextTest, AlignedBlocksAndFirstError) {
  ExecContext ctx;
  for (int64_t bytes : {0, 1, 63, 64, 1000}) {
    void *p = rnnc_alloc(ctx.handle(), bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  }
  EXPECT_TRUE(ctx.status());
  EXPECT_EQ(rnnc_has_error(ctx.handle()), 0);
  rnnc_report_error(ctx.handle(), RNNC_ERR_EMBED_ID, 9, 4);
  rnnc_report_error(ctx.handle(), RNNC_ERR_LENGTH, 7, 3);
  EXPECT_EQ(rnnc_has_error(ctx.handle()), 1);
  EXPECT_EQ(ctx.status().error(),
            "embed: id 9 is out of range for a table of V = 4 rows");
  ctx.reset();
  EXPECT_TRUE(ctx.status());
}

TEST(ExecContextTest, FailedAllocationIsAnError) {
  ExecContext ctx;
  void *p = rnnc_alloc(ctx.handle(), -1);
  EXPECT_NE(p, nullptr); // a harmless dummy, never null
  ASSERT_FALSE(ctx.status());
  EXPECT_NE(ctx.status().error().find("cannot allocate"), std::string::npos);
}

TEST(ExecContextTest, OverrunIsDetected) {
  ExecContext ctx;
  auto *p = static_cast<float *>(rnnc_alloc(ctx.handle(), 5 * sizeof(float)));
  for (int i = 0; i < 5; ++i)
    p[i] = 1.0f;
  EXPECT_TRUE(ctx.status());
  p[5] = 1.0f; // one element too far
  ASSERT_FALSE(ctx.status());
  EXPECT_NE(ctx.status().error().find("wrote past the end"), std::string::npos);
}
