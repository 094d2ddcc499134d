//===- runtime/Result.h - A value or an error message ----------*- C++ -*-===//
//
// Library code in rnnc reports failures by returning them, never by exiting or
// throwing. Result<T> holds either a T or an error message; it is the common
// currency of every layer, including the runtime, which must not depend on LLVM
// (so llvm::Expected is not available here).
//
//===----------------------------------------------------------------------===//
#ifndef RNNC_RUNTIME_RESULT_H
#define RNNC_RUNTIME_RESULT_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace rnnc {

/// An error message, the failure half of Result<T>.
struct Error {
  std::string message;
};

inline Error makeError(std::string message) { return Error{std::move(message)}; }

/// Either a value of type T or an Error. Test with `if (!r)`, read the
/// message with `r.error()`, and the value with `*r` or `r->`.
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : value(std::move(value)) {}
  Result(Error err) : err(std::move(err.message)) {}

  explicit operator bool() const { return value.has_value(); }
  const std::string &error() const { return err; }

  T &operator*() {
    assert(value && "reading the value of a failed Result");
    return *value;
  }
  const T &operator*() const {
    assert(value && "reading the value of a failed Result");
    return *value;
  }
  T *operator->() { return &**this; }
  const T *operator->() const { return &**this; }
  T take() { return std::move(**this); }

private:
  std::optional<T> value;
  std::string err;
};

/// Success or an error message, for functions with nothing else to return.
class [[nodiscard]] Status {
public:
  Status() = default;
  Status(Error err) : failed(true), err(std::move(err.message)) {}
  static Status ok() { return Status(); }

  explicit operator bool() const { return !failed; }
  const std::string &error() const { return err; }

private:
  bool failed = false;
  std::string err;
};

} // namespace rnnc

#endif // RNNC_RUNTIME_RESULT_H
