//===- runtime/Npy.h - Reading and writing NumPy .npy files ----*- C++ -*-===//
//
// The driver's tensor interchange format: model inputs, targets and outputs
// are .npy files, so data prepared with NumPy or PyTorch needs no converter.
//
// Reading accepts format versions 1.0, 2.0 and 3.0 with little-endian data in
// C order: '<f4' and '<i4' directly, and '<f8' (to f32), '<i8' (to i32, range
// checked), '|u1', '|i1' and '|b1' (to i32) by conversion. The header dict is
// validated strictly (exactly the keys descr, fortran_order and shape), and a
// truncated, padded-out or otherwise corrupt file is an error that names the
// file and what is wrong. Writing produces version 1.0 files (2.0 only for a
// header too long for 1.0) with '<f4' or '<i4' data, exactly as numpy.save
// lays them out.
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_NPY_H
#define RNNC_RUNTIME_NPY_H

#include "runtime/Result.h"
#include "runtime/Tensor.h"

#include <string>
#include <string_view>

namespace rnnc {

/// Decodes the bytes of a .npy file; `name` identifies it in error messages.
Result<Tensor> parseNpy(std::string_view bytes,
                        const std::string &name = "<memory>");

/// Encodes `t` as the bytes of a .npy file.
std::string serializeNpy(const Tensor &t);

/// Reads the .npy file at `path`.
Result<Tensor> readNpy(const std::string &path);

/// Writes `t` to `path` as a .npy file, replacing any existing file.
Status writeNpy(const std::string &path, const Tensor &t);

} // namespace rnnc

#endif // RNNC_RUNTIME_NPY_H
