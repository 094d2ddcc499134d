//===- tests/unit/ParameterStoreTest.cpp - A model's named parameters -----===//
//
// Order and lookup, checked replacement, seeded initialization, save/load
// round trips, and every load error: missing, wrong shape, wrong dtype,
// unexpected (as an error and, when allowed, as a warning), all reported
// together with the store left unchanged.
//
//===----------------------------------------------------------------------===//
#include "runtime/ParameterStore.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <unistd.h>

using namespace rnnc;

namespace {

std::vector<ParamSpec> lstmSpecs() {
  return {{"h1.Wi", DType::F32, {4, 3}, InitSpec::uniform(-0.5, 0.5)},
          {"h1.bf", DType::F32, {4}, InitSpec::constant(1)},
          {"logits.bias", DType::F32, {5}, InitSpec::constant(0)},
          {"emb.weight", DType::F32, {7, 3}, InitSpec::normal(0, 1)}};
}

ParameterStore makeStore() {
  auto s = ParameterStore::create(lstmSpecs());
  EXPECT_TRUE(s) << s.error();
  return s.take();
}

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST(ParameterStore, OrderAndLookup) {
  ParameterStore s = makeStore();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s.spec(0).name, "h1.Wi");
  EXPECT_EQ(s.spec(3).name, "emb.weight");
  EXPECT_EQ(s.indexOf("logits.bias"), 2);
  EXPECT_EQ(s.indexOf("nope"), -1);
  EXPECT_EQ(s.find("nope"), nullptr);
  ASSERT_NE(s.find("h1.Wi"), nullptr);
  EXPECT_EQ(s.find("h1.Wi")->shape(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(s.find("h1.Wi")->f32Vec(), std::vector<float>(12, 0.0f));
  EXPECT_EQ(&s.tensor(1), s.find("h1.bf"));
}

TEST(ParameterStore, CreateRejectsBadSpecs) {
  auto dup = ParameterStore::create(
      {{"a", DType::F32, {1}, {}}, {"a", DType::F32, {2}, {}}});
  ASSERT_FALSE(dup);
  EXPECT_TRUE(contains(dup.error(), "duplicate parameter 'a'"));
  EXPECT_FALSE(ParameterStore::create({{"", DType::F32, {1}, {}}}));
  EXPECT_FALSE(ParameterStore::create({{"a", DType::F32, {-1}, {}}}));
}

TEST(ParameterStore, SetChecksNameDtypeShape) {
  ParameterStore s = makeStore();
  EXPECT_TRUE(s.set("h1.bf", Tensor::f32({4}, {1, 2, 3, 4})));
  EXPECT_EQ(s.find("h1.bf")->f32Vec(), (std::vector<float>{1, 2, 3, 4}));
  Status bad = s.set("h1.bf", Tensor::f32({3}, {1, 2, 3}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "tensor 'h1.bf' has shape [3], expected [4]");
  bad = s.set("h1.bf", Tensor::i32({4}, {1, 2, 3, 4}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), "tensor 'h1.bf' has dtype i32, expected f32");
  EXPECT_FALSE(s.set("zz", Tensor::scalar(1)));
}

TEST(ParameterStore, InitializeIsSeededAndOrderIndependent) {
  ParameterStore a = makeStore(), b = makeStore();
  ASSERT_TRUE(a.initialize(5));
  ASSERT_TRUE(b.initialize(5));
  EXPECT_EQ(a.toMap().at("emb.weight").f32Vec(),
            b.toMap().at("emb.weight").f32Vec());
  EXPECT_EQ(a.find("h1.bf")->f32Vec(), std::vector<float>(4, 1.0f));
  // Reordered specs: every parameter still gets the same values.
  std::vector<ParamSpec> rev = lstmSpecs();
  std::reverse(rev.begin(), rev.end());
  auto c = ParameterStore::create(rev);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->initialize(5));
  EXPECT_EQ(c->find("h1.Wi")->f32Vec(), a.find("h1.Wi")->f32Vec());
  // A parameter without an initializer fails, leaving the store unchanged.
  std::vector<ParamSpec> specs = lstmSpecs();
  specs.push_back({"x", DType::F32, {1}, InitSpec()});
  auto d = ParameterStore::create(specs);
  ASSERT_TRUE(d);
  Status st = d->initialize(5);
  ASSERT_FALSE(st);
  EXPECT_TRUE(contains(st.error(), "'x'"));
  EXPECT_EQ(d->find("h1.bf")->f32Vec(), std::vector<float>(4, 0.0f));
}

TEST(ParameterStore, SaveLoadRoundTrip) {
  std::string path =
      (std::filesystem::temp_directory_path() /
       ("rnnc_ps_" + std::to_string(::getpid()) + ".safetensors"))
          .string();
  ParameterStore a = makeStore();
  ASSERT_TRUE(a.initialize(11));
  ASSERT_TRUE(save(a, path, {{"model", "lstm"}}));
  ParameterStore b = makeStore();
  auto r = loadInto(b, path);
  ASSERT_TRUE(r) << r.error();
  EXPECT_TRUE(r->warnings.empty());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(a.tensor(i).f32Vec(), b.tensor(i).f32Vec()) << a.spec(i).name;
  auto file = readSafetensors(path);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->metadata.at("model"), "lstm");
  std::filesystem::remove(path);
  auto missing = loadInto(b, path);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error(), "cannot open"));
}

TEST(ParameterStore, LoadReportsEveryProblemAndChangesNothing) {
  ParameterStore s = makeStore();
  TensorMap m = s.toMap();
  m.erase("logits.bias");
  m["h1.Wi"] = Tensor(DType::F32, {4, 2});
  m["h1.bf"] = Tensor::i32({4}, {1, 1, 1, 1});
  m["emb.weight"] = Tensor::f32({7, 3}, std::vector<float>(21, 9.0f));
  m["h2.Wi"] = Tensor(DType::F32, {2, 2});
  auto r = loadTensorsInto(s, m, "weights.safetensors");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "weights.safetensors: tensor 'h1.Wi' has shape [4, 2], expected "
            "[4, 3]\n"
            "weights.safetensors: tensor 'h1.bf' has dtype i32, expected f32\n"
            "weights.safetensors: missing tensor 'logits.bias' (f32[5])\n"
            "weights.safetensors: unexpected tensor 'h2.Wi' (f32[2,2]) is not "
            "a parameter of the model");
  // Nothing was copied, not even the one good tensor.
  EXPECT_EQ(s.find("emb.weight")->f32Vec(), std::vector<float>(21, 0.0f));
}

TEST(ParameterStore, UnexpectedTensorsCanBeWarnings) {
  ParameterStore s = makeStore();
  TensorMap m = s.toMap();
  m["h1.bf"] = Tensor::f32({4}, {2, 2, 2, 2});
  m["optimizer.step"] = Tensor::i32({}, {3});
  auto strict = loadTensorsInto(s, m, "w");
  ASSERT_FALSE(strict);
  EXPECT_TRUE(contains(strict.error(), "unexpected tensor 'optimizer.step'"));
  auto r = loadTensorsInto(s, m, "w", LoadOptions{/*allowUnexpected=*/true});
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0], "w: unexpected tensor 'optimizer.step' (i32[]) is "
                            "not a parameter of the model; ignored");
  EXPECT_EQ(s.find("h1.bf")->f32Vec(), std::vector<float>(4, 2.0f));
}
