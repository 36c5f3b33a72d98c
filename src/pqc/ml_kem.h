// ML-KEM (FIPS 203) key encapsulation: ML-KEM-512, -768 and -1024 over one implementation
// templated on the parameter set. Keys and ciphertexts are fixed-size types; bytes from the
// network enter only through from_bytes(), which runs the section 7 input checks.
//   auto kp = MlKem768::generate();
//   auto enc = MlKem768::encapsulate(kp.encapsulation_key);      // peer side
//   auto ss = MlKem768::decapsulate(kp.decapsulation_key, enc.ciphertext);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.h"
#include "pqc/secure.h"

namespace x0::pqc {

namespace detail {
// FIPS 203 Table 2.
struct MlKem512Params {
  static constexpr int kK = 2, kEta1 = 3, kEta2 = 2, kDu = 10, kDv = 4;
  static constexpr const char* kName = "ML-KEM-512";
};
struct MlKem768Params {
  static constexpr int kK = 3, kEta1 = 2, kEta2 = 2, kDu = 10, kDv = 4;
  static constexpr const char* kName = "ML-KEM-768";
};
struct MlKem1024Params {
  static constexpr int kK = 4, kEta1 = 2, kEta2 = 2, kDu = 11, kDv = 5;
  static constexpr const char* kName = "ML-KEM-1024";
};
}  // namespace detail

template <class P>
class MlKem {
 public:
  static constexpr const char* kName = P::kName;
  static constexpr size_t kK = P::kK;
  // FIPS 203 Table 3.
  static constexpr size_t kEncapsulationKeySize = 384 * kK + 32;
  static constexpr size_t kDecapsulationKeySize = 768 * kK + 96;
  static constexpr size_t kCiphertextSize = 32 * (P::kDu * kK + P::kDv);
  static constexpr size_t kSharedSecretSize = 32;
  static constexpr size_t kSeedSize = 32;

  using SharedSecret = SecretBytes<kSharedSecretSize>;

  // ek: public. from_bytes runs the section 7.2 modulus check.
  class EncapsulationKey {
   public:
    static Result<EncapsulationKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kEncapsulationKeySize> bytes() const { return bytes_; }
    bool operator==(const EncapsulationKey&) const = default;

   private:
    friend class MlKem;
    EncapsulationKey() = default;
    std::array<uint8_t, kEncapsulationKeySize> bytes_{};
  };

  // dk = dk_PKE ‖ ek ‖ H(ek) ‖ z; secret, wiped on destruction. from_bytes runs the section 7.3
  // hash check.
  class DecapsulationKey {
   public:
    static Result<DecapsulationKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kDecapsulationKeySize> bytes() const { return bytes_.span(); }
    EncapsulationKey encapsulation_key() const;

   private:
    friend class MlKem;
    DecapsulationKey() = default;
    SecretBytes<kDecapsulationKeySize> bytes_;
  };

  class Ciphertext {
   public:
    static Result<Ciphertext> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kCiphertextSize> bytes() const { return bytes_; }
    bool operator==(const Ciphertext&) const = default;

   private:
    friend class MlKem;
    Ciphertext() = default;
    std::array<uint8_t, kCiphertextSize> bytes_{};
  };

  struct KeyPair {
    EncapsulationKey encapsulation_key;
    DecapsulationKey decapsulation_key;
  };

  struct Encapsulation {
    Ciphertext ciphertext;
    SharedSecret shared_secret;
  };

  // ML-KEM.KeyGen (Alg. 19): fresh d, z from random_bytes.
  static KeyPair generate();
  // ML-KEM.Encaps (Alg. 20): fresh m from random_bytes. ek was checked by from_bytes.
  static Encapsulation encapsulate(const EncapsulationKey& ek);
  // ML-KEM.Decaps (Alg. 21). Never fails: a ciphertext that does not re-encrypt yields the
  // implicit-rejection key J(z ‖ c), indistinguishable from a real one to the sender.
  static SharedSecret decapsulate(const DecapsulationKey& dk, const Ciphertext& c);

  // Deterministic internals used by the test vectors (Alg. 16, 17).
  static KeyPair keygen_internal(std::span<const uint8_t, kSeedSize> d,
                                 std::span<const uint8_t, kSeedSize> z);
  static Encapsulation encapsulate_internal(const EncapsulationKey& ek,
                                            std::span<const uint8_t, kSeedSize> m);
};

using MlKem512 = MlKem<detail::MlKem512Params>;
using MlKem768 = MlKem<detail::MlKem768Params>;
using MlKem1024 = MlKem<detail::MlKem1024Params>;

extern template class MlKem<detail::MlKem512Params>;
extern template class MlKem<detail::MlKem768Params>;
extern template class MlKem<detail::MlKem1024Params>;

}  // namespace x0::pqc
