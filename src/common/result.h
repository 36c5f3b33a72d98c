// Errors as values: the hot path and library modules return Result<T> instead of throwing.
// An Error carries a short machine-readable code and a human sentence for logs and JSON bodies.
#pragma once

#include "common/expected_compat.h"  // std::expected, or a fallback for clang 14
#include <string>
#include <utility>

namespace x0 {

struct Error {
  std::string code;    // stable, snake_case: "bad_request", "config_invalid", "wrong_size"...
  std::string detail;  // what happened, for the operator
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string code, std::string detail) {
  return std::unexpected<Error>(Error{std::move(code), std::move(detail)});
}

}  // namespace x0
