// Composite ML-DSA-65 + Ed25519 (id-MLDSA65-Ed25519-SHA512) without the draft's vectors (those
// are in composite_vectors_test.cc): sizes, from_bytes, the OID constants against OpenSSL's
// encoder, each half checked on its own over an independently built M' (OpenSSL for Ed25519
// and SHA-512, MlDsa65 for the other half), and failure whenever either half, the message, the
// context or the key is wrong.
#include "pqc/composite_signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace x0::pqc {
namespace {

using Composite = CompositeSignature;
using Bytes = std::vector<uint8_t>;

constexpr size_t kPqPk = MlDsa65::kPublicKeySize;
constexpr size_t kPqSig = MlDsa65::kSignatureSize;

Bytes bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

Bytes raw(const Composite::Signature& sig) { return {sig.bytes().begin(), sig.bytes().end()}; }

Composite::Signature from_raw(const Bytes& bytes) {
  return *Composite::Signature::from_bytes(bytes);
}

// M' as the draft's "Sign" step 2 writes it: Prefix || Label || byte(|ctx|) || ctx || SHA-512(M).
Bytes m_prime(const Bytes& msg, const Bytes& ctx) {
  Bytes m = bytes_of("CompositeAlgorithmSignatures2025");
  const auto label = bytes_of("COMPSIG-MLDSA65-Ed25519-SHA512");
  m.insert(m.end(), label.begin(), label.end());
  m.push_back(static_cast<uint8_t>(ctx.size()));
  m.insert(m.end(), ctx.begin(), ctx.end());
  uint8_t hash[64];
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(msg.data(), msg.size(), hash, &len, EVP_sha512(), nullptr), 1);
  m.insert(m.end(), hash, hash + len);
  return m;
}

bool openssl_ed25519_verify(std::span<const uint8_t> pk, std::span<const uint8_t> msg,
                            std::span<const uint8_t> sig) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk.data(), pk.size()), &EVP_PKEY_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), msg.data(), msg.size()) == 1;
}

TEST(CompositeSignature, SizesAndFromBytes) {
  EXPECT_EQ(Composite::kPublicKeySize, 1952u + 32u);
  EXPECT_EQ(Composite::kSecretKeySize, 32u + 32u);
  EXPECT_EQ(Composite::kSignatureSize, 3309u + 64u);
  for (size_t size : {size_t{0}, size_t{1}, size_t{32}, size_t{63}, size_t{65}, size_t{1983},
                      size_t{1985}, size_t{3372}, size_t{3374}, size_t{4064}}) {
    const Bytes input(size, 0x5a);
    const auto pk = Composite::PublicKey::from_bytes(input);
    const auto sk = Composite::SecretKey::from_bytes(input);
    const auto sig = Composite::Signature::from_bytes(input);
    ASSERT_FALSE(pk.has_value() || sk.has_value() || sig.has_value()) << size;
    EXPECT_EQ(pk.error().code, Errc::kWrongSize);
    EXPECT_EQ(sk.error().code, Errc::kWrongSize);
    EXPECT_EQ(sig.error().code, Errc::kWrongSize);
  }
  // Any 64 bytes are a secret key (two seeds).
  EXPECT_TRUE(Composite::SecretKey::from_bytes(Bytes(64, 0)).has_value());
  EXPECT_TRUE(Composite::SecretKey::from_bytes(Bytes(64, 0xff)).has_value());
}

TEST(CompositeSignature, OidConstantsAreWhatOpenSslEncodes) {
  EXPECT_EQ(Composite::kName, "id-MLDSA65-Ed25519-SHA512");
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> obj(
      OBJ_txt2obj(std::string(Composite::kOid).c_str(), 1), &ASN1_OBJECT_free);
  ASSERT_TRUE(obj);
  uint8_t* der = nullptr;
  const int len = i2d_ASN1_OBJECT(obj.get(), &der);
  ASSERT_GT(len, 0);
  const Bytes encoded(der, der + len);
  OPENSSL_free(der);
  EXPECT_EQ(encoded, Bytes(Composite::kOidDer.begin(), Composite::kOidDer.end()));
  // AlgorithmIdentifier ::= SEQUENCE { algorithm, parameters absent }.
  Bytes algorithm_identifier = {0x30, static_cast<uint8_t>(encoded.size())};
  algorithm_identifier.insert(algorithm_identifier.end(), encoded.begin(), encoded.end());
  EXPECT_EQ(algorithm_identifier, Bytes(Composite::kAlgorithmIdentifierDer.begin(),
                                        Composite::kAlgorithmIdentifierDer.end()));
}

TEST(CompositeSignature, RoundTripAndEachHalfFollowsTheDraftsMPrime) {
  const auto kp = Composite::generate();
  ASSERT_TRUE(kp.has_value());
  const auto msg = bytes_of("node 3 says hello");
  const auto ctx = bytes_of("mesh-handshake");
  const auto sig = Composite::sign(kp->secret_key, msg, ctx);
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(Composite::verify(kp->public_key, msg, *sig, ctx));

  // ML-DSA part first in the public key and the signature.
  const auto pk = kp->public_key.bytes();
  const auto s = sig->bytes();
  const auto mp = m_prime(msg, ctx);
  EXPECT_TRUE(openssl_ed25519_verify(pk.subspan(kPqPk), mp, s.subspan(kPqSig)));
  EXPECT_FALSE(openssl_ed25519_verify(pk.subspan(kPqPk), msg, s.subspan(kPqSig)));
  const auto pq_pk = MlDsa65::PublicKey::from_bytes(pk.first(kPqPk));
  const auto pq_sig = MlDsa65::Signature::from_bytes(s.first(kPqSig));
  ASSERT_TRUE(pq_pk && pq_sig);
  const auto label = bytes_of(Composite::kLabel);
  EXPECT_TRUE(MlDsa65::verify(*pq_pk, mp, *pq_sig, label));
  // Stripped out of the composite, the ML-DSA half is no plain ML-DSA signature of M' or M.
  EXPECT_FALSE(MlDsa65::verify(*pq_pk, mp, *pq_sig));
  EXPECT_FALSE(MlDsa65::verify(*pq_pk, msg, *pq_sig, ctx));

  // The secret key is the two seeds, and its ML-DSA seed expands to the public key's half.
  const auto sk_bytes = kp->secret_key.bytes();
  const auto expanded = MlDsa65::keygen_internal(sk_bytes.first<32>());
  EXPECT_EQ(expanded.public_key, *pq_pk);
  EXPECT_EQ(kp->secret_key.public_key(), kp->public_key);

  // Keys survive serialization.
  const auto sk2 = Composite::SecretKey::from_bytes(sk_bytes);
  ASSERT_TRUE(sk2.has_value());
  EXPECT_EQ(sk2->public_key(), kp->public_key);
  const auto sig2 = Composite::sign(*sk2, msg, ctx);
  ASSERT_TRUE(sig2.has_value());
  EXPECT_TRUE(Composite::verify(*Composite::PublicKey::from_bytes(pk), msg, *sig2, ctx));
  EXPECT_NE(*sig2, *sig);  // hedged ML-DSA half
}

TEST(CompositeSignature, FailsWhenEitherHalfIsTampered) {
  const auto kp = *Composite::generate();
  const auto msg = bytes_of("payload");
  const auto sig = *Composite::sign(kp.secret_key, msg);
  ASSERT_TRUE(Composite::verify(kp.public_key, msg, sig));
  for (size_t index :
       {size_t{0}, size_t{1000}, kPqSig - 1, kPqSig, kPqSig + 40, Composite::kSignatureSize - 1}) {
    auto bad = raw(sig);
    bad[index] ^= 0x04;
    EXPECT_FALSE(Composite::verify(kp.public_key, msg, from_raw(bad))) << "byte " << index;
  }
  // Mix and match: the ML-DSA half of one valid signature with the Ed25519 half of another
  // signature on a different message, both ways.
  const auto other_msg = bytes_of("other payload");
  const auto other = *Composite::sign(kp.secret_key, other_msg);
  auto mixed = raw(sig);
  std::copy(other.bytes().begin() + kPqSig, other.bytes().end(), mixed.begin() + kPqSig);
  EXPECT_FALSE(Composite::verify(kp.public_key, msg, from_raw(mixed)));
  mixed = raw(other);
  std::copy(sig.bytes().begin() + kPqSig, sig.bytes().end(), mixed.begin() + kPqSig);
  EXPECT_FALSE(Composite::verify(kp.public_key, other_msg, from_raw(mixed)));
}

TEST(CompositeSignature, FailsForWrongMessageContextOrKey) {
  const auto kp = *Composite::generate();
  const auto msg = bytes_of("payload");
  const auto ctx = bytes_of("ctx-a");
  const auto sig = *Composite::sign(kp.secret_key, msg, ctx);
  EXPECT_FALSE(Composite::verify(kp.public_key, bytes_of("payloaD"), sig, ctx));
  EXPECT_FALSE(Composite::verify(kp.public_key, msg, sig, bytes_of("ctx-b")));
  EXPECT_FALSE(Composite::verify(kp.public_key, msg, sig));
  EXPECT_FALSE(Composite::verify(Composite::generate()->public_key, msg, sig, ctx));
  // A key with either half replaced by a stranger's (the other half still matches) fails.
  const auto stranger = *Composite::generate();
  Bytes pk(kp.public_key.bytes().begin(), kp.public_key.bytes().end());
  std::copy_n(stranger.public_key.bytes().begin(), kPqPk, pk.begin());
  EXPECT_FALSE(Composite::verify(*Composite::PublicKey::from_bytes(pk), msg, sig, ctx));
  pk.assign(kp.public_key.bytes().begin(), kp.public_key.bytes().end());
  std::copy(stranger.public_key.bytes().begin() + kPqPk, stranger.public_key.bytes().end(),
            pk.begin() + kPqPk);
  EXPECT_FALSE(Composite::verify(*Composite::PublicKey::from_bytes(pk), msg, sig, ctx));
}

TEST(CompositeSignature, ContextUpTo255Bytes) {
  const auto kp = *Composite::generate();
  const auto msg = bytes_of("payload");
  const Bytes max_ctx(255, 7);
  const auto sig = Composite::sign(kp.secret_key, msg, max_ctx);
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(Composite::verify(kp.public_key, msg, *sig, max_ctx));
  const Bytes long_ctx(256, 7);
  const auto refused = Composite::sign(kp.secret_key, msg, long_ctx);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Errc::kContextTooLong);
  EXPECT_FALSE(Composite::verify(kp.public_key, msg, *sig, long_ctx));
}

TEST(CompositeSignature, PlainMlDsaSignatureCannotBeWrappedAsComposite) {
  // Wrapping: an ML-DSA-65 signature made outside the composite framing (over M, or over M'
  // without the Label as context), paired with a valid Ed25519 half, must not verify.
  const auto kp = *Composite::generate();
  const auto msg = bytes_of("payload");
  const auto sig = *Composite::sign(kp.secret_key, msg);
  const auto pq = MlDsa65::keygen_internal(kp.secret_key.bytes().first<32>());
  for (const auto& signed_bytes : {msg, m_prime(msg, {})}) {
    const auto plain = MlDsa65::sign(pq.secret_key, signed_bytes);
    ASSERT_TRUE(plain.has_value());
    auto wrapped = raw(sig);
    std::ranges::copy(plain->bytes(), wrapped.begin());
    EXPECT_FALSE(Composite::verify(kp.public_key, msg, from_raw(wrapped)));
  }
}

}  // namespace
}  // namespace x0::pqc
