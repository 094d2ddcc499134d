//===- frontend/ModelInfo.cpp - Printing a model's calling convention -----===//
#include "frontend/ModelInfo.h"

#include "ir/Attribute.h"

#include <sstream>

namespace rnnc::frontend {

std::string InitSpec::str() const {
  switch (kind) {
  case Kind::None:
    return "none";
  case Kind::Constant:
    return "constant(" + ir::formatDouble(value) + ")";
  case Kind::Uniform:
    return "uniform(" + ir::formatDouble(low) + ", " + ir::formatDouble(high) +
           ")";
  case Kind::Normal:
    return "normal(" + ir::formatDouble(mean) + ", " +
           ir::formatDouble(stddev) + ")";
  }
  return "none";
}

int ModelInfo::argIndex(const std::string &argName) const {
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].name == argName)
      return static_cast<int>(i);
  return -1;
}

std::string ModelInfo::str() const {
  std::ostringstream os;
  os << "model " << name << "\n";
  for (const auto &[size, value] : sizes)
    os << "  size " << size << " = " << value << "\n";
  for (const SlotInfo &a : args) {
    os << "  arg " << a.name << ": " << a.type.str() << " role=" << a.role;
    if (a.role == "param" || a.role == "state")
      os << " init=" << a.init.str();
    os << "\n";
  }
  for (const SlotInfo &r : results)
    os << "  result " << r.name << ": " << r.type.str() << " role=" << r.role
       << "\n";
  for (const LayerInfo &l : layers)
    os << "  layer " << l.name << ": " << l.kind
       << (l.reverse ? " reverse" : "") << "\n";
  for (const DropoutSite &d : dropouts) {
    os << "  dropout " << d.name << " p=" << ir::formatDouble(d.p);
    if (!d.maskArg.empty())
      os << " mask=" << d.maskArg;
    os << "\n";
  }
  if (train.present) {
    os << "  train";
    if (!train.optimizer.name.empty()) {
      os << " optimizer=" << train.optimizer.name << "(";
      bool first = true;
      for (const auto &[k, v] : train.optimizer.args) {
        os << (first ? "" : ", ") << k << "=" << ir::formatDouble(v);
        first = false;
      }
      os << ")";
    }
    for (const auto &[k, v] : train.settings)
      os << " " << k << "=" << ir::formatDouble(v);
    os << "\n";
  }
  return os.str();
}

} // namespace rnnc::frontend
