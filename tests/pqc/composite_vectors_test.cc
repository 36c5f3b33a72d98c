// The test vectors of draft-ietf-lamps-pq-composite-sigs (appendix "Test Vectors"), read from
// ../shared/testdata/composite (see its README; never copied into the repo): for
// id-MLDSA65-Ed25519-SHA512, verify s and sWithContext with pk and with the key in the x5c
// certificate, verify x5c's own self-signature, expand sk to pk and sign with it; plain
// id-ML-DSA-65 as a check of ML-DSA alone. OpenSSL 3.0 parses the certificate but does not know
// the composite algorithm, so the signature check is ours.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pqc/composite_signature.h"
#include "pqc/ml_dsa.h"

namespace x0::pqc {
namespace {

using Composite = CompositeSignature;
using Bytes = std::vector<uint8_t>;

std::string vectors_dir() { return std::string(X0_SHARED_DIR) + "/testdata/composite"; }

#define X0_SKIP_WITHOUT_COMPOSITE_TESTDATA()                            \
  do {                                                                  \
    if (!std::filesystem::is_directory(vectors_dir()))                  \
      GTEST_SKIP() << "no composite test vectors at " << vectors_dir(); \
  } while (0)

// RFC 4648 base64 through OpenSSL; EVP_DecodeBlock counts '=' padding as zero bytes.
Bytes from_base64(const std::string& text) {
  Bytes out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const uint8_t*>(text.data()),
                                static_cast<int>(text.size()));
  EXPECT_GE(n, 0) << "bad base64";
  if (n < 0) return {};
  auto len = static_cast<size_t>(n);
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) --len;
  out.resize(len);
  return out;
}

struct Vectors {
  Bytes m, ctx;
  nlohmann::json tests;
};

const Vectors& vectors() {
  static const Vectors v = [] {
    Vectors out;
    std::ifstream in(vectors_dir() + "/testvectors.json");
    if (!in) {
      ADD_FAILURE() << "cannot open " << vectors_dir() << "/testvectors.json";
      return out;
    }
    const auto doc = nlohmann::json::parse(in);
    out.m = from_base64(doc["m"]);
    out.ctx = from_base64(doc["ctx"]);
    out.tests = doc["tests"];
    return out;
  }();
  return v;
}

// The named case's field, base64-decoded; a missing case or field is a failure (empty result).
Bytes field(const std::string& tc_id, const std::string& name) {
  for (const auto& test : vectors().tests) {
    if (test["tcId"] == tc_id && test.contains(name)) return from_base64(test[name]);
  }
  ADD_FAILURE() << "no " << name << " in case " << tc_id;
  return {};
}

Bytes composite(const std::string& name) { return field(std::string(Composite::kName), name); }

Composite::PublicKey public_key(const Bytes& bytes) {
  auto pk = Composite::PublicKey::from_bytes(bytes);
  EXPECT_TRUE(pk.has_value()) << pk.error().detail;
  return pk ? *pk : *Composite::PublicKey::from_bytes(Bytes(Composite::kPublicKeySize));
}

Composite::Signature signature(const Bytes& bytes) {
  auto sig = Composite::Signature::from_bytes(bytes);
  EXPECT_TRUE(sig.has_value()) << sig.error().detail;
  return sig ? *sig : *Composite::Signature::from_bytes(Bytes(Composite::kSignatureSize));
}

TEST(CompositeVectors, MessageAndContextAreTheDraftsStrings) {
  X0_SKIP_WITHOUT_COMPOSITE_TESTDATA();
  const std::string m(vectors().m.begin(), vectors().m.end());
  const std::string ctx(vectors().ctx.begin(), vectors().ctx.end());
  EXPECT_EQ(m, "The quick brown fox jumps over the lazy dog.");
  EXPECT_EQ(ctx, "The lethargic, colorless dog sat beneath the energetic, stationary fox.");
}

TEST(CompositeVectors, VerifiesSAndSWithContextWithPk) {
  X0_SKIP_WITHOUT_COMPOSITE_TESTDATA();
  const auto& v = vectors();
  const auto pk = public_key(composite("pk"));
  const auto s = signature(composite("s"));
  const auto s_ctx = signature(composite("sWithContext"));
  EXPECT_TRUE(Composite::verify(pk, v.m, s));
  EXPECT_TRUE(Composite::verify(pk, v.m, s_ctx, v.ctx));
  // Each signature is bound to its own context.
  EXPECT_FALSE(Composite::verify(pk, v.m, s, v.ctx));
  EXPECT_FALSE(Composite::verify(pk, v.m, s_ctx));
  EXPECT_FALSE(Composite::verify(pk, v.m, s_ctx, Bytes(v.ctx.begin(), v.ctx.end() - 1)));
  Bytes other_message = v.m;
  other_message.back() ^= 1;
  EXPECT_FALSE(Composite::verify(pk, other_message, s));
}

TEST(CompositeVectors, AFlippedBitInEitherHalfFails) {
  X0_SKIP_WITHOUT_COMPOSITE_TESTDATA();
  const auto& v = vectors();
  const auto pk = public_key(composite("pk"));
  const auto s = composite("s");
  ASSERT_EQ(s.size(), Composite::kSignatureSize);
  // ML-DSA half: c~, z, the hint area; Ed25519 half: R and S.
  for (size_t index : {size_t{0}, size_t{100}, size_t{2000}, MlDsa65::kSignatureSize - 1,
                       MlDsa65::kSignatureSize, MlDsa65::kSignatureSize + 31,
                       MlDsa65::kSignatureSize + 32, Composite::kSignatureSize - 1}) {
    for (uint8_t bit : {uint8_t{0x01}, uint8_t{0x80}}) {
      auto bad = s;
      bad[index] ^= bit;
      EXPECT_FALSE(Composite::verify(pk, v.m, signature(bad))) << "byte " << index;
    }
  }
}

TEST(CompositeVectors, EitherHalfOfThePublicKeySwappedFails) {
  X0_SKIP_WITHOUT_COMPOSITE_TESTDATA();
  const auto& v = vectors();
  const auto pk = composite("pk");
  const auto s = signature(composite("s"));
  ASSERT_EQ(pk.size(), Composite::kPublicKeySize);
  const auto stranger = Composite::generate();
  ASSERT_TRUE(stranger.has_value());
  const auto other = stranger->public_key.bytes();
  auto swapped = pk;
  std::copy_n(other.begin(), MlDsa65::kPublicKeySize, swapped.begin());
  EXPECT_FALSE(Composite::verify(public_key(swapped), v.m, s)) << "ML-DSA half swapped";
  swapped = pk;
  std::copy(other.begin() + MlDsa65::kPublicKeySize, other.end(),
            swapped.begin() + MlDsa65::kPublicKeySize);
  EXPECT_FALSE(Composite::verify(public_key(swapped), v.m, s)) << "Ed25519 half swapped";
  // The plain id-ML-DSA-65 vector key is another ML-DSA-65 key of the right size.
  const auto plain_pk = field("id-ML-DSA-65", "pk");
  ASSERT_EQ(plain_pk.size(), MlDsa65::kPublicKeySize);
  swapped = pk;
  std::ranges::copy(plain_pk, swapped.begin());
  EXPECT_FALSE(Composite::verify(public_key(swapped), v.m, s));
}

TEST(CompositeVectors, SkExpandsToPkAndSignsWhatPkVerifies) {
  X0_SKIP_WITHOUT_COMPOSITE_TESTDATA();
  const auto& v = vectors();
  const auto sk_bytes = composite("sk");
  ASSERT_EQ(sk_bytes.size(), Composite::kSecretKeySize);
  const auto sk = Composite::SecretKey::from_bytes(sk_bytes);
  ASSERT_TRUE(sk.has_value()) << sk.error().detail;
  EXPECT_EQ(Bytes(sk->bytes().begin(), sk->bytes().end()), sk_bytes);
  const auto pk = public_key(composite("pk"));
  EXPECT_EQ(sk->public_key(), pk);

  const auto s = Composite::sign(*sk, v.m);
  const auto s_ctx = Composite::sign(*sk, v.m, v.ctx);
  ASSERT_TRUE(s.has_value() && s_ctx.has_value());
  EXPECT_TRUE(Composite::verify(pk, v.m, *s));
  EXPECT_TRUE(Composite::verify(pk, v.m, *s_ctx, v.ctx));
  EXPECT_FALSE(Composite::verify(pk, v.m, *s_ctx));
  // Hedged ML-DSA: two signatures of the same message differ. The Ed25519 half is
  // deterministic (RFC 8032) over the same M', so it equals the vector's byte for byte.
  EXPECT_NE(*Composite::sign(*sk, v.m), *s);
  const auto vector_s = composite("s");
  EXPECT_EQ(Bytes(s->bytes().begin() + MlDsa65::kSignatureSize, s->bytes().end()),
            Bytes(vector_s.begin() + MlDsa65::kSignatureSize, vector_s.end()));
}

// The certificate pieces the PKI will need: what OpenSSL 3.0 can parse without knowing the
// algorithm.
struct Certificate {
  std::string tbs_sig_alg_oid, outer_sig_alg_oid, key_alg_oid;
  Bytes tbs_sig_alg_der, public_key, tbs, signature;
  bool key_params_absent = false;
};

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  return n > 0 && static_cast<size_t>(n) < sizeof(buf) ? std::string(buf, static_cast<size_t>(n))
                                                       : std::string();
}

std::optional<Certificate> parse_certificate(const Bytes& der) {
  const uint8_t* p = der.data();
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      d2i_X509(nullptr, &p, static_cast<long>(der.size())), &X509_free);
  if (!cert || p != der.data() + der.size()) return std::nullopt;
  Certificate out;

  const X509_ALGOR* tbs_alg = X509_get0_tbs_sigalg(cert.get());
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, tbs_alg);
  out.tbs_sig_alg_oid = oid_text(obj);
  uint8_t* alg_der = nullptr;
  const int alg_len = i2d_X509_ALGOR(tbs_alg, &alg_der);
  if (alg_len <= 0) return std::nullopt;
  out.tbs_sig_alg_der.assign(alg_der, alg_der + alg_len);
  OPENSSL_free(alg_der);

  const ASN1_BIT_STRING* sig = nullptr;
  const X509_ALGOR* outer_alg = nullptr;
  X509_get0_signature(&sig, &outer_alg, cert.get());
  X509_ALGOR_get0(&obj, nullptr, nullptr, outer_alg);
  out.outer_sig_alg_oid = oid_text(obj);
  out.signature.assign(sig->data, sig->data + sig->length);

  const uint8_t* key = nullptr;
  int key_len = 0;
  X509_ALGOR* key_alg = nullptr;
  ASN1_OBJECT* key_obj = nullptr;
  if (X509_PUBKEY_get0_param(&key_obj, &key, &key_len, &key_alg,
                             X509_get_X509_PUBKEY(cert.get())) != 1) {
    return std::nullopt;
  }
  out.key_alg_oid = oid_text(key_obj);
  int param_type = 0;
  X509_ALGOR_get0(nullptr, &param_type, nullptr, key_alg);
  out.key_params_absent = param_type == V_ASN1_UNDEF;
  out.public_key.assign(key, key + key_len);

  uint8_t* tbs = nullptr;
  const int tbs_len = i2d_re_X509_tbs(cert.get(), &tbs);
  if (tbs_len <= 0) return std::nullopt;
  out.tbs.assign(tbs, tbs + tbs_len);
  OPENSSL_free(tbs);
  return out;
}

TEST(CompositeVectors, X5cCarriesPkAndVerifiesItsOwnSignature) {
  X0_SKIP_WITHOUT_COMPOSITE_TESTDATA();
  const auto& v = vectors();
  const auto cert = parse_certificate(composite("x5c"));
  ASSERT_TRUE(cert.has_value()) << "OpenSSL could not parse x5c";
  EXPECT_EQ(cert->tbs_sig_alg_oid, Composite::kOid);
  EXPECT_EQ(cert->outer_sig_alg_oid, Composite::kOid);
  EXPECT_EQ(cert->key_alg_oid, Composite::kOid);
  EXPECT_TRUE(cert->key_params_absent);
  EXPECT_EQ(cert->tbs_sig_alg_der, Bytes(Composite::kAlgorithmIdentifierDer.begin(),
                                         Composite::kAlgorithmIdentifierDer.end()));
  EXPECT_EQ(cert->public_key, composite("pk"));

  const auto pk = public_key(cert->public_key);
  EXPECT_TRUE(Composite::verify(pk, v.m, signature(composite("s"))));
  EXPECT_TRUE(Composite::verify(pk, v.m, signature(composite("sWithContext")), v.ctx));

  // Self-signed: the signature value is the composite over the DER TBSCertificate, empty ctx.
  ASSERT_EQ(cert->signature.size(), Composite::kSignatureSize);
  const auto cert_sig = signature(cert->signature);
  EXPECT_TRUE(Composite::verify(pk, cert->tbs, cert_sig));
  auto tampered = cert->tbs;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(Composite::verify(pk, tampered, cert_sig));
  EXPECT_FALSE(Composite::verify(pk, cert->tbs, cert_sig, v.ctx));
}

TEST(CompositeVectors, PlainMlDsa65CaseChecksMlDsaAlone) {
  X0_SKIP_WITHOUT_COMPOSITE_TESTDATA();
  const auto& v = vectors();
  const auto seed = field("id-ML-DSA-65", "sk");
  ASSERT_EQ(seed.size(), MlDsa65::kSeedSize);
  const auto kp = MlDsa65::keygen_internal(std::span<const uint8_t, 32>(seed.data(), 32));
  const auto pk_bytes = field("id-ML-DSA-65", "pk");
  EXPECT_EQ(Bytes(kp.public_key.bytes().begin(), kp.public_key.bytes().end()), pk_bytes);
  const auto pk = MlDsa65::PublicKey::from_bytes(pk_bytes);
  const auto s = MlDsa65::Signature::from_bytes(field("id-ML-DSA-65", "s"));
  const auto s_ctx = MlDsa65::Signature::from_bytes(field("id-ML-DSA-65", "sWithContext"));
  ASSERT_TRUE(pk && s && s_ctx);
  EXPECT_TRUE(MlDsa65::verify(*pk, v.m, *s));
  EXPECT_TRUE(MlDsa65::verify(*pk, v.m, *s_ctx, v.ctx));
  EXPECT_FALSE(MlDsa65::verify(*pk, v.m, *s, v.ctx));
  // The certificate of the plain case is signed with ML-DSA-65 itself (FIPS 204 OID).
  const auto cert = parse_certificate(field("id-ML-DSA-65", "x5c"));
  ASSERT_TRUE(cert.has_value());
  EXPECT_EQ(cert->tbs_sig_alg_oid, "2.16.840.1.101.3.4.3.18");
  EXPECT_EQ(cert->public_key, pk_bytes);
  const auto cert_sig = MlDsa65::Signature::from_bytes(cert->signature);
  ASSERT_TRUE(cert_sig.has_value());
  EXPECT_TRUE(MlDsa65::verify(*pk, cert->tbs, *cert_sig));
}

}  // namespace
}  // namespace x0::pqc
