// Errors as values: the hot path and library modules return Result<T> instead of throwing.
// An Error carries a machine-readable code (common/errc.h) and a human sentence for logs and JSON
// bodies; name() is the code's stable snake_case word that those bodies and logs print.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/errc.h"
#include "common/expected_compat.h"  // std::expected, or a fallback for clang 14

namespace x0 {

struct Error {
  Errc code;
  std::string detail;  // what happened, for the operator

  std::string_view name() const { return errc_name(code); }  // "bad_request", "wrong_size"...
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(Errc code, std::string detail) {
  return std::unexpected<Error>(Error{code, std::move(detail)});
}

}  // namespace x0
