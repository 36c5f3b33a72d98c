// JWS compact decoding (see token.h).
#include "jwt/token.h"

#include "jwt/base64url.h"

namespace x0::jwt {

std::optional<DecodedToken> decode(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return std::nullopt;
  size_t first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return std::nullopt;  // a JWE (five parts) or anything else
  auto header_text = base64url_decode(token.substr(0, first));
  auto payload_text = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  // An empty signature is well-formed (alg "none" has one): the algorithm check refuses it.
  if (!header_text || !payload_text || !signature) return std::nullopt;
  auto header = nlohmann::json::parse(*header_text, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) return std::nullopt;
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || header.contains("crit")) return std::nullopt;
  DecodedToken out;
  out.alg = alg->get<std::string>();
  if (auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string()) return std::nullopt;
    out.kid = kid->get<std::string>();
  }
  out.claims = nlohmann::json::parse(*payload_text, nullptr, /*allow_exceptions=*/false);
  if (out.claims.is_discarded() || !out.claims.is_object()) return std::nullopt;
  out.signing_input = token.substr(0, second);
  out.signature = std::move(*signature);
  return out;
}

}  // namespace x0::jwt
