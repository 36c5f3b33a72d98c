// The reason of OpenSSL's most recent error, for error details ("no detail from OpenSSL" when
// it left none); clears the thread's error queue.
#pragma once

#include <openssl/err.h>

#include <string>

namespace x0::tls {

inline std::string openssl_reason() {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  if (e == 0) return "no detail from OpenSSL";
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "no detail from OpenSSL";
}

}  // namespace x0::tls
