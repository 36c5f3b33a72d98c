// ML-DSA (FIPS 204) signatures: ML-DSA-44, -65 and -87 from one implementation templated on the
// parameter set. Typed keys and signatures (fixed sizes, from_bytes rejects wrong sizes), secret
// keys wiped on destruction. Sign is hedged by default (fresh rnd), deterministic on request;
// the internal interface (Sign_internal over M' or over mu) is exposed for the ACVP vectors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.h"
#include "pqc/secure.h"

namespace x0::pqc {

// FIPS 204 Table 1. gamma2 is given as the divisor of q - 1.
struct MlDsa44Params {
  static constexpr std::string_view kName = "ML-DSA-44";
  static constexpr int kK = 4, kL = 4, kEta = 2, kTau = 39, kLambda = 128, kOmega = 80;
  static constexpr int32_t kGamma1 = 1 << 17, kGamma2Divisor = 88;
};
struct MlDsa65Params {
  static constexpr std::string_view kName = "ML-DSA-65";
  static constexpr int kK = 6, kL = 5, kEta = 4, kTau = 49, kLambda = 192, kOmega = 55;
  static constexpr int32_t kGamma1 = 1 << 19, kGamma2Divisor = 32;
};
struct MlDsa87Params {
  static constexpr std::string_view kName = "ML-DSA-87";
  static constexpr int kK = 8, kL = 7, kEta = 2, kTau = 60, kLambda = 256, kOmega = 75;
  static constexpr int32_t kGamma1 = 1 << 19, kGamma2Divisor = 32;
};

template <class P>
class MlDsa {
 public:
  static constexpr std::string_view kName = P::kName;
  static constexpr size_t kK = P::kK, kL = P::kL, kOmega = P::kOmega;
  static constexpr size_t kEtaBits = P::kEta == 2 ? 3 : 4;
  static constexpr size_t kZBits = P::kGamma1 == (1 << 17) ? 18 : 20;
  static constexpr size_t kPublicKeySize = 32 + 32 * 10 * P::kK;
  static constexpr size_t kSecretKeySize = 128 + 32 * ((P::kK + P::kL) * kEtaBits + 13 * P::kK);
  static constexpr size_t kSignatureSize = P::kLambda / 4 + 32 * kZBits * P::kL + P::kOmega + P::kK;
  static constexpr size_t kSeedSize = 32;        // xi
  static constexpr size_t kRandomnessSize = 32;  // rnd
  static constexpr size_t kMuSize = 64;          // mu
  static constexpr size_t kMaxContextSize = 255;

  class PublicKey {
   public:
    static constexpr size_t kSize = kPublicKeySize;
    static Result<PublicKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kSize> bytes() const { return bytes_; }
    bool operator==(const PublicKey&) const = default;

   private:
    friend class MlDsa;
    PublicKey() = default;
    std::array<uint8_t, kSize> bytes_{};
  };

  class SecretKey {
   public:
    static constexpr size_t kSize = kSecretKeySize;
    // Checks the size and that s1, s2 decode into [-eta, eta] ("invalid_key" otherwise). FIPS
    // 204 defines no further sk check (tr, t0 are not verified): keep keys in trusted storage.
    static Result<SecretKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kSize> bytes() const { return bytes_.span(); }

   private:
    friend class MlDsa;
    SecretKey() = default;
    SecretBytes<kSize> bytes_;
  };

  class Signature {
   public:
    static constexpr size_t kSize = kSignatureSize;
    static Result<Signature> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kSize> bytes() const { return bytes_; }
    bool operator==(const Signature&) const = default;

   private:
    friend class MlDsa;
    Signature() = default;
    std::array<uint8_t, kSize> bytes_{};
  };

  struct KeyPair {
    PublicKey public_key;
    SecretKey secret_key;
  };

  // ML-DSA.KeyGen (Alg. 1): fresh xi from random_bytes.
  static KeyPair generate();
  // ML-DSA.KeyGen_internal (Alg. 6), deterministic from the seed xi.
  static KeyPair keygen_internal(std::span<const uint8_t, kSeedSize> xi);

  // ML-DSA.Sign (Alg. 2), pure (no pre-hash), hedged: rnd from random_bytes. Fails only if
  // context is longer than 255 bytes.
  static Result<Signature> sign(const SecretKey& sk, std::span<const uint8_t> message,
                                std::span<const uint8_t> context = {});
  // The deterministic variant of Alg. 2 (rnd = 32 zero bytes).
  static Result<Signature> sign_deterministic(const SecretKey& sk, std::span<const uint8_t> message,
                                              std::span<const uint8_t> context = {});
  // Alg. 2 with rnd supplied by the caller (tests, known-answer vectors).
  static Result<Signature> sign_with_randomness(const SecretKey& sk,
                                                std::span<const uint8_t> message,
                                                std::span<const uint8_t> context,
                                                std::span<const uint8_t, kRandomnessSize> rnd);
  // ML-DSA.Verify (Alg. 3). False for a context longer than 255 bytes.
  static bool verify(const PublicKey& pk, std::span<const uint8_t> message, const Signature& sig,
                     std::span<const uint8_t> context = {});

  // ML-DSA.Sign_internal (Alg. 7) over M' exactly as given (no 0x00 || |ctx| || ctx prefix).
  static Result<Signature> sign_internal(const SecretKey& sk, std::span<const uint8_t> m_prime,
                                         std::span<const uint8_t, kRandomnessSize> rnd);
  // Alg. 7 with line 6 skipped: mu = H(tr || M', 64) computed by the caller ("external mu").
  static Result<Signature> sign_mu(const SecretKey& sk, std::span<const uint8_t, kMuSize> mu,
                                   std::span<const uint8_t, kRandomnessSize> rnd);
  // ML-DSA.Verify_internal (Alg. 8) over M', and the same over a given mu.
  static bool verify_internal(const PublicKey& pk, std::span<const uint8_t> m_prime,
                              const Signature& sig);
  static bool verify_mu(const PublicKey& pk, std::span<const uint8_t, kMuSize> mu,
                        const Signature& sig);

  // HashML-DSA (Alg. 4 / 5). hash_alg names as in ACVP: "SHA2-224", "SHA2-256", "SHA2-384",
  // "SHA2-512", "SHA2-512/224", "SHA2-512/256", "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512",
  // "SHAKE-128", "SHAKE-256". Unknown names and contexts over 255 bytes are errors / false.
  static Result<Signature> hash_sign_with_randomness(const SecretKey& sk,
                                                     std::span<const uint8_t> message,
                                                     std::span<const uint8_t> context,
                                                     std::string_view hash_alg,
                                                     std::span<const uint8_t, kRandomnessSize> rnd);
  static Result<Signature> hash_sign(const SecretKey& sk, std::span<const uint8_t> message,
                                     std::span<const uint8_t> context, std::string_view hash_alg);
  static bool hash_verify(const PublicKey& pk, std::span<const uint8_t> message,
                          const Signature& sig, std::span<const uint8_t> context,
                          std::string_view hash_alg);
};

using MlDsa44 = MlDsa<MlDsa44Params>;
using MlDsa65 = MlDsa<MlDsa65Params>;
using MlDsa87 = MlDsa<MlDsa87Params>;

extern template class MlDsa<MlDsa44Params>;
extern template class MlDsa<MlDsa65Params>;
extern template class MlDsa<MlDsa87Params>;

static_assert(MlDsa44::kPublicKeySize == 1312 && MlDsa44::kSecretKeySize == 2560 &&
              MlDsa44::kSignatureSize == 2420);
static_assert(MlDsa65::kPublicKeySize == 1952 && MlDsa65::kSecretKeySize == 4032 &&
              MlDsa65::kSignatureSize == 3309);
static_assert(MlDsa87::kPublicKeySize == 2592 && MlDsa87::kSecretKeySize == 4896 &&
              MlDsa87::kSignatureSize == 4627);

}  // namespace x0::pqc
