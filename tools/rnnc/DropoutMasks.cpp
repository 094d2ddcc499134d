//===- tools/rnnc/DropoutMasks.cpp - Inverted-dropout masks for training --===//
#include "tools/rnnc/DropoutMasks.h"

#include "runtime/Initializers.h"

#include <map>

namespace rnnc::driver {

Status fillDropoutMasks(const frontend::ModelInfo &info,
                        std::vector<Tensor> &args, uint64_t seed,
                        int64_t step) {
  if (info.dropouts.empty())
    return Status::ok();
  // Symbolic sizes from the arguments the task filled.
  std::map<std::string, int64_t> syms;
  for (size_t a = 0; a < info.args.size() && a < args.size(); ++a) {
    const ir::TensorType &t = info.args[a].type;
    if (info.args[a].role == "dropout_mask" ||
        args[a].rank() != static_cast<int64_t>(t.rank()))
      continue;
    for (size_t d = 0; d < t.rank(); ++d)
      if (!t.dim(d).isStatic())
        syms.emplace(t.dim(d).sym, args[a].dim(d));
  }
  for (const frontend::DropoutSite &site : info.dropouts) {
    int idx = info.argIndex(site.maskArg);
    if (idx < 0)
      continue; // an inference lowering: dropout is the identity
    std::vector<int64_t> shape;
    for (const ir::Dim &d : site.maskType.dims()) {
      if (d.isStatic()) {
        shape.push_back(d.size);
        continue;
      }
      auto it = syms.find(d.sym);
      if (it == syms.end())
        return makeError("dropout '" + site.name + "': cannot tell the size " +
                         d.sym + " of its mask from the data");
      shape.push_back(it->second);
    }
    Tensor mask(DType::F32, shape);
    // One stream per (seed, step, site): splitmix the step into the seed.
    uint64_t mixed = seed;
    uint64_t s = static_cast<uint64_t>(step) + 0x9E3779B97F4A7C15ull;
    mixed ^= splitmix64(s);
    Rng rng = Rng::forName(mixed, site.maskArg);
    float keep = static_cast<float>(1.0 / (1.0 - site.p));
    for (float &v : mask.f32Vec())
      v = rng.nextDouble() < site.p ? 0.0f : keep;
    args[idx] = std::move(mask);
  }
  return Status::ok();
}

} // namespace rnnc::driver
