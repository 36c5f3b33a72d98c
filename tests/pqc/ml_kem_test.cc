// ML-KEM behaviour beyond the vectors: round trips for every parameter set, wrong sizes and bad
// keys rejected by from_bytes, tampered ciphertexts giving the implicit-rejection key J(z‖c).
#include "pqc/ml_kem.h"

#include <gtest/gtest.h>

#include <vector>

#include "kem_test_util.h"
#include "pqc/xof.h"

namespace x0::pqc {
namespace {

using testing::to_vec;

template <class Kem>
class MlKemTest : public ::testing::Test {};
using KemTypes = ::testing::Types<MlKem512, MlKem768, MlKem1024>;
TYPED_TEST_SUITE(MlKemTest, KemTypes);

TYPED_TEST(MlKemTest, SizesMatchFips203Table3) {
  using Kem = TypeParam;
  const size_t k = Kem::kK;
  EXPECT_EQ(Kem::kEncapsulationKeySize, 384 * k + 32);
  EXPECT_EQ(Kem::kDecapsulationKeySize, 768 * k + 96);
  const size_t want_c = k == 2 ? 768 : k == 3 ? 1088 : 1568;
  EXPECT_EQ(Kem::kCiphertextSize, want_c);
}

TYPED_TEST(MlKemTest, RoundTripAgreesAndKeysDiffer) {
  using Kem = TypeParam;
  const auto a = Kem::generate();
  const auto b = Kem::generate();
  EXPECT_NE(a.encapsulation_key, b.encapsulation_key);
  for (int i = 0; i < 5; ++i) {
    const auto enc = Kem::encapsulate(a.encapsulation_key);
    const auto ss = Kem::decapsulate(a.decapsulation_key, enc.ciphertext);
    EXPECT_TRUE(ss.equals(enc.shared_secret.span()));
    // The wrong key yields a different (implicit-rejection) secret, not an error.
    const auto wrong = Kem::decapsulate(b.decapsulation_key, enc.ciphertext);
    EXPECT_FALSE(wrong.equals(enc.shared_secret.span()));
  }
  EXPECT_EQ(a.decapsulation_key.encapsulation_key(), a.encapsulation_key);
}

TYPED_TEST(MlKemTest, SerializedKeysAndCiphertextsRoundTrip) {
  using Kem = TypeParam;
  const auto kp = Kem::generate();
  auto ek = Kem::EncapsulationKey::from_bytes(to_vec(kp.encapsulation_key.bytes()));
  ASSERT_TRUE(ek.has_value());
  auto dk = Kem::DecapsulationKey::from_bytes(to_vec(kp.decapsulation_key.bytes()));
  ASSERT_TRUE(dk.has_value());
  const auto enc = Kem::encapsulate(*ek);
  auto c = Kem::Ciphertext::from_bytes(to_vec(enc.ciphertext.bytes()));
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(Kem::decapsulate(*dk, *c).equals(enc.shared_secret.span()));
}

TYPED_TEST(MlKemTest, WrongSizesAreRejected) {
  using Kem = TypeParam;
  const auto kp = Kem::generate();
  auto ek = to_vec(kp.encapsulation_key.bytes());
  auto dk = to_vec(kp.decapsulation_key.bytes());
  const auto c = to_vec(Kem::encapsulate(kp.encapsulation_key).ciphertext.bytes());
  for (long delta : {-1L, 1L}) {
    std::vector<uint8_t> e2(ek.size() + delta), d2(dk.size() + delta), c2(c.size() + delta);
    auto r1 = Kem::EncapsulationKey::from_bytes(e2);
    auto r2 = Kem::DecapsulationKey::from_bytes(d2);
    auto r3 = Kem::Ciphertext::from_bytes(c2);
    ASSERT_FALSE(r1.has_value());
    ASSERT_FALSE(r2.has_value());
    ASSERT_FALSE(r3.has_value());
    EXPECT_EQ(r1.error().code, Errc::kWrongSize);
    EXPECT_EQ(r2.error().code, Errc::kWrongSize);
    EXPECT_EQ(r3.error().code, Errc::kWrongSize);
  }
  EXPECT_FALSE(Kem::Ciphertext::from_bytes({}).has_value());
}

TYPED_TEST(MlKemTest, EncapsulationKeyWithCoefficientAtLeastQIsRejected) {
  using Kem = TypeParam;
  auto ek = to_vec(Kem::generate().encapsulation_key.bytes());
  // Set the first 12-bit coefficient to q = 3329 (0xD01), then to 4095.
  ek[0] = 0x01;
  ek[1] = static_cast<uint8_t>((ek[1] & 0xF0) | 0x0D);
  auto r = Kem::EncapsulationKey::from_bytes(ek);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, Errc::kInvalidKey);
  ek[0] = 0x00;  // q - 1 = 3328 = 0xD00 is fine
  EXPECT_TRUE(Kem::EncapsulationKey::from_bytes(ek).has_value());
  // The last coefficient (high 12 bits of the last triple) too.
  const size_t last = 384 * Kem::kK - 1;
  ek[last] = 0xFF;
  ek[last - 1] |= 0xF0;
  EXPECT_FALSE(Kem::EncapsulationKey::from_bytes(ek).has_value());
}

TYPED_TEST(MlKemTest, DecapsulationKeyWithBadHashIsRejected) {
  using Kem = TypeParam;
  const auto kp = Kem::generate();
  for (size_t pos : {384 * Kem::kK + 7, 768 * Kem::kK + 32 + 3}) {  // inside ek, inside H(ek)
    auto dk = to_vec(kp.decapsulation_key.bytes());
    dk[pos] ^= 0x40;
    auto r = Kem::DecapsulationKey::from_bytes(dk);
    ASSERT_FALSE(r.has_value()) << pos;
    EXPECT_EQ(r.error().code, Errc::kInvalidKey);
  }
}

TYPED_TEST(MlKemTest, TamperedCiphertextGivesImplicitRejectionKey) {
  using Kem = TypeParam;
  const auto kp = Kem::generate();
  const auto enc = Kem::encapsulate(kp.encapsulation_key);
  const auto dk = to_vec(kp.decapsulation_key.bytes());
  const std::span<const uint8_t> z(dk.data() + dk.size() - 32, 32);
  for (size_t pos : {size_t{0}, Kem::kCiphertextSize / 2, Kem::kCiphertextSize - 1}) {
    auto c = to_vec(enc.ciphertext.bytes());
    c[pos] ^= 0x01;
    auto tampered = Kem::Ciphertext::from_bytes(c);
    ASSERT_TRUE(tampered.has_value());
    const auto ss = Kem::decapsulate(kp.decapsulation_key, *tampered);
    // K̄ = J(z ‖ c) = SHAKE256(z ‖ c, 32) (FIPS 203 Alg. 18 line 7).
    std::vector<uint8_t> zc(z.begin(), z.end());
    zc.insert(zc.end(), c.begin(), c.end());
    std::array<uint8_t, 32> k_bar{};
    detail::shake256(zc, k_bar);
    EXPECT_EQ(to_vec(ss), to_vec(k_bar)) << "pos " << pos;
    EXPECT_FALSE(ss.equals(enc.shared_secret.span()));
  }
}

TYPED_TEST(MlKemTest, TamperedSecretPartOfDecapsulationKeyGivesAnotherKey) {
  using Kem = TypeParam;
  const auto kp = Kem::generate();
  const auto enc = Kem::encapsulate(kp.encapsulation_key);
  auto dk_bytes = to_vec(kp.decapsulation_key.bytes());
  dk_bytes[17] ^= 0x01;  // inside dk_PKE (the encoded s), which the 7.3 hash check does not cover
  auto dk = Kem::DecapsulationKey::from_bytes(dk_bytes);
  ASSERT_TRUE(dk.has_value());
  EXPECT_FALSE(Kem::decapsulate(*dk, enc.ciphertext).equals(enc.shared_secret.span()));
  // Tampered z only changes the rejection key, so a valid ciphertext still decapsulates.
  dk_bytes = to_vec(kp.decapsulation_key.bytes());
  dk_bytes.back() ^= 0x80;
  auto dk_z = Kem::DecapsulationKey::from_bytes(dk_bytes);
  ASSERT_TRUE(dk_z.has_value());
  EXPECT_TRUE(Kem::decapsulate(*dk_z, enc.ciphertext).equals(enc.shared_secret.span()));
}

TEST(MlKemDeterminismTest, InternalFunctionsAreDeterministic) {
  std::array<uint8_t, 32> d{}, z{}, m{};
  d[0] = 1;
  z[0] = 2;
  m[0] = 3;
  const auto a = MlKem768::keygen_internal(d, z);
  const auto b = MlKem768::keygen_internal(d, z);
  EXPECT_EQ(a.encapsulation_key, b.encapsulation_key);
  EXPECT_EQ(to_vec(a.decapsulation_key.bytes()), to_vec(b.decapsulation_key.bytes()));
  const auto e1 = MlKem768::encapsulate_internal(a.encapsulation_key, m);
  const auto e2 = MlKem768::encapsulate_internal(a.encapsulation_key, m);
  EXPECT_EQ(e1.ciphertext, e2.ciphertext);
  z[0] = 9;  // z only changes the tail of dk
  const auto c = MlKem768::keygen_internal(d, z);
  EXPECT_EQ(a.encapsulation_key, c.encapsulation_key);
  EXPECT_NE(to_vec(a.decapsulation_key.bytes()), to_vec(c.decapsulation_key.bytes()));
}

}  // namespace
}  // namespace x0::pqc
