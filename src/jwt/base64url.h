// base64url without padding (RFC 4648 section 5, as JWS uses it: RFC 7515 section 2). Decoding is
// strict: no padding, no whitespace, no character outside the alphabet and no set bits after the
// last whole byte, so one token has exactly one spelling.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace x0::jwt {

std::optional<std::string> base64url_decode(std::string_view text);
std::string base64url_encode(std::string_view bytes);

}  // namespace x0::jwt
