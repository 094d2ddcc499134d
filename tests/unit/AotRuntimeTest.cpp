//===- tests/unit/AotRuntimeTest.cpp - The C API behind AOT objects -------===//
//
// runtime/AotRuntime.cpp on its own, with a hand-written model function in
// place of generated code: h' = h + W * x_t per step (rows past their
// length keep h and output 0), y_t = h'. Checks what every compiled model
// relies on: sizes and initial states bound from the descriptor, NULL
// lengths meaning full rows, T steps equal to one run, the carried state
// and its reset, and errors (damaged descriptor, another ABI version,
// missing weights, NULL pointers, a batch change) as messages, not crashes.
// tests/lit/aot/aot.test covers the same API through real objects.
//
//===----------------------------------------------------------------------===//
#include "runtime/AotRuntime.h"

#include "runtime/Safetensors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

const char *kDescriptor = R"({"abi":1,"model":"acc","symbols":["T","B"],
  "stream":"T","stream_error":"",
  "args":[{"name":"x","role":"input","dtype":"f32","dims":["T","B",2]},
          {"name":"lengths","role":"lengths","dtype":"i32","dims":["B"],"counts":"T"},
          {"name":"h0","role":"state","dtype":"f32","dims":["B",2],"init":0.5},
          {"name":"W","role":"param","dtype":"f32","dims":[2]}],
  "results":[{"name":"y","role":"output","dtype":"f32","dims":["T","B",2]},
             {"name":"h","role":"final_state","dtype":"f32","dims":["B",2]}]})";

void accumulate(void *const *args, const int64_t *syms, void *const *results,
                rnnc_context *ctx) {
  int64_t T = syms[0], B = syms[1];
  auto *x = static_cast<const float *>(args[0]);
  auto *len = static_cast<const int32_t *>(args[1]);
  auto *h0 = static_cast<const float *>(args[2]);
  auto *w = static_cast<const float *>(args[3]);
  auto *y = static_cast<float *>(results[0]);
  auto *h = static_cast<float *>(results[1]);
  for (int64_t i = 0; i < B * 2; ++i)
    h[i] = h0[i];
  for (int64_t t = 0; t < T; ++t)
    for (int64_t b = 0; b < B; ++b) {
      if (len[b] < 0 || len[b] > T)
        rnnc_report_error(ctx, RNNC_ERR_LENGTH, len[b], T);
      for (int k = 0; k < 2; ++k) {
        float &hv = h[b * 2 + k];
        float &yv = y[(t * B + b) * 2 + k];
        if (t < len[b]) {
          hv += w[k] * x[(t * B + b) * 2 + k];
          yv = hv;
        } else {
          yv = 0;
        }
      }
    }
}

const float kWeights[2] = {2.0f, -1.0f};
const void *const kEmbedded[1] = {kWeights};

struct Ctx {
  rnnc_aot_ctx *c;
  explicit Ctx(const char *desc = kDescriptor,
               const void *const *emb = kEmbedded, const char *path = nullptr)
      : c(rnnc_aot_create(desc, emb, accumulate, path)) {}
  ~Ctx() { rnnc_aot_destroy(c); }
  std::string error() const {
    const char *e = rnnc_aot_error(c);
    return e ? e : "";
  }
};

TEST(AotRuntimeTest, RunUsesInitialStateAndFullRows) {
  Ctx ctx;
  ASSERT_EQ(ctx.error(), "");
  const int64_t sizes[2] = {2, 1};
  float x[4] = {1, 1, 3, 3}, y[4] = {};
  const void *in[2] = {x, nullptr};
  void *out[1] = {y};
  ASSERT_EQ(rnnc_aot_run(ctx.c, sizes, in, out), 0) << ctx.error();
  // h starts at 0.5; W = (2, -1).
  EXPECT_FLOAT_EQ(y[0], 2.5f);
  EXPECT_FLOAT_EQ(y[1], -0.5f);
  EXPECT_FLOAT_EQ(y[2], 8.5f);
  EXPECT_FLOAT_EQ(y[3], -3.5f);
  // With lengths: row 0 stops after one step.
  int32_t len[1] = {1};
  in[1] = len;
  ASSERT_EQ(rnnc_aot_run(ctx.c, sizes, in, out), 0) << ctx.error();
  EXPECT_FLOAT_EQ(y[0], 2.5f);
  EXPECT_FLOAT_EQ(y[2], 0.0f);
  // A length beyond T is the model's error, reported as a message.
  len[0] = 5;
  EXPECT_NE(rnnc_aot_run(ctx.c, sizes, in, out), 0);
  EXPECT_NE(ctx.error().find("length"), std::string::npos) << ctx.error();
}

TEST(AotRuntimeTest, StepsEqualRunAndResetRestarts) {
  Ctx ctx;
  const int64_t T = 4, B = 3;
  std::vector<float> x(T * B * 2), whole(T * B * 2), steps(T * B * 2);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(i % 7) - 3.0f;
  const int64_t sizes[2] = {T, B};
  const void *in[2] = {x.data(), nullptr};
  void *out[1] = {whole.data()};
  ASSERT_EQ(rnnc_aot_run(ctx.c, sizes, in, out), 0) << ctx.error();
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(rnnc_aot_reset(ctx.c), 0);
    for (int64_t t = 0; t < T; ++t) {
      const int64_t stepSizes[1] = {B};
      const void *sin[1] = {x.data() + t * B * 2};
      void *sout[1] = {steps.data() + t * B * 2};
      ASSERT_EQ(rnnc_aot_step(ctx.c, stepSizes, sin, sout), 0) << ctx.error();
    }
    EXPECT_EQ(steps, whole) << "round " << round;
  }
  // Another batch size mid-stream is refused until reset.
  const int64_t other[1] = {2};
  const void *sin[1] = {x.data()};
  void *sout[1] = {steps.data()};
  EXPECT_NE(rnnc_aot_step(ctx.c, other, sin, sout), 0);
  EXPECT_NE(ctx.error().find("call reset first"), std::string::npos);
  ASSERT_EQ(rnnc_aot_reset(ctx.c), 0);
  EXPECT_EQ(rnnc_aot_step(ctx.c, other, sin, sout), 0) << ctx.error();
  EXPECT_EQ(ctx.error(), "");
}

TEST(AotRuntimeTest, ErrorsAreMessages) {
  {
    Ctx ctx("{not json");
    EXPECT_NE(ctx.error().find("descriptor"), std::string::npos);
    const int64_t sizes[2] = {1, 1};
    float x[2] = {}, y[2] = {};
    const void *in[2] = {x, nullptr};
    void *out[1] = {y};
    EXPECT_NE(rnnc_aot_run(ctx.c, sizes, in, out), 0);
  }
  {
    std::string v2 = kDescriptor;
    v2.replace(v2.find("\"abi\":1"), 7, "\"abi\":2");
    Ctx ctx(v2.c_str());
    EXPECT_NE(ctx.error().find("interface version 2"), std::string::npos)
        << ctx.error();
  }
  {
    Ctx ctx(kDescriptor, nullptr);
    EXPECT_NE(ctx.error().find("without weights"), std::string::npos);
  }
  {
    Ctx ctx(kDescriptor, nullptr, "/nonexistent/w.safetensors");
    EXPECT_NE(ctx.error().find("/nonexistent/w.safetensors"),
              std::string::npos)
        << ctx.error();
  }
  {
    Ctx ctx;
    const int64_t sizes[2] = {1, 1};
    float y[2] = {};
    const void *in[2] = {nullptr, nullptr};
    void *out[1] = {y};
    EXPECT_NE(rnnc_aot_run(ctx.c, sizes, in, out), 0);
    EXPECT_EQ(ctx.error(), "input 'x' is NULL");
    const int64_t neg[2] = {-1, 1};
    float x[2] = {};
    in[0] = x;
    EXPECT_NE(rnnc_aot_run(ctx.c, neg, in, out), 0);
    EXPECT_NE(ctx.error().find("negative"), std::string::npos);
  }
}

TEST(AotRuntimeTest, WeightsFromAFile) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("rnnc-aot-w-" + std::to_string(::getpid()) +
                       ".safetensors"))
                         .string();
  ASSERT_TRUE(rnnc::writeSafetensors(
      path, {{"W", rnnc::Tensor::f32({2}, {10.0f, 0.0f})}}));
  Ctx ctx(kDescriptor, kEmbedded, path.c_str());
  ASSERT_EQ(ctx.error(), "");
  const int64_t sizes[2] = {1, 1};
  float x[2] = {1, 1}, y[2] = {};
  const void *in[2] = {x, nullptr};
  void *out[1] = {y};
  ASSERT_EQ(rnnc_aot_run(ctx.c, sizes, in, out), 0) << ctx.error();
  EXPECT_FLOAT_EQ(y[0], 10.5f);
  EXPECT_FLOAT_EQ(y[1], 0.5f);
  // A file with the wrong shape names the file and the tensor.
  ASSERT_TRUE(rnnc::writeSafetensors(
      path, {{"W", rnnc::Tensor::f32({3}, {1, 2, 3})}}));
  Ctx bad(kDescriptor, kEmbedded, path.c_str());
  EXPECT_NE(bad.error().find(path), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find("'W'"), std::string::npos) << bad.error();
  std::filesystem::remove(path);
}

} // namespace
