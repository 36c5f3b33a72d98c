// Composite ML-DSA-65 + Ed25519 signature for mesh node identities, exactly
// id-MLDSA65-Ed25519-SHA512 of draft-ietf-lamps-pq-composite-sigs: both halves sign the same
// message representative M' and the composite verifies only when both halves verify, so it stays
// secure while either ML-DSA-65 or Ed25519 is unbroken. Ed25519 comes from OpenSSL 3; the byte
// layout and M' are in docs/PQC.md, section "Composite signature".
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
  // The draft's name and OID (section "Algorithm Identifiers and Parameters"; early IANA
  // allocation in the PKIX algorithms arc 1.3.6.1.5.5.7.6).
  static constexpr std::string_view kName = "id-MLDSA65-Ed25519-SHA512";
  static constexpr std::string_view kOid = "1.3.6.1.5.5.7.6.48";
  // The OBJECT IDENTIFIER as DER (tag 06, length 08, content), and the AlgorithmIdentifier
  // SEQUENCE { oid } that X.509 puts in signatureAlgorithm and SubjectPublicKeyInfo (the draft
  // says its parameters MUST be absent).
  static constexpr std::array<uint8_t, 10> kOidDer = {0x06, 0x08, 0x2b, 0x06, 0x01,
                                                      0x05, 0x05, 0x07, 0x06, 0x30};
  static constexpr std::array<uint8_t, 12> kAlgorithmIdentifierDer = {
      0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x06, 0x30};
  // M' = kPrefix || kLabel || byte(|ctx|) || ctx || SHA-512(M); kLabel is also ML-DSA's context.
  static constexpr std::string_view kPrefix = "CompositeAlgorithmSignatures2025";
  static constexpr std::string_view kLabel = "COMPSIG-MLDSA65-Ed25519-SHA512";

  static constexpr size_t kMlDsaSeedSize = MlDsa65::kSeedSize;  // FIPS 204 xi
  static constexpr size_t kEd25519PublicKeySize = 32;
  static constexpr size_t kEd25519SeedSize = 32;  // RFC 8032 private key
  static constexpr size_t kEd25519SignatureSize = 64;
  // The draft's serialization: ML-DSA part first in every value.
  static constexpr size_t kPublicKeySize = MlDsa65::kPublicKeySize + kEd25519PublicKeySize;
  static constexpr size_t kSecretKeySize = kMlDsaSeedSize + kEd25519SeedSize;
  static constexpr size_t kSignatureSize = MlDsa65::kSignatureSize + kEd25519SignatureSize;
  static constexpr size_t kMaxContextSize = 255;

  // ML-DSA-65 pk (1952) || Ed25519 pk (32).
  class PublicKey {
   public:
    static constexpr size_t kSize = kPublicKeySize;
    // Size check only; an Ed25519 half that is not a curve point simply never verifies.
    static Result<PublicKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kSize> bytes() const { return bytes_; }
    bool operator==(const PublicKey&) const = default;

   private:
    friend class CompositeSignature;
    PublicKey() = default;
    std::array<uint8_t, kSize> bytes_{};
  };

  // ML-DSA-65 seed xi (32) || Ed25519 seed (32), the draft's private key. from_bytes expands
  // both once (ML-DSA.KeyGen_internal, Ed25519 public key), so signing does not repeat it; the
  // seeds and the expanded ML-DSA key are wiped when the key dies.
  class SecretKey {
   public:
    static constexpr size_t kSize = kSecretKeySize;
    // Any 64 bytes are a valid key; fails only on the size or if OpenSSL fails.
    static Result<SecretKey> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kSize> bytes() const { return seeds_.span(); }
    const PublicKey& public_key() const { return public_key_; }

   private:
    friend class CompositeSignature;
    SecretKey(std::span<const uint8_t, kSize> seeds, const MlDsa65::SecretKey& mldsa,
              const PublicKey& public_key)
        : seeds_(seeds), mldsa_(mldsa), public_key_(public_key) {}
    SecretBytes<kSize> seeds_;
    MlDsa65::SecretKey mldsa_;  // expanded from seeds_[0, 32)
    PublicKey public_key_;
  };

  // ML-DSA-65 signature (3309) || Ed25519 signature (64).
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

  // The draft's KeyGen: fresh ML-DSA seed and Ed25519 seed from random_bytes. Fails only if
  // OpenSSL fails.
  static Result<KeyPair> generate();
  // The draft's Sign: hedged ML-DSA-65 half (fresh rnd, FIPS 204 Alg. 2), PureEdDSA half. Fails
  // with "context_too_long" for a context over 255 bytes, "crypto_error" if OpenSSL fails.
  static Result<Signature> sign(const SecretKey& sk, std::span<const uint8_t> message,
                                std::span<const uint8_t> context = {});
  // The draft's Verify: true only if both halves verify; false for a context over 255 bytes.
  static bool verify(const PublicKey& pk, std::span<const uint8_t> message, const Signature& sig,
                     std::span<const uint8_t> context = {});
};

}  // namespace x0::pqc
