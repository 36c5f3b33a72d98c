// The verifier with keys made here through EVP: each algorithm verifies its own tokens, and
// none is fooled by alg none, a key of another type (alg confusion), another key, an unknown kid,
// bad times or the wrong issuer or audience. Tokens are signed here, not by the code under test.
#include "jwt/verifier.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "jwt/base64url.h"
#include "jwt/keys.h"
#include "jwt/token.h"

namespace x0::jwt {
namespace {

constexpr int64_t kNow = 1'800'000'000;
const std::string kSecret(40, 's');

using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey generate(const char* type) {
  if (std::string_view(type) == "RSA") return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  if (std::string_view(type) == "EC") return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
}

std::string public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string evp_sign(EVP_PKEY* key, const EVP_MD* md, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key), 1);
  size_t len = 0;
  auto in = reinterpret_cast<const unsigned char*>(input.data());
  EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size());
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                           input.size()),
            1);
  sig.resize(len);
  return sig;
}

// DER ECDSA-Sig-Value -> JOSE r || s (RFC 7518 section 3.4), done independently of the verifier.
std::string der_to_raw(const std::string& der) {
  auto p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string hmac(std::string_view key, std::string_view input) {
  unsigned char mac[32];
  size_t len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
            &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

nlohmann::json claims() {
  return {{"iss", "https://issuer"}, {"aud", "api"}, {"sub", "alice"}, {"exp", kNow + 300}};
}

// "header.payload" with alg (and kid), then the signature `sign` makes of it.
template <class Sign>
std::string token(std::string_view alg, const nlohmann::json& payload, Sign sign,
                  std::string_view kid = "") {
  nlohmann::json header = {{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  return input + "." + base64url_encode(sign(input));
}

class VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rsa_ = generate("RSA");
    ec_ = generate("EC");
    ed_ = generate("ED25519");
  }
  Verifier verifier(KeySet keys, Rules rules = {}) {
    if (rules.issuer.empty()) rules.issuer = "https://issuer";
    if (rules.audiences.empty()) rules.audiences = {"api"};
    if (rules.algorithms == 0) rules.algorithms = keys.algorithms();
    return Verifier(std::make_shared<const KeySet>(std::move(keys)), rules);
  }
  KeySet pem(EVP_PKEY* key) { return *keys_from_pem(public_pem(key)); }
  std::string rs256(const nlohmann::json& c, EVP_PKEY* key = nullptr) {
    EVP_PKEY* k = key ? key : rsa_.get();
    return token("RS256", c, [&](const std::string& in) { return evp_sign(k, EVP_sha256(), in); });
  }
  Pkey rsa_, ec_, ed_;
};

TEST_F(VerifierTest, EachAlgorithmVerifiesItsOwnTokens) {
  EXPECT_TRUE(verifier(pem(rsa_.get())).verify(rs256(claims()), kNow).ok());
  auto es = token("ES256", claims(), [&](const std::string& in) {
    return der_to_raw(evp_sign(ec_.get(), EVP_sha256(), in));
  });
  EXPECT_TRUE(verifier(pem(ec_.get())).verify(es, kNow).ok());
  auto ed = token("EdDSA", claims(),
                  [&](const std::string& in) { return evp_sign(ed_.get(), nullptr, in); });
  EXPECT_TRUE(verifier(pem(ed_.get())).verify(ed, kNow).ok());
  auto hs = token("HS256", claims(), [&](const std::string& in) { return hmac(kSecret, in); });
  Verdict v = verifier(*keys_from_secret(kSecret)).verify(hs, kNow);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(claim_text(v.claims, "sub"), "alice");
  // A DER signature where JOSE wants r || s does not pass.
  auto der = token("ES256", claims(),
                   [&](const std::string& in) { return evp_sign(ec_.get(), EVP_sha256(), in); });
  EXPECT_EQ(verifier(pem(ec_.get())).verify(der, kNow).failure, Failure::kSignature);
}

TEST_F(VerifierTest, AlgNoneAndAlgConfusionAreRefused) {
  Verifier rsa = verifier(pem(rsa_.get()));
  auto none = token("none", claims(), [](const std::string&) { return std::string(); });
  EXPECT_EQ(rsa.verify(none, kNow).failure, Failure::kAlgorithm);
  // HS256 with the RSA public key's PEM as the HMAC secret: the classic confusion.
  std::string pem_text = public_pem(rsa_.get());
  auto confused =
      token("HS256", claims(), [&](const std::string& in) { return hmac(pem_text, in); });
  EXPECT_EQ(rsa.verify(confused, kNow).failure, Failure::kAlgorithm);
  // Even when the rules would allow HS256, an RSA key never verifies an HMAC.
  Rules wide;
  wide.algorithms = alg_bit(Alg::kHS256) | alg_bit(Alg::kRS256);
  EXPECT_EQ(verifier(pem(rsa_.get()), wide).verify(confused, kNow).failure, Failure::kSignature);
  KeySet rsa_keys = pem(rsa_.get());
  EXPECT_FALSE(verify_signature(rsa_keys.keys[0], Alg::kHS256, "a.b", hmac(pem_text, "a.b")));
}

TEST_F(VerifierTest, WrongKeyTamperedAndTruncatedTokensFail) {
  Verifier v = verifier(pem(rsa_.get()));
  Pkey other = generate("RSA");
  EXPECT_EQ(v.verify(rs256(claims(), other.get()), kNow).failure, Failure::kSignature);
  std::string good = rs256(claims());
  std::string tampered = good;
  tampered[good.find('.') + 3] ^= 1;
  EXPECT_NE(v.verify(tampered, kNow).failure, Failure::kNone);
  EXPECT_NE(v.verify(good.substr(0, good.size() - 4), kNow).failure, Failure::kNone);
  EXPECT_EQ(v.verify(good.substr(0, good.rfind('.')), kNow).failure, Failure::kMalformed);
  EXPECT_EQ(v.verify("garbage", kNow).failure, Failure::kMalformed);
  EXPECT_EQ(v.verify("", kNow).failure, Failure::kMissing);
}

TEST_F(VerifierTest, TimesIssuerAndAudienceWithSkew) {
  Rules rules;
  rules.skew_s = 60;
  Verifier v = verifier(pem(rsa_.get()), rules);
  auto with = [&](const char* key, nlohmann::json value) {
    nlohmann::json c = claims();
    if (value.is_null())
      c.erase(key);
    else
      c[key] = value;
    return v.verify(rs256(c), kNow).failure;
  };
  EXPECT_EQ(with("exp", kNow - 30), Failure::kNone);  // within the skew
  EXPECT_EQ(with("exp", kNow - 60), Failure::kExpired);
  EXPECT_EQ(with("exp", nullptr), Failure::kNoExpiry);
  EXPECT_EQ(with("exp", "tomorrow"), Failure::kMalformed);
  EXPECT_EQ(with("nbf", kNow + 30), Failure::kNone);
  EXPECT_EQ(with("nbf", kNow + 61), Failure::kNotYetValid);
  EXPECT_EQ(with("iss", "https://other"), Failure::kIssuer);
  EXPECT_EQ(with("iss", nullptr), Failure::kIssuer);
  EXPECT_EQ(with("aud", "other"), Failure::kAudience);
  EXPECT_EQ(with("aud", nlohmann::json::array({"x", "api"})), Failure::kNone);
  EXPECT_EQ(with("aud", nullptr), Failure::kAudience);
  EXPECT_EQ(with("aud", 7), Failure::kMalformed);
}

TEST_F(VerifierTest, JwksKidSelectsTheKey) {
  auto jwk_of_secret = [](std::string kid, std::string secret) {
    return nlohmann::json{{"kty", "oct"}, {"kid", kid}, {"k", base64url_encode(secret)}};
  };
  std::string a(32, 'a'), b(32, 'b');
  nlohmann::json jwks = {{"keys", {jwk_of_secret("a", a), jwk_of_secret("b", b)}}};
  auto keys = keys_from_jwks(jwks.dump());
  ASSERT_TRUE(keys) << keys.error().detail;
  Verifier v = verifier(std::move(*keys));
  auto signed_by = [&](const std::string& secret, std::string_view kid) {
    return token("HS256", claims(), [&](const std::string& in) { return hmac(secret, in); }, kid);
  };
  EXPECT_TRUE(v.verify(signed_by(b, "b"), kNow).ok());
  EXPECT_EQ(v.verify(signed_by(b, "a"), kNow).failure, Failure::kSignature);
  EXPECT_EQ(v.verify(signed_by(b, "c"), kNow).failure, Failure::kUnknownKey);
  EXPECT_TRUE(v.verify(signed_by(a, ""), kNow).ok());  // no kid: each key of its type is tried
}

TEST(Keys, RefusesWeakMismatchedAndUnusableKeys) {
  EXPECT_FALSE(keys_from_secret("short"));
  EXPECT_TRUE(keys_from_secret(std::string(32, 'k') + "\n"));
  Pkey small(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  EXPECT_FALSE(keys_from_pem(public_pem(small.get())));
  Pkey p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EXPECT_FALSE(keys_from_pem(public_pem(p384.get())));
  EXPECT_FALSE(keys_from_pem("not a key"));
  EXPECT_FALSE(keys_from_jwks(R"({"keys":[{"kty":"oct","k":"c2hvcnQ"}]})"));
  EXPECT_FALSE(keys_from_jwks(
      R"({"keys":[{"kty":"oct","alg":"RS256","k":"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE"}]})"));
  EXPECT_FALSE(keys_from_jwks(R"({"keys":[]})"));
  EXPECT_FALSE(keys_from_jwks("[]"));
  EXPECT_EQ(alg_from_name("none"), std::nullopt);
  EXPECT_EQ(alg_from_name("HS512"), std::nullopt);
}

TEST(Decode, TakesTheTokenApart) {
  auto t = decode("eyJhbGciOiJIUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ4In0.c2ln");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->alg, "HS256");
  EXPECT_EQ(t->kid, "1");
  EXPECT_EQ(t->claims["sub"], "x");
  EXPECT_EQ(t->signature, "sig");
  EXPECT_EQ(t->signing_input, "eyJhbGciOiJIUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ4In0");
  // crit, a non-object payload, no alg, five parts (JWE)
  EXPECT_FALSE(decode(base64url_encode(R"({"alg":"HS256","crit":["b64"]})") + ".e30.c2ln"));
  EXPECT_FALSE(decode(base64url_encode(R"({"alg":"HS256"})") + "." + base64url_encode("[]") +
                      ".c2ln"));
  EXPECT_FALSE(decode(base64url_encode(R"({"typ":"JWT"})") + ".e30.c2ln"));
  EXPECT_FALSE(decode("a.b.c.d.e"));
  EXPECT_FALSE(decode(std::string(kMaxTokenBytes + 1, 'a')));
}

}  // namespace
}  // namespace x0::jwt
