// ML-DSA behaviour beyond the ACVP vectors, for all three parameter sets: round trips, size
// checks in from_bytes, the deterministic/hedged/internal interfaces agreeing with each other,
// and rejection of tampered signatures, messages, contexts, keys and malformed hint encodings.
#include "pqc/ml_dsa.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace x0::pqc {
namespace {

template <class T>
class MlDsaTest : public ::testing::Test {};
using ParameterSets = ::testing::Types<MlDsa44, MlDsa65, MlDsa87>;
TYPED_TEST_SUITE(MlDsaTest, ParameterSets);

std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }

template <class Dsa>
typename Dsa::Signature flipped(const typename Dsa::Signature& sig, size_t index, uint8_t mask) {
  std::vector<uint8_t> raw(sig.bytes().begin(), sig.bytes().end());
  raw.at(index) ^= mask;
  return *Dsa::Signature::from_bytes(raw);
}

TYPED_TEST(MlDsaTest, FromBytesRejectsWrongSizes) {
  using Dsa = TypeParam;
  for (size_t size : {size_t{0}, Dsa::kPublicKeySize - 1, Dsa::kPublicKeySize + 1}) {
    auto pk = Dsa::PublicKey::from_bytes(std::vector<uint8_t>(size));
    ASSERT_FALSE(pk.has_value());
    EXPECT_EQ(pk.error().code, Errc::kWrongSize);
  }
  for (size_t size : {size_t{0}, Dsa::kSecretKeySize - 1, Dsa::kSecretKeySize + 1}) {
    EXPECT_FALSE(Dsa::SecretKey::from_bytes(std::vector<uint8_t>(size)).has_value());
  }
  for (size_t size : {size_t{0}, Dsa::kSignatureSize - 1, Dsa::kSignatureSize + 1}) {
    EXPECT_FALSE(Dsa::Signature::from_bytes(std::vector<uint8_t>(size)).has_value());
  }
  EXPECT_TRUE(Dsa::PublicKey::from_bytes(std::vector<uint8_t>(Dsa::kPublicKeySize)).has_value());
  // All-zero s1/s2 fields decode to eta: in range.
  EXPECT_TRUE(Dsa::SecretKey::from_bytes(std::vector<uint8_t>(Dsa::kSecretKeySize)).has_value());
  EXPECT_TRUE(Dsa::Signature::from_bytes(std::vector<uint8_t>(Dsa::kSignatureSize)).has_value());
}

TYPED_TEST(MlDsaTest, SecretKeyWithOutOfRangeSecretCoefficientsIsRejected) {
  using Dsa = TypeParam;
  const auto kp = Dsa::generate();
  std::vector<uint8_t> raw(kp.secret_key.bytes().begin(), kp.secret_key.bytes().end());
  ASSERT_TRUE(Dsa::SecretKey::from_bytes(raw).has_value());
  // First s1 coefficient (bits 0.. of byte 128) set to all ones: 7 (eta 2) or 15 (eta 4) > 2 eta.
  auto bad = raw;
  bad[128] |= Dsa::kEtaBits == 3 ? 0x07 : 0x0F;
  auto parsed = Dsa::SecretKey::from_bytes(bad);
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, Errc::kInvalidKey);
  // Last s2 coefficient: the top bits of the byte before t0.
  const size_t t0_start = 128 + 32 * Dsa::kEtaBits * (Dsa::kK + Dsa::kL);
  bad = raw;
  bad[t0_start - 1] |= 0xF0;
  EXPECT_FALSE(Dsa::SecretKey::from_bytes(bad).has_value());
  // t0 fields take every 13-bit value: changing them keeps the key parseable.
  bad = raw;
  bad[t0_start + 5] ^= 0xFF;
  EXPECT_TRUE(Dsa::SecretKey::from_bytes(bad).has_value());
}

TYPED_TEST(MlDsaTest, SignVerifyRoundTripAndKeyBytesRoundTrip) {
  using Dsa = TypeParam;
  const auto kp = Dsa::generate();
  const auto msg = bytes_of("mesh handshake transcript");
  const auto ctx = bytes_of("x0tta6bl4 test");
  const auto sig = Dsa::sign(kp.secret_key, msg, ctx);
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(Dsa::verify(kp.public_key, msg, *sig, ctx));

  // Keys survive serialization.
  const auto pk2 = Dsa::PublicKey::from_bytes(kp.public_key.bytes());
  const auto sk2 = Dsa::SecretKey::from_bytes(kp.secret_key.bytes());
  ASSERT_TRUE(pk2 && sk2);
  EXPECT_TRUE(*pk2 == kp.public_key);
  const auto sig2 = Dsa::sign(*sk2, msg, ctx);
  ASSERT_TRUE(sig2.has_value());
  EXPECT_TRUE(Dsa::verify(*pk2, msg, *sig2, ctx));
  // Empty message and empty context work too.
  const auto empty = Dsa::sign(kp.secret_key, {}, {});
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(Dsa::verify(kp.public_key, {}, *empty));
}

TYPED_TEST(MlDsaTest, KeyGenIsDeterministicInTheSeedAndFreshOtherwise) {
  using Dsa = TypeParam;
  std::array<uint8_t, 32> xi{};
  xi[0] = 7;
  const auto a = Dsa::keygen_internal(xi);
  const auto b = Dsa::keygen_internal(xi);
  EXPECT_TRUE(a.public_key == b.public_key);
  xi[31] = 1;
  EXPECT_FALSE(Dsa::keygen_internal(xi).public_key == a.public_key);
  EXPECT_FALSE(Dsa::generate().public_key == Dsa::generate().public_key);
}

TYPED_TEST(MlDsaTest, DeterministicHedgedAndInternalInterfacesAgree) {
  using Dsa = TypeParam;
  const auto kp = Dsa::generate();
  const auto msg = bytes_of("abc");
  const auto ctx = bytes_of("ctx");
  const auto d1 = Dsa::sign_deterministic(kp.secret_key, msg, ctx);
  const auto d2 = Dsa::sign_deterministic(kp.secret_key, msg, ctx);
  ASSERT_TRUE(d1 && d2);
  EXPECT_TRUE(*d1 == *d2);
  const std::array<uint8_t, 32> zero{};
  EXPECT_TRUE(*Dsa::sign_with_randomness(kp.secret_key, msg, ctx, zero) == *d1);
  // Hedged signatures differ from each other (fresh rnd) but all verify.
  const auto h1 = Dsa::sign(kp.secret_key, msg, ctx);
  const auto h2 = Dsa::sign(kp.secret_key, msg, ctx);
  ASSERT_TRUE(h1 && h2);
  EXPECT_FALSE(*h1 == *h2);
  EXPECT_TRUE(Dsa::verify(kp.public_key, msg, *h1, ctx));
  // External pure = internal over M' = 0x00 || |ctx| || ctx || M.
  std::vector<uint8_t> m_prime{0x00, static_cast<uint8_t>(ctx.size())};
  m_prime.insert(m_prime.end(), ctx.begin(), ctx.end());
  m_prime.insert(m_prime.end(), msg.begin(), msg.end());
  const auto internal = Dsa::sign_internal(kp.secret_key, m_prime, zero);
  ASSERT_TRUE(internal.has_value());
  EXPECT_TRUE(*internal == *d1);
  EXPECT_TRUE(Dsa::verify_internal(kp.public_key, m_prime, *d1));
  EXPECT_FALSE(Dsa::verify_internal(kp.public_key, msg, *d1));  // framing matters
}

TYPED_TEST(MlDsaTest, TamperedSignatureMessageContextAndKeyFail) {
  using Dsa = TypeParam;
  const auto kp = Dsa::generate();
  const auto msg = bytes_of("transfer 10 units to node 7");
  const auto ctx = bytes_of("mesh");
  const auto sig = *Dsa::sign(kp.secret_key, msg, ctx);
  ASSERT_TRUE(Dsa::verify(kp.public_key, msg, sig, ctx));

  // Every region of the signature: c~, each z polynomial, the hint area.
  const size_t hint_start = Dsa::kSignatureSize - Dsa::kOmega - Dsa::kK;
  for (size_t index : {size_t{0}, size_t{5}, Dsa::kSignatureSize / 3, Dsa::kSignatureSize / 2,
                       hint_start - 1, Dsa::kSignatureSize - 1}) {
    EXPECT_FALSE(Dsa::verify(kp.public_key, msg, flipped<Dsa>(sig, index, 0x01), ctx))
        << "byte " << index;
  }
  auto other_msg = msg;
  other_msg.back() ^= 1;
  EXPECT_FALSE(Dsa::verify(kp.public_key, other_msg, sig, ctx));
  EXPECT_FALSE(Dsa::verify(kp.public_key, msg, sig, bytes_of("mesh2")));
  EXPECT_FALSE(Dsa::verify(kp.public_key, msg, sig, {}));
  EXPECT_FALSE(Dsa::verify(Dsa::generate().public_key, msg, sig, ctx));
  std::vector<uint8_t> pk_raw(kp.public_key.bytes().begin(), kp.public_key.bytes().end());
  pk_raw[40] ^= 0x10;  // inside t1
  EXPECT_FALSE(Dsa::verify(*Dsa::PublicKey::from_bytes(pk_raw), msg, sig, ctx));
  pk_raw[40] ^= 0x10;
  pk_raw[3] ^= 0x01;  // inside rho
  EXPECT_FALSE(Dsa::verify(*Dsa::PublicKey::from_bytes(pk_raw), msg, sig, ctx));
}

TYPED_TEST(MlDsaTest, ContextLongerThan255BytesIsRejected) {
  using Dsa = TypeParam;
  const auto kp = Dsa::generate();
  const std::vector<uint8_t> ctx255(255, 0xAB), ctx256(256, 0xAB);
  const auto msg = bytes_of("m");
  const auto ok = Dsa::sign(kp.secret_key, msg, ctx255);
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(Dsa::verify(kp.public_key, msg, *ok, ctx255));
  const auto bad = Dsa::sign(kp.secret_key, msg, ctx256);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Errc::kContextTooLong);
  EXPECT_FALSE(Dsa::verify(kp.public_key, msg, *ok, ctx256));
}

TYPED_TEST(MlDsaTest, MalformedHintEncodingsAreRejected) {
  using Dsa = TypeParam;
  const auto kp = Dsa::generate();
  const auto msg = bytes_of("hints");
  const auto sig = *Dsa::sign(kp.secret_key, msg);
  std::vector<uint8_t> raw(sig.bytes().begin(), sig.bytes().end());
  // HintBitPack (Alg. 20): omega index bytes, then k running counts.
  const size_t omega = raw.size() - Dsa::kOmega - Dsa::kK;  // first index byte
  const size_t counts = raw.size() - Dsa::kK;               // first count byte
  auto verify_raw = [&](const std::vector<uint8_t>& bytes) {
    return Dsa::verify(kp.public_key, msg, *Dsa::Signature::from_bytes(bytes), {});
  };
  ASSERT_TRUE(verify_raw(raw));
  {  // a count above omega
    auto bad = raw;
    bad[raw.size() - 1] = static_cast<uint8_t>(Dsa::kOmega + 1);
    EXPECT_FALSE(verify_raw(bad));
  }
  {  // decreasing counts
    auto bad = raw;
    bad[counts] = static_cast<uint8_t>(raw[raw.size() - 1] + 1);
    EXPECT_FALSE(verify_raw(bad));
  }
  {  // non-zero padding after the last used index
    auto bad = raw;
    const size_t used = raw[raw.size() - 1];
    if (used < Dsa::kOmega) {
      bad[counts - 1] = 1;
      EXPECT_FALSE(verify_raw(bad));
    }
  }
  {  // indices not strictly increasing within a polynomial
    auto bad = raw;
    if (raw[counts] >= 2) {
      std::swap(bad[omega], bad[omega + 1]);
      EXPECT_FALSE(verify_raw(bad));
    }
  }
}

TYPED_TEST(MlDsaTest, HashMlDsaRoundTripAndNegatives) {
  using Dsa = TypeParam;
  const auto kp = Dsa::generate();
  const auto msg = bytes_of("pre-hashed");
  for (const char* alg : {"SHA2-256", "SHA2-512/256", "SHA3-384", "SHAKE-128", "SHAKE-256"}) {
    const auto sig = Dsa::hash_sign(kp.secret_key, msg, {}, alg);
    ASSERT_TRUE(sig.has_value()) << alg;
    EXPECT_TRUE(Dsa::hash_verify(kp.public_key, msg, *sig, {}, alg)) << alg;
    EXPECT_FALSE(Dsa::hash_verify(kp.public_key, msg, *sig, {}, "SHA2-384")) << alg;
    EXPECT_FALSE(Dsa::verify(kp.public_key, msg, *sig)) << "HashML-DSA is not pure ML-DSA";
  }
  const auto unknown = Dsa::hash_sign(kp.secret_key, msg, {}, "MD5");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, Errc::kUnknownHash);
}

}  // namespace
}  // namespace x0::pqc
