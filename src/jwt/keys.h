// The keys a JWT provider verifies with: from a JWKS (RFC 7517), a PEM public key or an HS256
// secret. Each key has one type, and each type allows exactly one algorithm (RFC 7518, RFC 8037),
// so a token can never pick how its key is used (no HS256 "signed" with an RSA public key).
// A KeySet is immutable once loaded and shared by the workers (EVP_PKEY verification is
// thread-safe on a const key).
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace x0::jwt {

enum class Alg : uint8_t { kRS256, kES256, kEdDSA, kHS256 };
inline constexpr int kAlgCount = 4;
// "RS256", "ES256", "EdDSA", "HS256"; anything else (notably "none") is nullopt.
std::optional<Alg> alg_from_name(std::string_view name);
std::string_view alg_name(Alg alg);
// A set of algorithms as bits (1 << Alg).
using AlgSet = uint32_t;
constexpr AlgSet alg_bit(Alg a) { return 1u << static_cast<unsigned>(a); }

enum class KeyType : uint8_t { kRsa, kEcP256, kEd25519, kSecret };
std::string_view key_type_name(KeyType type);  // "RSA", "EC P-256", "Ed25519", "secret"
// The one algorithm a key of this type verifies.
Alg alg_for(KeyType type);

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

struct Key {
  std::string kid;  // "" when the source gives none
  KeyType type = KeyType::kSecret;
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey;  // public keys
  std::string secret;                        // kSecret
};

class KeySet {
 public:
  std::vector<Key> keys;
  // The algorithms these keys can verify.
  AlgSet algorithms() const;
};

// RSA keys shorter than this are refused (RFC 7518 section 3.3: 2048 bits or larger).
inline constexpr int kMinRsaBits = 2048;
// HS256 secrets shorter than the hash (RFC 7518 section 3.2) are refused.
inline constexpr size_t kMinSecretBytes = 32;

// A JWKS document: {"keys":[...]} with kty RSA (n, e), EC (crv P-256, x, y), OKP (crv Ed25519,
// x) or oct (k). A key whose "use" is not "sig", or whose "alg" does not match its type, is an
// error, not skipped: a half-loaded key set fails only at 3 a.m.
Result<KeySet> keys_from_jwks(std::string_view json);
// One PEM public key (SubjectPublicKeyInfo): RSA, EC P-256 or Ed25519.
Result<KeySet> keys_from_pem(std::string_view pem);
// An HS256 secret: the bytes as given (a trailing newline of the file is not part of it).
Result<KeySet> keys_from_secret(std::string_view secret);

}  // namespace x0::jwt
