//===- tools/rnnc/ModelArgs.cpp - Binding a model's arguments by role -----===//
#include "tools/rnnc/ModelArgs.h"

namespace rnnc::driver {

ModelArgs::ModelArgs(const frontend::ModelInfo &info) : model(&info) {
  for (unsigned i = 0; i < info.args.size(); ++i) {
    const std::string &role = info.args[i].role;
    if (role == "input")
      inputArgs.push_back(i);
    else if (role == "target")
      targetArgs.push_back(i);
    else if (role == "lengths")
      lengthArgs.push_back(i);
    else if (role == "state")
      stateArgs.push_back(i);
    else if (role == "param")
      paramArgs.push_back(i);
  }
  std::vector<unsigned> finals;
  for (unsigned i = 0; i < info.results.size(); ++i) {
    const std::string &role = info.results[i].role;
    if (role == "loss")
      lossRes = static_cast<int>(i);
    else if (role == "output")
      outputRes.push_back(i);
    else if (role == "final_state")
      finals.push_back(i);
  }
  // Final states come in the order of the state arguments (ModelInfo.h).
  finalStateRes = finals;
}

std::vector<Tensor> ModelArgs::initialStates(int64_t batch) const {
  std::vector<Tensor> states;
  for (unsigned a : stateArgs) {
    const frontend::SlotInfo &slot = model->args[a];
    std::vector<int64_t> shape;
    for (const ir::Dim &d : slot.type.dims())
      shape.push_back(d.isStatic() ? d.size : batch);
    Tensor t(DType::F32, shape);
    float v = slot.init.kind == frontend::InitSpec::Kind::Constant
                  ? static_cast<float>(slot.init.value)
                  : 0.0f;
    for (float &x : t.f32Vec())
      x = v;
    states.push_back(std::move(t));
  }
  return states;
}

std::vector<Tensor> ModelArgs::withParams(const ParameterStore &store) const {
  std::vector<Tensor> args(model->args.size());
  for (size_t i = 0; i < paramArgs.size() && i < store.size(); ++i)
    args[paramArgs[i]] = store.tensor(i);
  return args;
}

} // namespace rnnc::driver
