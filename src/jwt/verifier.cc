// JWT verification (see verifier.h). The signature is checked before any claim is read for its
// meaning, so an unsigned token's claims never decide anything (not even which error is told).
#include "jwt/verifier.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <cmath>

#include "jwt/token.h"

namespace x0::jwt {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// JOSE's ES256 signature is r || s, 32 bytes each (RFC 7518 section 3.4); EVP wants DER.
std::optional<std::string> es256_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

bool evp_verify(EVP_PKEY* pkey, const EVP_MD* md, std::string_view input, std::string_view sig) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, pkey) != 1) return false;
  return EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(input), input.size()) == 1;
}

bool hs256_verify(const std::string& secret, std::string_view input, std::string_view sig) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                bytes(input), input.size(), mac, sizeof mac, &len) == nullptr)
    return false;
  return sig.size() == len && CRYPTO_memcmp(mac, sig.data(), len) == 0;
}

// A NumericDate (RFC 7519 section 2): seconds, possibly fractional. nullopt: absent; *ok false:
// present but not a finite number.
std::optional<double> numeric_date(const nlohmann::json& claims, const char* name, bool* ok) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>())) {
    *ok = false;
    return std::nullopt;
  }
  return it->get<double>();
}

Failure check_claims(const nlohmann::json& claims, const Rules& rules, int64_t now_s) {
  bool ok = true;
  auto exp = numeric_date(claims, "exp", &ok);
  auto nbf = numeric_date(claims, "nbf", &ok);
  if (!ok) return Failure::kMalformed;
  const double now = static_cast<double>(now_s);
  const double skew = static_cast<double>(rules.skew_s);
  if (!exp) return Failure::kNoExpiry;
  if (now >= *exp + skew) return Failure::kExpired;  // "on or after" exp is expired
  if (nbf && now + skew < *nbf) return Failure::kNotYetValid;
  if (!rules.issuer.empty()) {
    auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() || *iss != rules.issuer) return Failure::kIssuer;
  }
  auto aud = claims.find("aud");
  if (aud != claims.end()) {
    auto ours = [&](const nlohmann::json& v) {
      if (!v.is_string()) return false;
      for (const std::string& a : rules.audiences)
        if (v.get_ref<const std::string&>() == a) return true;
      return false;
    };
    bool match = false;
    if (aud->is_array()) {
      for (const auto& v : *aud) match = match || ours(v);
    } else if (aud->is_string()) {
      match = ours(*aud);
    } else {
      return Failure::kMalformed;
    }
    if (!match) return Failure::kAudience;
  } else if (!rules.audiences.empty()) {
    return Failure::kAudience;  // the provider names its audiences: the token must be for one
  }
  return Failure::kNone;
}

}  // namespace

std::string_view failure_name(Failure f) {
  switch (f) {
    case Failure::kNone:
      return "ok";
    case Failure::kMissing:
      return "missing";
    case Failure::kMalformed:
      return "malformed";
    case Failure::kAlgorithm:
      return "algorithm";
    case Failure::kUnknownKey:
      return "unknown_kid";
    case Failure::kSignature:
      return "signature";
    case Failure::kNoExpiry:
      return "no_exp";
    case Failure::kExpired:
      return "expired";
    case Failure::kNotYetValid:
      return "not_yet_valid";
    case Failure::kIssuer:
      return "issuer";
    case Failure::kAudience:
      return "audience";
  }
  return "unknown";
}

std::string_view failure_description(Failure f) {
  switch (f) {
    case Failure::kNone:
      return "";
    case Failure::kMissing:
      return "no bearer token";
    case Failure::kMalformed:
      return "the token is malformed";
    case Failure::kAlgorithm:
      return "the token's algorithm is not accepted";
    case Failure::kUnknownKey:
      return "the token's key is unknown";
    case Failure::kSignature:
      return "the token's signature does not verify";
    case Failure::kNoExpiry:
      return "the token has no expiry";
    case Failure::kExpired:
      return "the token has expired";
    case Failure::kNotYetValid:
      return "the token is not valid yet";
    case Failure::kIssuer:
      return "the token's issuer is not accepted";
    case Failure::kAudience:
      return "the token is not meant for this audience";
  }
  return "the token is invalid";
}

bool verify_signature(const Key& key, Alg alg, std::string_view input, std::string_view sig) {
  if (alg_for(key.type) != alg) return false;  // a key verifies only with its own algorithm
  switch (alg) {
    case Alg::kHS256:
      return hs256_verify(key.secret, input, sig);
    case Alg::kRS256:
      return evp_verify(key.pkey.get(), EVP_sha256(), input, sig);
    case Alg::kES256: {
      auto der = es256_der(sig);
      return der && evp_verify(key.pkey.get(), EVP_sha256(), input, *der);
    }
    case Alg::kEdDSA:
      return sig.size() == 64 && evp_verify(key.pkey.get(), nullptr, input, sig);
  }
  return false;
}

Verdict Verifier::verify(std::string_view token, int64_t now_s) const {
  Verdict v;
  if (token.empty()) {
    v.failure = Failure::kMissing;
    return v;
  }
  auto decoded = decode(token);
  if (!decoded) {
    v.failure = Failure::kMalformed;
    return v;
  }
  auto alg = alg_from_name(decoded->alg);
  if (!alg || (rules_.algorithms & alg_bit(*alg)) == 0) {
    v.failure = Failure::kAlgorithm;
    return v;
  }
  bool any_key = false, verified = false;
  for (const Key& key : keys_->keys) {
    if (decoded->kid && !key.kid.empty() && key.kid != *decoded->kid) continue;
    if (decoded->kid && key.kid.empty() && keys_->keys.size() > 1) continue;
    any_key = true;
    if (verify_signature(key, *alg, decoded->signing_input, decoded->signature)) {
      verified = true;
      break;
    }
  }
  if (!any_key) {
    v.failure = Failure::kUnknownKey;
    return v;
  }
  if (!verified) {
    v.failure = Failure::kSignature;
    return v;
  }
  v.failure = check_claims(decoded->claims, rules_, now_s);
  if (v.ok()) v.claims = std::move(decoded->claims);
  return v;
}

std::optional<std::string> claim_text(const nlohmann::json& claims, std::string_view name) {
  auto it = claims.find(name);
  if (it == claims.end() || it->is_null()) return std::nullopt;
  std::string text = it->is_string() ? it->get<std::string>()
                                     : it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (char c : text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return std::nullopt;
  return text;
}

}  // namespace x0::jwt
