//===- codegen/PartitionedCompile.cpp - O3 and codegen on several threads -===//
//
// The partitions: the module's defined functions, largest first, each go to
// the partition with the fewest instructions so far. Every partition gets a
// copy of every global variable (they are private constants, so each object
// keeps its own) and declarations of the functions it does not define,
// which therefore lose their internal linkage first: the JIT links the
// objects by those names (each compiled function has a JIT of its own, so
// the names cannot collide). A partition other than the first is written
// to bitcode on the calling thread, since an LLVMContext is not shared
// between threads, and read back on its worker into a context of its own.
//
//===----------------------------------------------------------------------===//
#include "codegen/PartitionedCompile.h"

#include "codegen/ObjectEmitter.h"
#include "codegen/Optimizer.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <thread>
#include <unordered_map>

namespace rnnc::codegen {

namespace {

/// A partition heavier than this share of the whole leaves too little to
/// overlap: the module is compiled as one.
constexpr double kMostInOnePartition = 0.85;

constexpr char kBundleMagic[8] = {'R', 'N', 'N', 'C', 'O', 'B', 'J', 'S'};

llvm::Expected<std::string>
optimizeAndEmit(llvm::Module &module, llvm::TargetMachine &tm,
                unsigned optLevel, std::string *optimizedIR = nullptr) {
  if (llvm::Error err = optimizeModule(module, tm, optLevel))
    return err;
  if (optimizedIR) {
    optimizedIR->clear();
    llvm::raw_string_ostream os(*optimizedIR);
    module.print(os, nullptr);
  }
  return emitMachineCode(module, tm, llvm::CodeGenFileType::ObjectFile);
}

/// Bitcode of `module` read back into `context`, then compiled.
llvm::Expected<std::string> compileBitcode(const std::string &bitcode,
                                           const TargetSpec &target,
                                           unsigned optLevel) {
  llvm::LLVMContext context;
  auto module = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "partition"), context);
  if (!module)
    return module.takeError();
  auto tm = createTargetMachine(target);
  if (!tm)
    return tm.takeError();
  return optimizeAndEmit(**module, **tm, optLevel);
}

/// The partition of each defined function, or empty when the module should
/// be compiled whole.
std::unordered_map<const llvm::Function *, unsigned>
partitionFunctions(const llvm::Module &module, unsigned parts) {
  std::unordered_map<const llvm::Function *, unsigned> where;
  if (parts < 2)
    return where;
  for (const llvm::GlobalVariable &gv : module.globals())
    if (!gv.hasLocalLinkage())
      return where;
  if (!module.alias_empty() || !module.ifunc_empty())
    return where;
  std::vector<std::pair<unsigned, const llvm::Function *>> bySize;
  for (const llvm::Function &f : module)
    if (!f.isDeclaration())
      bySize.emplace_back(f.getInstructionCount(), &f);
  if (bySize.size() < 2)
    return where;
  std::stable_sort(
      bySize.begin(), bySize.end(),
      [](const auto &x, const auto &y) { return x.first > y.first; });
  parts = std::min<unsigned>(parts, bySize.size());
  std::vector<uint64_t> load(parts, 0);
  uint64_t total = 0;
  for (const auto &[size, f] : bySize) {
    unsigned lightest = static_cast<unsigned>(
        std::min_element(load.begin(), load.end()) - load.begin());
    load[lightest] += size;
    total += size;
    where[f] = lightest;
  }
  if (*std::max_element(load.begin(), load.end()) >
      kMostInOnePartition * static_cast<double>(total))
    where.clear();
  return where;
}

} // namespace

unsigned defaultCompileThreads() {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

llvm::Expected<std::vector<std::string>>
compileInPartitions(llvm::Module &module, llvm::TargetMachine &tm,
                    const TargetSpec &target, unsigned optLevel, unsigned parts,
                    std::string *optimizedIR) {
  auto where = partitionFunctions(module, optimizedIR ? 1 : parts);
  if (where.empty()) {
    auto object = optimizeAndEmit(module, tm, optLevel, optimizedIR);
    if (!object)
      return object.takeError();
    return std::vector<std::string>{std::move(*object)};
  }
  // Whole-module verification first, so that a lowering bug is reported
  // against the module as lowered, not against a partition of it.
  if (llvm::Error err = verifyModule(module))
    return err;
  for (llvm::Function &f : module)
    if (!f.isDeclaration() && f.hasLocalLinkage()) {
      f.setLinkage(llvm::GlobalValue::ExternalLinkage);
      f.setVisibility(llvm::GlobalValue::DefaultVisibility);
    }
  unsigned count = 0;
  for (const auto &entry : where)
    count = std::max(count, entry.second + 1);
  auto partition = [&](unsigned p) {
    llvm::ValueToValueMapTy map;
    return llvm::CloneModule(module, map, [&](const llvm::GlobalValue *gv) {
      const auto *f = llvm::dyn_cast<llvm::Function>(gv);
      return !f || where.at(f) == p;
    });
  };
  std::vector<std::string> bitcode(count);
  for (unsigned p = 1; p < count; ++p) {
    std::unique_ptr<llvm::Module> part = partition(p);
    llvm::raw_string_ostream os(bitcode[p]);
    llvm::WriteBitcodeToFile(*part, os);
  }
  std::unique_ptr<llvm::Module> first = partition(0);

  // Each partition's object, or what went wrong (as text: an llvm::Error
  // may not cross threads unchecked).
  std::vector<std::string> objects(count), errors(count);
  auto keep = [&](unsigned p, llvm::Expected<std::string> object) {
    if (object)
      objects[p] = std::move(*object);
    else
      errors[p] = llvm::toString(object.takeError());
  };
  std::vector<std::thread> workers;
  std::vector<unsigned> here; // partitions no thread could be started for
  for (unsigned p = 1; p < count; ++p) {
    try {
      workers.emplace_back(
          [&, p] { keep(p, compileBitcode(bitcode[p], target, optLevel)); });
    } catch (const std::system_error &) {
      here.push_back(p);
    }
  }
  keep(0, optimizeAndEmit(*first, tm, optLevel));
  for (unsigned p : here)
    keep(p, compileBitcode(bitcode[p], target, optLevel));
  for (std::thread &w : workers)
    w.join();
  for (const std::string &error : errors)
    if (!error.empty())
      return llvm::createStringError(llvm::inconvertibleErrorCode(), error);
  return objects;
}

std::string bundleObjects(const std::vector<std::string> &objects) {
  if (objects.size() == 1)
    return objects[0];
  std::string blob(kBundleMagic, sizeof(kBundleMagic));
  auto put = [&](uint64_t v) {
    char bytes[8];
    std::memcpy(bytes, &v, 8);
    blob.append(bytes, 8);
  };
  put(objects.size());
  for (const std::string &o : objects)
    put(o.size());
  for (const std::string &o : objects)
    blob += o;
  return blob;
}

bool splitObjects(const std::string &blob, std::vector<std::string> &objects) {
  objects.clear();
  if (blob.size() < sizeof(kBundleMagic) ||
      std::memcmp(blob.data(), kBundleMagic, sizeof(kBundleMagic)) != 0) {
    objects.push_back(blob);
    return !blob.empty();
  }
  size_t at = sizeof(kBundleMagic);
  auto get = [&](uint64_t &v) {
    if (blob.size() - at < 8)
      return false;
    std::memcpy(&v, blob.data() + at, 8);
    at += 8;
    return true;
  };
  uint64_t count;
  if (!get(count) || count == 0 || count > (blob.size() - at) / 8)
    return false;
  std::vector<uint64_t> sizes(count);
  for (uint64_t &s : sizes)
    if (!get(s))
      return false;
  for (uint64_t s : sizes) {
    if (s > blob.size() - at)
      return false;
    objects.push_back(blob.substr(at, s));
    at += s;
  }
  return at == blob.size();
}

} // namespace rnnc::codegen
