// Composite Ed25519 + ML-DSA-65 signature for mesh node identities: both halves sign the same
// domain-separated message and the composite verifies only when both halves verify, so it stays
// secure while either Ed25519 or ML-DSA-65 is unbroken. Ed25519 comes from OpenSSL 3; the exact
// construction is in docs/PQC.md, section "Composite signature".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/result.h"
#include "pqc/ml_dsa.h"
#include "pqc/secure.h"

namespace x0::pqc {

class CompositeSignature {
 public:
  static constexpr size_t kEd25519PublicKeySize = 32;
  static constexpr size_t kEd25519SecretKeySize = 32;  // RFC 8032 seed
  static constexpr size_t kEd25519SignatureSize = 64;
  // Public key = Ed25519 pk || ML-DSA-65 pk; the same order for secret keys and signatures.
  static constexpr size_t kPublicKeySize = kEd25519PublicKeySize + MlDsa65::kPublicKeySize;
  static constexpr size_t kSecretKeySize = kEd25519SecretKeySize + MlDsa65::kSecretKeySize;
  static constexpr size_t kSignatureSize = kEd25519SignatureSize + MlDsa65::kSignatureSize;
  static constexpr size_t kMaxContextSize = 255;
  // Domain-separation label prefixed to every signed message (see docs/PQC.md).
  static constexpr std::string_view kLabel = "x0tta6bl4/composite-sig/Ed25519+ML-DSA-65/v1";

  class PublicKey {
   public:
    static constexpr size_t kSize = kPublicKeySize;
    // Size check only; an Ed25519 key that is not a valid point simply never verifies.
    static Result<PublicKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kSize> bytes() const { return bytes_; }
    bool operator==(const PublicKey&) const = default;

   private:
    friend class CompositeSignature;
    PublicKey() = default;
    std::array<uint8_t, kSize> bytes_{};
  };

  class SecretKey {
   public:
    static constexpr size_t kSize = kSecretKeySize;
    static Result<SecretKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kSize> bytes() const { return bytes_.span(); }

   private:
    friend class CompositeSignature;
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
    friend class CompositeSignature;
    Signature() = default;
    std::array<uint8_t, kSize> bytes_{};
  };

  struct KeyPair {
    PublicKey public_key;
    SecretKey secret_key;
  };

  // Fresh Ed25519 seed and ML-DSA-65 xi from random_bytes. Fails only if OpenSSL fails.
  static Result<KeyPair> generate();
  // Hedged ML-DSA-65 half; context at most 255 bytes.
  static Result<Signature> sign(const SecretKey& sk, std::span<const uint8_t> message,
                                std::span<const uint8_t> context = {});
  // True only if both the Ed25519 and the ML-DSA-65 half verify.
  static bool verify(const PublicKey& pk, std::span<const uint8_t> message, const Signature& sig,
                     std::span<const uint8_t> context = {});
};

}  // namespace x0::pqc
