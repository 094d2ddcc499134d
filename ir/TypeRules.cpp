//===- ir/TypeRules.cpp - Result types of ops from their operands ---------===//
#include "ir/TypeRules.h"

#include "ir/Block.h"

#include <algorithm>

namespace rnnc::ir {

using Types = std::vector<TensorType>;

static Error fail(std::string msg) { return makeError(std::move(msg)); }

static std::string dimsStr(const std::vector<Dim> &dims) {
  return TensorType(DType::F32, dims).str().substr(3);
}

Result<std::vector<Dim>> broadcastDims(const std::vector<Dim> &a,
                                       const std::vector<Dim> &b) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<Dim> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Right-aligned: position i counts from the end.
    const Dim *da = i < a.size() ? &a[a.size() - 1 - i] : nullptr;
    const Dim *db = i < b.size() ? &b[b.size() - 1 - i] : nullptr;
    Dim &o = out[rank - 1 - i];
    if (!da)
      o = *db;
    else if (!db)
      o = *da;
    else if (*da == *db)
      o = *da;
    else if (da->isStatic() && da->size == 1)
      o = *db;
    else if (db->isStatic() && db->size == 1)
      o = *da;
    else
      return fail("shapes " + dimsStr(a) + " and " + dimsStr(b) +
                  " do not broadcast: " + da->str() + " vs " + db->str());
  }
  return out;
}

Result<int64_t> normalizeAxis(int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r)
    return fail("axis " + std::to_string(axis) + " out of range for rank " +
                std::to_string(rank));
  return axis < 0 ? axis + r : axis;
}

namespace {

/// Reads attributes with type checking, remembering the first problem.
struct Attrs {
  const AttrMap &map;
  std::string problem;

  template <typename T> const T *get(const std::string &name, bool required) {
    auto it = map.find(name);
    if (it == map.end()) {
      if (required && problem.empty())
        problem = "missing attribute '" + name + "'";
      return nullptr;
    }
    const T *v = std::get_if<T>(&it->second);
    if (!v && problem.empty())
      problem = "attribute '" + name + "' has the wrong kind";
    return v;
  }
  int64_t integer(const std::string &name, int64_t fallback, bool required) {
    const int64_t *v = get<int64_t>(name, required);
    return v ? *v : fallback;
  }
  bool flag(const std::string &name) {
    const bool *v = get<bool>(name, false);
    return v && *v;
  }
};

Result<Types> one(TensorType t) { return Types{std::move(t)}; }

Result<Types> requireF32(const Types &in, const char *what) {
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].dtype() != DType::F32)
      return fail(std::string(what) + " operand " + std::to_string(i) +
                  " must be f32, got " + in[i].str());
  return in;
}

Result<Types> inferMatMul(const Types &in, Attrs &attrs) {
  bool ta = attrs.flag("transpose_a"), tb = attrs.flag("transpose_b");
  const TensorType &a = in[0], &b = in[1];
  if (a.dtype() != DType::F32 || b.dtype() != DType::F32)
    return fail("operands must be f32, got " + a.str() + " and " + b.str());
  if (a.rank() < 2)
    return fail("lhs must have rank >= 2, got " + a.str());
  if (b.rank() != 2 && b.rank() != a.rank())
    return fail("rhs must have rank 2 or the lhs rank, got " + b.str());
  size_t ra = a.rank(), rb = b.rank();
  const Dim &m = ta ? a.dim(ra - 1) : a.dim(ra - 2);
  const Dim &ka = ta ? a.dim(ra - 2) : a.dim(ra - 1);
  const Dim &kb = tb ? b.dim(rb - 1) : b.dim(rb - 2);
  const Dim &n = tb ? b.dim(rb - 2) : b.dim(rb - 1);
  if (!(ka == kb))
    return fail("contracted dims differ: " + ka.str() + " vs " + kb.str() +
                " (" + a.str() + " @ " + b.str() + ")");
  std::vector<Dim> dims(a.dims().begin(), a.dims().end() - 2);
  if (rb == ra)
    for (size_t i = 0; i + 2 < ra; ++i)
      if (!(a.dim(i) == b.dim(i)))
        return fail("batch dims differ: " + a.str() + " vs " + b.str());
  dims.push_back(m);
  dims.push_back(n);
  return one(a.withDims(dims));
}

Result<Types> inferConcat(const Types &in, Attrs &attrs) {
  if (in.empty())
    return fail("needs at least one operand");
  int64_t axisAttr = attrs.integer("axis", 0, true);
  auto axis = normalizeAxis(axisAttr, in[0].rank());
  if (!axis)
    return fail(axis.error());
  std::vector<Dim> dims = in[0].dims();
  for (size_t i = 1; i < in.size(); ++i) {
    if (in[i].dtype() != in[0].dtype() || in[i].rank() != in[0].rank())
      return fail("operand " + std::to_string(i) + " is " + in[i].str() +
                  ", expected the dtype and rank of " + in[0].str());
    for (size_t d = 0; d < dims.size(); ++d) {
      if (static_cast<int64_t>(d) == *axis) {
        if (!dims[d].isStatic() || !in[i].dim(d).isStatic())
          return fail("concat axis must be static, got " + in[i].str());
        dims[d].size += in[i].dim(d).size;
      } else if (!(dims[d] == in[i].dim(d))) {
        return fail("operand " + std::to_string(i) + " is " + in[i].str() +
                    ", which differs from " + in[0].str() + " in dim " +
                    std::to_string(d));
      }
    }
  }
  return one(in[0].withDims(dims));
}

Result<Types> inferSplit(const Types &in, Attrs &attrs) {
  int64_t parts = attrs.integer("parts", 0, true);
  auto axis = normalizeAxis(attrs.integer("axis", 0, true), in[0].rank());
  if (!axis)
    return fail(axis.error());
  const Dim &d = in[0].dim(*axis);
  if (parts <= 0)
    return fail("parts must be positive, got " + std::to_string(parts));
  if (!d.isStatic() || d.size % parts != 0)
    return fail("cannot split dim " + d.str() + " of " + in[0].str() +
                " into " + std::to_string(parts) + " equal parts");
  std::vector<Dim> dims = in[0].dims();
  dims[*axis].size /= parts;
  return Types(parts, in[0].withDims(dims));
}

Result<Types> inferSlice(const Types &in, Attrs &attrs) {
  auto axis = normalizeAxis(attrs.integer("axis", 0, true), in[0].rank());
  if (!axis)
    return fail(axis.error());
  int64_t start = attrs.integer("start", 0, true);
  int64_t size = attrs.integer("size", 0, true);
  const Dim &d = in[0].dim(*axis);
  if (!d.isStatic())
    return fail("slice axis must be static, got " + in[0].str());
  if (start < 0 || size <= 0 || start + size > d.size)
    return fail("window [" + std::to_string(start) + ", " +
                std::to_string(start + size) + ") is outside dim " + d.str());
  std::vector<Dim> dims = in[0].dims();
  dims[*axis].size = size;
  return one(in[0].withDims(dims));
}

Result<Types> inferReshape(const Types &in, Attrs &attrs) {
  const auto *shape = attrs.get<std::vector<int64_t>>("shape", true);
  if (!shape)
    return fail(attrs.problem);
  const TensorType &x = in[0];
  std::vector<Dim> dims;
  int inferred = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape->size(); ++i) {
    int64_t s = (*shape)[i];
    if (s == 0) {
      if (i >= x.rank())
        return fail("shape entry 0 at position " + std::to_string(i) +
                    " has no input dim to copy");
      dims.push_back(x.dim(i));
    } else if (s == -1) {
      if (inferred >= 0)
        return fail("more than one -1 in shape");
      inferred = static_cast<int>(i);
      dims.push_back(Dim::fixed(1));
      continue;
    } else if (s > 0) {
      dims.push_back(Dim::fixed(s));
    } else {
      return fail("bad shape entry " + std::to_string(s));
    }
    if (dims.back().isStatic())
      known *= dims.back().size;
  }
  // Compare element counts: symbolic dims must appear on both sides equally.
  std::vector<std::string> symIn, symOut;
  int64_t total = 1;
  for (const Dim &d : x.dims()) {
    if (d.isStatic())
      total *= d.size;
    else
      symIn.push_back(d.sym);
  }
  for (const Dim &d : dims)
    if (!d.isStatic())
      symOut.push_back(d.sym);
  std::sort(symIn.begin(), symIn.end());
  std::sort(symOut.begin(), symOut.end());
  if (symIn != symOut)
    return fail("reshape of " + x.str() + " must keep its symbolic dims");
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return fail("cannot infer -1 in reshape of " + x.str());
    dims[inferred].size = total / known;
    known = total;
  }
  if (known != total)
    return fail("reshape of " + x.str() + " to " + dimsStr(dims) +
                " changes the element count");
  return one(x.withDims(dims));
}

Result<Types> inferTranspose(const Types &in, Attrs &attrs) {
  const auto *perm = attrs.get<std::vector<int64_t>>("perm", true);
  if (!perm)
    return fail(attrs.problem);
  const TensorType &x = in[0];
  if (perm->size() != x.rank())
    return fail("perm has " + std::to_string(perm->size()) +
                " entries for rank " + std::to_string(x.rank()));
  std::vector<bool> seen(x.rank(), false);
  std::vector<Dim> dims;
  for (int64_t p : *perm) {
    if (p < 0 || p >= static_cast<int64_t>(x.rank()) || seen[p])
      return fail("perm is not a permutation");
    seen[p] = true;
    dims.push_back(x.dim(p));
  }
  return one(x.withDims(dims));
}

Result<Types> inferReduce(const Types &in, Attrs &attrs) {
  const auto *axes = attrs.get<std::vector<int64_t>>("axes", true);
  if (!axes)
    return fail(attrs.problem);
  bool keep = attrs.flag("keepdims");
  const TensorType &x = in[0];
  if (x.dtype() != DType::F32)
    return fail("operand must be f32, got " + x.str());
  std::vector<bool> reduced(x.rank(), false);
  for (int64_t a : *axes) {
    auto ax = normalizeAxis(a, x.rank());
    if (!ax)
      return fail(ax.error());
    if (reduced[*ax])
      return fail("axis " + std::to_string(a) + " listed twice");
    reduced[*ax] = true;
  }
  std::vector<Dim> dims;
  for (size_t i = 0; i < x.rank(); ++i) {
    if (!reduced[i])
      dims.push_back(x.dim(i));
    else if (keep)
      dims.push_back(Dim::fixed(1));
  }
  return one(x.withDims(dims));
}

Result<Types> inferScan(const Types &in, Attrs &attrs, const Block *body) {
  int64_t numSeq = attrs.integer("num_seq", 0, true);
  int64_t numCarry = attrs.integer("num_carry", 0, true);
  int64_t numCapture = attrs.integer("num_capture", 0, true);
  bool hasLengths = attrs.flag("has_lengths");
  if (!attrs.problem.empty())
    return fail(attrs.problem);
  if (numSeq < 1 || numCarry < 0 || numCapture < 0)
    return fail("needs at least one sequence operand");
  size_t expected = numSeq + numCarry + numCapture + (hasLengths ? 1 : 0);
  if (in.size() != expected)
    return fail("has " + std::to_string(in.size()) + " operands, but its "
                "attributes describe " + std::to_string(expected));
  for (int64_t i = 0; i < numSeq; ++i) {
    if (in[i].rank() < 2)
      return fail("sequence operand " + std::to_string(i) +
                  " must be [T,B,...], got " + in[i].str());
    if (!(in[i].dim(0) == in[0].dim(0)))
      return fail("sequence operands differ in length: " + in[0].str() +
                  " vs " + in[i].str());
  }
  if (hasLengths) {
    const TensorType &len = in.back();
    if (len.dtype() != DType::I32 || len.rank() != 1 ||
        !(len.dim(0) == in[0].dim(1)))
      return fail("lengths must be i32[" + in[0].dim(1).str() + "], got " +
                  len.str());
  }
  if (!body)
    return fail("has no body");
  Operation *yield = body->terminator();
  if (!yield || yield->kind() != OpKind::Yield)
    return fail("body must end in yield");
  if (yield->numOperands() < static_cast<unsigned>(numCarry))
    return fail("yield has " + std::to_string(yield->numOperands()) +
                " operands, fewer than the " + std::to_string(numCarry) +
                " carried values");
  Types out;
  // Stacked per-step outputs first, then the final carried values.
  for (unsigned i = numCarry; i < yield->numOperands(); ++i) {
    std::vector<Dim> dims{in[0].dim(0)};
    for (const Dim &d : yield->operand(i)->type().dims())
      dims.push_back(d);
    out.push_back(yield->operand(i)->type().withDims(dims));
  }
  for (int64_t i = 0; i < numCarry; ++i)
    out.push_back(in[numSeq + i]);
  return out;
}

} // namespace

Result<std::vector<TensorType>>
inferResultTypes(OpKind kind, const std::vector<TensorType> &in,
                 const AttrMap &attrMap, const Block *body) {
  const OpInfo &info = opInfo(kind);
  if (info.numOperands >= 0 &&
      in.size() != static_cast<size_t>(info.numOperands))
    return fail("expects " + std::to_string(info.numOperands) +
                " operand(s), got " + std::to_string(in.size()));
  Attrs attrs{attrMap, {}};

  if (isElementwiseUnary(kind)) {
    auto ok = requireF32(in, "elementwise");
    if (!ok)
      return fail(ok.error());
    return one(in[0]);
  }
  if (isElementwiseBinary(kind)) {
    auto ok = requireF32(in, "elementwise");
    if (!ok)
      return fail(ok.error());
    auto dims = broadcastDims(in[0].dims(), in[1].dims());
    if (!dims)
      return fail(dims.error());
    return one(in[0].withDims(*dims));
  }

  Result<Types> r = fail("no type rule");
  switch (kind) {
  case OpKind::Constant:
    return fail("constant has a declared type, not an inferred one");
  case OpKind::Select: {
    auto ok = requireF32(in, "select");
    if (!ok)
      return fail(ok.error());
    auto ab = broadcastDims(in[1].dims(), in[2].dims());
    if (!ab)
      return fail(ab.error());
    auto all = broadcastDims(in[0].dims(), *ab);
    if (!all)
      return fail(all.error());
    return one(in[1].withDims(*all));
  }
  case OpKind::Cast: {
    const std::string *to = attrs.get<std::string>("to", true);
    if (!to)
      return fail(attrs.problem);
    if (*to != "f32" && *to != "i32")
      return fail("cast target must be \"f32\" or \"i32\", got \"" + *to +
                  "\"");
    return one(in[0].withDType(*to == "f32" ? DType::F32 : DType::I32));
  }
  case OpKind::MatMul:
    r = inferMatMul(in, attrs);
    break;
  case OpKind::Concat:
    r = inferConcat(in, attrs);
    break;
  case OpKind::Split:
    r = inferSplit(in, attrs);
    break;
  case OpKind::Slice:
    r = inferSlice(in, attrs);
    break;
  case OpKind::Reshape:
    r = inferReshape(in, attrs);
    break;
  case OpKind::Transpose:
    r = inferTranspose(in, attrs);
    break;
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
    r = inferReduce(in, attrs);
    break;
  case OpKind::Softmax:
  case OpKind::LogSoftmax: {
    if (in[0].dtype() != DType::F32 || in[0].rank() == 0)
      return fail("operand must be an f32 tensor of rank >= 1, got " +
                  in[0].str());
    auto ax = normalizeAxis(attrs.integer("axis", -1, false), in[0].rank());
    if (!ax)
      return fail(ax.error());
    r = one(in[0]);
    break;
  }
  case OpKind::Embed: {
    const TensorType &table = in[0], &ids = in[1];
    if (table.dtype() != DType::F32 || table.rank() != 2)
      return fail("table must be f32[V,E], got " + table.str());
    if (ids.dtype() != DType::I32)
      return fail("ids must be i32, got " + ids.str());
    std::vector<Dim> dims = ids.dims();
    dims.push_back(table.dim(1));
    r = one(TensorType(DType::F32, dims));
    break;
  }
  case OpKind::EmbedGrad: {
    int64_t rows = attrs.integer("rows", 0, true);
    if (!attrs.problem.empty())
      return fail(attrs.problem);
    const TensorType &ids = in[0], &dy = in[1];
    if (ids.dtype() != DType::I32)
      return fail("ids must be i32, got " + ids.str());
    std::vector<Dim> lead(dy.dims().begin(),
                          dy.dims().end() - (dy.rank() > 0 ? 1 : 0));
    if (dy.dtype() != DType::F32 || dy.rank() != ids.rank() + 1 ||
        lead != ids.dims())
      return fail("gradient must be f32[<ids dims>, E], got " + dy.str() +
                  " for ids " + ids.str());
    if (rows <= 0 || rows > (int64_t{1} << 32)) // the limit of a static dim
      return fail("rows must be in [1, 2^32], got " + std::to_string(rows));
    r = one(TensorType(DType::F32, {Dim::fixed(rows), dy.dim(dy.rank() - 1)}));
    break;
  }
  case OpKind::OneHot: {
    int64_t depth = attrs.integer("depth", 0, true);
    if (!attrs.problem.empty())
      return fail(attrs.problem);
    if (in[0].dtype() != DType::I32)
      return fail("ids must be i32, got " + in[0].str());
    if (depth <= 0)
      return fail("depth must be positive");
    std::vector<Dim> dims = in[0].dims();
    dims.push_back(Dim::fixed(depth));
    r = one(TensorType(DType::F32, dims));
    break;
  }
  case OpKind::LengthMask: {
    const TensorType &len = in[0], &x = in[1];
    if (x.rank() < 2)
      return fail("second operand must be [T,B,...], got " + x.str());
    if (len.dtype() != DType::I32 || len.rank() != 1 ||
        !(len.dim(0) == x.dim(1)))
      return fail("lengths must be i32[" + x.dim(1).str() + "], got " +
                  len.str());
    r = one(TensorType(DType::F32, {x.dim(0), x.dim(1)}));
    break;
  }
  case OpKind::CrossEntropy: {
    if (in.size() != 2 && in.size() != 3)
      return fail("expects 2 or 3 operands, got " + std::to_string(in.size()));
    const TensorType &logits = in[0], &tgt = in[1];
    if (logits.dtype() != DType::F32 || logits.rank() < 1)
      return fail("logits must be f32[..., V], got " + logits.str());
    std::vector<Dim> lead(logits.dims().begin(), logits.dims().end() - 1);
    if (tgt.dtype() != DType::I32 || tgt.dims() != lead)
      return fail("targets must be i32" + dimsStr(lead) + " to match logits " +
                  logits.str() + ", got " + tgt.str());
    if (in.size() == 3 &&
        (in[2].dtype() != DType::F32 || in[2].dims() != lead))
      return fail("mask must be f32" + dimsStr(lead) + ", got " + in[2].str());
    r = one(TensorType(DType::F32, {}));
    break;
  }
  case OpKind::Mse: {
    if (in.size() != 2 && in.size() != 3)
      return fail("expects 2 or 3 operands, got " + std::to_string(in.size()));
    if (in[0] != in[1] || in[0].dtype() != DType::F32)
      return fail("prediction and target must have one f32 type, got " +
                  in[0].str() + " and " + in[1].str());
    if (in.size() == 3) {
      const TensorType &m = in[2];
      bool prefix = m.dtype() == DType::F32 && m.rank() <= in[0].rank() &&
                    std::equal(m.dims().begin(), m.dims().end(),
                               in[0].dims().begin());
      if (!prefix)
        return fail("mask must be f32 over leading dims of " + in[0].str() +
                    ", got " + m.str());
    }
    r = one(TensorType(DType::F32, {}));
    break;
  }
  case OpKind::Scan:
    r = inferScan(in, attrs, body);
    break;
  case OpKind::Yield:
  case OpKind::Return:
    return Types{};
  default:
    break;
  }
  if (!attrs.problem.empty())
    return fail(attrs.problem);
  return r;
}

} // namespace rnnc::ir
