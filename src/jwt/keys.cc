// Loading JWT verification keys into EVP_PKEYs (see keys.h). JWKS members are base64url big-endian
// integers and points (RFC 7518 section 6); they become keys through EVP_PKEY_fromdata.
#include "jwt/keys.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "jwt/base64url.h"

namespace x0::jwt {
namespace {

struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

std::unexpected<Error> bad(std::string detail) { return fail(Errc::kInvalidKey, std::move(detail)); }

// Checks a public key's type and size; the KeyType it is.
Result<KeyType> classify(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
      if (EVP_PKEY_get_bits(pkey) < kMinRsaBits)
        return bad("RSA key of " + std::to_string(EVP_PKEY_get_bits(pkey)) +
                   " bits: at least 2048 are needed");
      return KeyType::kRsa;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &len) != 1 ||
          std::string_view(group, len) != "prime256v1")
        return bad("EC key on curve \"" + std::string(group, len) + "\": only P-256 (ES256)");
      return KeyType::kEcP256;
    }
    case EVP_PKEY_ED25519:
      return KeyType::kEd25519;
    default:
      return bad("unsupported public key type (RSA, EC P-256 or Ed25519)");
  }
}

Result<std::string> member(const nlohmann::json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return bad(std::string("missing \"") + name + "\"");
  auto bytes = base64url_decode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) return bad(std::string("\"") + name + "\" is not base64url");
  return *bytes;
}

Result<std::unique_ptr<EVP_PKEY, PkeyFree>> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return bad(std::string("not a valid ") + type + " public key");
  return std::unique_ptr<EVP_PKEY, PkeyFree>(raw);
}

Result<std::unique_ptr<EVP_PKEY, PkeyFree>> rsa_key(const nlohmann::json& jwk) {
  auto n = member(jwk, "n");
  if (!n) return std::unexpected(n.error());
  auto e = member(jwk, "e");
  if (!e) return std::unexpected(e.error());
  Bn bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()),
                    nullptr));
  Bn bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()),
                    nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return bad("not a valid RSA public key");
  return from_params("RSA", bld.get());
}

Result<std::unique_ptr<EVP_PKEY, PkeyFree>> ec_key(const nlohmann::json& jwk) {
  if (jwk.value("crv", "") != "P-256") return bad("EC key: only crv P-256 (ES256)");
  auto x = member(jwk, "x");
  if (!x) return std::unexpected(x.error());
  auto y = member(jwk, "y");
  if (!y) return std::unexpected(y.error());
  if (x->size() != 32 || y->size() != 32) return bad("EC P-256 key: x and y are 32 bytes");
  std::string point(1, '\x04');  // SEC 1 uncompressed point: 04 || x || y
  point.append(*x).append(*y);
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1)
    return bad("not a valid EC public key");
  return from_params("EC", bld.get());  // fromdata checks the point is on the curve
}

Result<std::unique_ptr<EVP_PKEY, PkeyFree>> okp_key(const nlohmann::json& jwk) {
  if (jwk.value("crv", "") != "Ed25519") return bad("OKP key: only crv Ed25519 (EdDSA)");
  auto x = member(jwk, "x");
  if (!x) return std::unexpected(x.error());
  if (x->size() != 32) return bad("Ed25519 key: x is 32 bytes");
  EVP_PKEY* raw = EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (!raw) return bad("not a valid Ed25519 public key");
  return std::unique_ptr<EVP_PKEY, PkeyFree>(raw);
}

Result<Key> jwk_key(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return bad("a key is not a JSON object");
  Key key;
  if (auto kid = jwk.find("kid"); kid != jwk.end()) {
    if (!kid->is_string()) return bad("\"kid\" is not a string");
    key.kid = kid->get<std::string>();
  }
  if (auto use = jwk.find("use"); use != jwk.end() && *use != "sig")
    return bad("key \"" + key.kid + "\": \"use\" is not \"sig\"");
  std::string kty = jwk.value("kty", "");
  if (kty == "oct") {
    auto k = member(jwk, "k");
    if (!k) return std::unexpected(k.error());
    if (k->size() < kMinSecretBytes) return bad("oct key shorter than 32 bytes");
    key.type = KeyType::kSecret;
    key.secret = std::move(*k);
  } else {
    auto pkey = kty == "RSA"  ? rsa_key(jwk)
                : kty == "EC" ? ec_key(jwk)
                : kty == "OKP"
                    ? okp_key(jwk)
                    : Result<std::unique_ptr<EVP_PKEY, PkeyFree>>(bad("unsupported kty \"" + kty +
                                                                      "\" (RSA, EC, OKP, oct)"));
    if (!pkey) return bad("key \"" + key.kid + "\": " + pkey.error().detail);
    auto type = classify(pkey->get());
    if (!type) return bad("key \"" + key.kid + "\": " + type.error().detail);
    key.type = *type;
    key.pkey = std::move(*pkey);
  }
  if (auto alg = jwk.find("alg"); alg != jwk.end()) {
    auto a = alg->is_string() ? alg_from_name(alg->get<std::string>()) : std::nullopt;
    if (!a || *a != alg_for(key.type))
      return bad("key \"" + key.kid + "\": \"alg\" " + alg->dump() + " does not fit a " +
                 std::string(key_type_name(key.type)) + " key (" +
                 std::string(alg_name(alg_for(key.type))) + ")");
  }
  return key;
}

}  // namespace

std::optional<Alg> alg_from_name(std::string_view name) {
  if (name == "RS256") return Alg::kRS256;
  if (name == "ES256") return Alg::kES256;
  if (name == "EdDSA") return Alg::kEdDSA;
  if (name == "HS256") return Alg::kHS256;
  return std::nullopt;
}

std::string_view alg_name(Alg alg) {
  switch (alg) {
    case Alg::kRS256:
      return "RS256";
    case Alg::kES256:
      return "ES256";
    case Alg::kEdDSA:
      return "EdDSA";
    case Alg::kHS256:
      return "HS256";
  }
  return "?";
}

std::string_view key_type_name(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "RSA";
    case KeyType::kEcP256:
      return "EC P-256";
    case KeyType::kEd25519:
      return "Ed25519";
    case KeyType::kSecret:
      return "secret";
  }
  return "?";
}

Alg alg_for(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return Alg::kRS256;
    case KeyType::kEcP256:
      return Alg::kES256;
    case KeyType::kEd25519:
      return Alg::kEdDSA;
    case KeyType::kSecret:
      return Alg::kHS256;
  }
  return Alg::kHS256;
}

AlgSet KeySet::algorithms() const {
  AlgSet set = 0;
  for (const Key& k : keys) set |= alg_bit(alg_for(k.type));
  return set;
}

Result<KeySet> keys_from_jwks(std::string_view json) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  auto list = doc.find("keys");
  if (list == doc.end() || !list->is_array()) return bad("no \"keys\" array");
  KeySet set;
  for (const nlohmann::json& jwk : *list) {
    auto key = jwk_key(jwk);
    if (!key) return std::unexpected(key.error());
    set.keys.push_back(std::move(*key));
  }
  if (set.keys.empty()) return bad("\"keys\" is empty");
  return set;
}

Result<KeySet> keys_from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* raw = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (!raw) return bad("not a PEM public key (-----BEGIN PUBLIC KEY-----)");
  Key key;
  key.pkey.reset(raw);
  auto type = classify(raw);
  if (!type) return std::unexpected(type.error());
  key.type = *type;
  KeySet set;
  set.keys.push_back(std::move(key));
  return set;
}

Result<KeySet> keys_from_secret(std::string_view secret) {
  if (secret.ends_with('\n')) secret.remove_suffix(1);
  if (secret.ends_with('\r')) secret.remove_suffix(1);
  if (secret.size() < kMinSecretBytes)
    return bad("HS256 secret of " + std::to_string(secret.size()) +
               " bytes: at least 32 are needed");
  Key key;
  key.type = KeyType::kSecret;
  key.secret = std::string(secret);
  KeySet set;
  set.keys.push_back(std::move(key));
  return set;
}

}  // namespace x0::jwt
