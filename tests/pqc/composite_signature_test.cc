// Composite Ed25519 + ML-DSA-65 signature: round trip, size checks, the documented framing
// (each half checked on its own with OpenSSL / MlDsa65), and failure whenever either half,
// the message, the context or the key is wrong.
#include "pqc/composite_signature.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>
#include <vector>

namespace x0::pqc {
namespace {

using Composite = CompositeSignature;

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

std::vector<uint8_t> raw(const Composite::Signature& sig) {
  return {sig.bytes().begin(), sig.bytes().end()};
}

Composite::Signature from_raw(const std::vector<uint8_t>& bytes) {
  return *Composite::Signature::from_bytes(bytes);
}

// M' exactly as docs/PQC.md states it: label || byte(|ctx|) || ctx || M.
std::vector<uint8_t> framed(const std::vector<uint8_t>& msg, const std::vector<uint8_t>& ctx) {
  std::vector<uint8_t> m(Composite::kLabel.begin(), Composite::kLabel.end());
  m.push_back(static_cast<uint8_t>(ctx.size()));
  m.insert(m.end(), ctx.begin(), ctx.end());
  m.insert(m.end(), msg.begin(), msg.end());
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
  EXPECT_EQ(Composite::kPublicKeySize, 32u + 1952u);
  EXPECT_EQ(Composite::kSecretKeySize, 32u + 4032u);
  EXPECT_EQ(Composite::kSignatureSize, 64u + 3309u);
  for (size_t delta : {size_t{1}, size_t{100}}) {
    EXPECT_FALSE(
        Composite::PublicKey::from_bytes(std::vector<uint8_t>(Composite::kPublicKeySize - delta)));
    EXPECT_FALSE(
        Composite::SecretKey::from_bytes(std::vector<uint8_t>(Composite::kSecretKeySize + delta)));
    auto sig =
        Composite::Signature::from_bytes(std::vector<uint8_t>(Composite::kSignatureSize - delta));
    ASSERT_FALSE(sig.has_value());
    EXPECT_EQ(sig.error().code, "wrong_size");
  }
}

TEST(CompositeSignature, RoundTripAndEachHalfFollowsTheDocumentedFraming) {
  const auto kp = Composite::generate();
  ASSERT_TRUE(kp.has_value());
  const auto msg = bytes_of("node 3 says hello");
  const auto ctx = bytes_of("mesh-handshake");
  const auto sig = Composite::sign(kp->secret_key, msg, ctx);
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(Composite::verify(kp->public_key, msg, *sig, ctx));

  const auto pk = kp->public_key.bytes();
  const auto s = sig->bytes();
  const auto m_prime = framed(msg, ctx);
  EXPECT_TRUE(openssl_ed25519_verify(pk.first(32), m_prime, s.first(64)));
  EXPECT_FALSE(openssl_ed25519_verify(pk.first(32), msg, s.first(64)));
  const auto pq_pk = MlDsa65::PublicKey::from_bytes(pk.subspan(32));
  const auto pq_sig = MlDsa65::Signature::from_bytes(s.subspan(64));
  ASSERT_TRUE(pq_pk && pq_sig);
  const std::vector<uint8_t> label(Composite::kLabel.begin(), Composite::kLabel.end());
  EXPECT_TRUE(MlDsa65::verify(*pq_pk, m_prime, *pq_sig, label));
  EXPECT_FALSE(MlDsa65::verify(*pq_pk, msg, *pq_sig, ctx));

  // Keys survive serialization.
  const auto sk2 = Composite::SecretKey::from_bytes(kp->secret_key.bytes());
  ASSERT_TRUE(sk2.has_value());
  const auto sig2 = Composite::sign(*sk2, msg, ctx);
  ASSERT_TRUE(sig2.has_value());
  EXPECT_TRUE(Composite::verify(*Composite::PublicKey::from_bytes(pk), msg, *sig2, ctx));
}

TEST(CompositeSignature, FailsWhenEitherHalfIsTampered) {
  const auto kp = *Composite::generate();
  const auto msg = bytes_of("payload");
  const auto sig = *Composite::sign(kp.secret_key, msg);
  ASSERT_TRUE(Composite::verify(kp.public_key, msg, sig));
  for (size_t index :
       {size_t{0}, size_t{63}, size_t{64}, size_t{1000}, Composite::kSignatureSize - 1}) {
    auto bad = raw(sig);
    bad[index] ^= 0x04;
    EXPECT_FALSE(Composite::verify(kp.public_key, msg, from_raw(bad))) << "byte " << index;
  }
  // Mix and match: the Ed25519 half of one valid signature with the ML-DSA half of another
  // signature on a different message.
  const auto other = *Composite::sign(kp.secret_key, bytes_of("other payload"));
  auto mixed = raw(sig);
  std::copy(other.bytes().begin() + 64, other.bytes().end(), mixed.begin() + 64);
  EXPECT_FALSE(Composite::verify(kp.public_key, msg, from_raw(mixed)));
  mixed = raw(other);
  std::copy(sig.bytes().begin() + 64, sig.bytes().end(), mixed.begin() + 64);
  EXPECT_FALSE(Composite::verify(kp.public_key, bytes_of("other payload"), from_raw(mixed)));
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
  // A key whose Ed25519 half is replaced (the ML-DSA half still matches) must fail, and vice
  // versa.
  const auto stranger = *Composite::generate();
  std::vector<uint8_t> pk(kp.public_key.bytes().begin(), kp.public_key.bytes().end());
  std::copy_n(stranger.public_key.bytes().begin(), 32, pk.begin());
  EXPECT_FALSE(Composite::verify(*Composite::PublicKey::from_bytes(pk), msg, sig, ctx));
  pk.assign(kp.public_key.bytes().begin(), kp.public_key.bytes().end());
  std::copy(stranger.public_key.bytes().begin() + 32, stranger.public_key.bytes().end(),
            pk.begin() + 32);
  EXPECT_FALSE(Composite::verify(*Composite::PublicKey::from_bytes(pk), msg, sig, ctx));
  // Contexts over 255 bytes are refused.
  const std::vector<uint8_t> long_ctx(256, 1);
  EXPECT_FALSE(Composite::sign(kp.secret_key, msg, long_ctx).has_value());
  EXPECT_FALSE(Composite::verify(kp.public_key, msg, sig, long_ctx));
}

TEST(CompositeSignature, PlainMlDsaSignatureCannotBeWrappedAsComposite) {
  // Stripping/wrapping: an ML-DSA-65 signature made outside the composite framing, paired with a
  // valid Ed25519 half, must not verify.
  const auto kp = *Composite::generate();
  const auto msg = bytes_of("payload");
  const auto sig = *Composite::sign(kp.secret_key, msg);
  const auto pq_sk = MlDsa65::SecretKey::from_bytes(kp.secret_key.bytes().subspan(32));
  const auto plain = MlDsa65::sign(*pq_sk, msg);
  ASSERT_TRUE(plain.has_value());
  auto wrapped = raw(sig);
  std::copy(plain->bytes().begin(), plain->bytes().end(), wrapped.begin() + 64);
  EXPECT_FALSE(Composite::verify(kp.public_key, msg, from_raw(wrapped)));
}

}  // namespace
}  // namespace x0::pqc
