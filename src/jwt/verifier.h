// Checks a bearer JWT against one provider: the signature through OpenSSL's EVP with a key of
// the provider's KeySet whose type fits the header's alg (RFC 7518: RS256, ES256, HS256;
// RFC 8037: EdDSA over Ed25519), then exp, nbf, iss and aud (RFC 7519 section 4.1) with the
// provider's clock skew. The outcome is a Failure reason the filter counts, logs and answers
// with; never an exception. Thread-safe on a const Verifier.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "jwt/keys.h"

namespace x0::jwt {

enum class Failure : uint8_t {
  kNone,
  kMissing,      // no token in the request
  kMalformed,    // not a well-formed JWS, or a claim of the wrong type
  kAlgorithm,    // alg "none", unknown, not allowed, or not what the key is for
  kUnknownKey,   // no key with the token's kid
  kSignature,    // no key verifies the signature
  kNoExpiry,     // no exp claim: a token that never expires is refused
  kExpired,      // exp + skew has passed
  kNotYetValid,  // nbf - skew is still ahead
  kIssuer,       // iss is not the provider's issuer
  kAudience,     // aud names none of the provider's audiences
};
inline constexpr int kFailureCount = 11;
// The metric label and log reason: "missing", "malformed", "algorithm", "unknown_kid",
// "signature", "no_exp", "expired", "not_yet_valid", "issuer", "audience" ("ok" for kNone).
std::string_view failure_name(Failure f);
// A sentence for error_description (RFC 6750 section 3): says what, never why in detail.
std::string_view failure_description(Failure f);

struct Rules {
  std::string issuer;                  // "" = not checked
  std::vector<std::string> audiences;  // empty: a token carrying aud is refused (RFC 7519 4.1.3)
  AlgSet algorithms = 0;               // allowed; never wider than the keys' types
  int64_t skew_s = 60;
};

struct Verdict {
  Failure failure = Failure::kNone;
  nlohmann::json claims;  // the verified claims (kNone only)
  bool ok() const { return failure == Failure::kNone; }
};

class Verifier {
 public:
  Verifier(std::shared_ptr<const KeySet> keys, Rules rules)
      : keys_(std::move(keys)), rules_(std::move(rules)) {}
  // `now_s`: Unix seconds.
  Verdict verify(std::string_view token, int64_t now_s) const;
  const Rules& rules() const { return rules_; }

 private:
  std::shared_ptr<const KeySet> keys_;
  Rules rules_;
};

// The signature check alone (exposed for tests): true when `key` verifies `signature` over
// `input` with `alg`; false too when the key's type does not fit alg.
bool verify_signature(const Key& key, Alg alg, std::string_view input, std::string_view signature);

// A claim as a header value: strings as they are, other JSON compact; nullopt when absent or
// when the text would not be a valid field value (control characters).
std::optional<std::string> claim_text(const nlohmann::json& claims, std::string_view name);

}  // namespace x0::jwt
