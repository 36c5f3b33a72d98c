// A JWS compact serialization (RFC 7515 section 7.1) taken apart: the protected header's alg
// and kid, the claims object, the signing input and the signature bytes. Nothing here is trusted
// yet: verifier.h checks the signature and the claims. Pure and allocation-bounded by the input
// size; fuzzed in fuzz/jwt.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace x0::jwt {

// Longer tokens are refused before any decoding (the head limit bounds them anyway).
inline constexpr size_t kMaxTokenBytes = 16 * 1024;

struct DecodedToken {
  std::string alg;               // header "alg", as written
  std::optional<std::string> kid;
  nlohmann::json claims;         // a JSON object
  std::string_view signing_input;  // "header.payload", a view of the token
  std::string signature;
};

// nullopt when the text is not a well-formed JWS: not three base64url parts, a header or
// payload that is not a JSON object, no string "alg", a "crit" header (no extension is
// understood, RFC 7515 section 4.1.11), or longer than kMaxTokenBytes.
std::optional<DecodedToken> decode(std::string_view token);

}  // namespace x0::jwt
