// id-MLDSA65-Ed25519-SHA512 (draft-ietf-lamps-pq-composite-sigs, sections "Sign", "Verify" and
// "Serialization"): M' = Prefix || Label || byte(|ctx|) || ctx || SHA-512(M); ML-DSA-65 signs M'
// with the Label as its FIPS 204 context, Ed25519 (OpenSSL, PureEdDSA) signs M'. Verification
// evaluates both halves, always.
#include "pqc/composite_signature.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string>

namespace x0::pqc {
namespace {

using Composite = CompositeSignature;
using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

constexpr size_t kHashSize = 64;  // SHA-512

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// The message representative M' (draft section "Sign", step 2). Holds no secret; at most
// 32 + 30 + 1 + 255 + 64 = 382 bytes, so it lives on the stack.
class MessageRepresentative {
 public:
  // False if |context| > 255 or OpenSSL's SHA-512 fails.
  bool build(std::span<const uint8_t> message, std::span<const uint8_t> context) {
    if (context.size() > Composite::kMaxContextSize) return false;
    auto out = std::ranges::copy(as_bytes(Composite::kPrefix), bytes_.begin()).out;
    out = std::ranges::copy(as_bytes(Composite::kLabel), out).out;
    *out++ = static_cast<uint8_t>(context.size());
    out = std::ranges::copy(context, out).out;
    unsigned int hash_len = 0;
    if (EVP_Digest(message.data(), message.size(), &*out, &hash_len, EVP_sha512(), nullptr) != 1 ||
        hash_len != kHashSize) {
      return false;
    }
    size_ = static_cast<size_t>(out - bytes_.begin()) + kHashSize;
    return true;
  }
  std::span<const uint8_t> bytes() const { return std::span(bytes_).first(size_); }

 private:
  std::array<uint8_t, Composite::kPrefix.size() + Composite::kLabel.size() + 1 +
                          Composite::kMaxContextSize + kHashSize>
      bytes_{};
  size_t size_ = 0;
};

bool ed25519_public_key(std::span<const uint8_t, Composite::kEd25519SeedSize> seed,
                        std::span<uint8_t, Composite::kEd25519PublicKeySize> out) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
              &EVP_PKEY_free);
  size_t len = out.size();
  return key && EVP_PKEY_get_raw_public_key(key.get(), out.data(), &len) == 1 && len == out.size();
}

bool ed25519_sign(std::span<const uint8_t, Composite::kEd25519SeedSize> seed,
                  std::span<const uint8_t> message,
                  std::span<uint8_t, Composite::kEd25519SignatureSize> sig) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
              &EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t len = sig.size();
  return key && ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) == 1 &&
         len == sig.size();
}

bool ed25519_verify(std::span<const uint8_t, Composite::kEd25519PublicKeySize> public_key,
                    std::span<const uint8_t> message,
                    std::span<const uint8_t, Composite::kEd25519SignatureSize> sig) {
  PkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()),
      &EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
}

Result<void> check_size(std::span<const uint8_t> bytes, size_t size, const char* what) {
  if (bytes.size() != size) {
    return fail(Errc::kWrongSize, std::string("composite ") + what + " must be " +
                                      std::to_string(size) + " bytes, got " +
                                      std::to_string(bytes.size()));
  }
  return {};
}

}  // namespace

Result<Composite::PublicKey> Composite::PublicKey::from_bytes(std::span<const uint8_t> bytes) {
  if (auto ok = check_size(bytes, kSize, "public key"); !ok) return std::unexpected(ok.error());
  PublicKey key;
  std::ranges::copy(bytes, key.bytes_.begin());
  return key;
}

// DeserializePrivateKey, then the expansion the draft's Sign does in step 3
// (ML-DSA.KeyGen_internal(mldsaSeed)), done once here instead of per signature.
Result<Composite::SecretKey> Composite::SecretKey::from_bytes(std::span<const uint8_t> bytes) {
  if (auto ok = check_size(bytes, kSize, "secret key"); !ok) return std::unexpected(ok.error());
  const auto seeds = bytes.first<kSize>();
  const auto mldsa = MlDsa65::keygen_internal(seeds.first<kMlDsaSeedSize>());
  PublicKey pk;
  std::ranges::copy(mldsa.public_key.bytes(), pk.bytes_.begin());
  if (!ed25519_public_key(seeds.subspan<kMlDsaSeedSize>(),
                          std::span(pk.bytes_).subspan<MlDsa65::kPublicKeySize>())) {
    return fail(Errc::kCryptoError, "OpenSSL could not derive the Ed25519 public key");
  }
  return SecretKey(seeds, mldsa.secret_key, pk);
}

Result<Composite::Signature> Composite::Signature::from_bytes(std::span<const uint8_t> bytes) {
  if (auto ok = check_size(bytes, kSize, "signature"); !ok) return std::unexpected(ok.error());
  Signature sig;
  std::ranges::copy(bytes, sig.bytes_.begin());
  return sig;
}

// KeyGen (draft section "Key Generation"): mldsaSeed = Random(32) expanded with
// KeyGen_internal, and an Ed25519 key (RFC 8032: a random 32-byte seed).
Result<Composite::KeyPair> Composite::generate() {
  SecretBytes<kSecretKeySize> seeds;
  random_bytes(seeds.span());
  auto sk = SecretKey::from_bytes(seeds.span());
  if (!sk) return std::unexpected(sk.error());
  return KeyPair{sk->public_key(), *std::move(sk)};
}

Result<Composite::Signature> Composite::sign(const SecretKey& sk, std::span<const uint8_t> message,
                                             std::span<const uint8_t> context) {
  if (context.size() > kMaxContextSize) {
    return fail(Errc::kContextTooLong, "composite signature context must be at most 255 bytes");
  }
  MessageRepresentative m_prime;
  if (!m_prime.build(message, context)) return fail(Errc::kCryptoError, "OpenSSL SHA-512 failed");
  // Step 4: mldsaSig = ML-DSA.Sign(mldsaSK, M', ctx = Label), tradSig = Ed25519.Sign(tradSK, M').
  auto pq_sig = MlDsa65::sign(sk.mldsa_, m_prime.bytes(), as_bytes(kLabel));
  if (!pq_sig) return std::unexpected(pq_sig.error());
  Signature sig;
  std::ranges::copy(pq_sig->bytes(), sig.bytes_.begin());
  if (!ed25519_sign(sk.seeds_.span().subspan<kMlDsaSeedSize>(), m_prime.bytes(),
                    std::span(sig.bytes_).subspan<MlDsa65::kSignatureSize>())) {
    return fail(Errc::kCryptoError, "OpenSSL Ed25519 signing failed");
  }
  return sig;
}

bool Composite::verify(const PublicKey& pk, std::span<const uint8_t> message, const Signature& sig,
                       std::span<const uint8_t> context) {
  MessageRepresentative m_prime;
  if (!m_prime.build(message, context)) return false;  // also |ctx| > 255
  const auto pk_all = pk.bytes();
  const auto sig_all = sig.bytes();
  const auto pq_pk = MlDsa65::PublicKey::from_bytes(pk_all.first<MlDsa65::kPublicKeySize>());
  const auto pq_sig = MlDsa65::Signature::from_bytes(sig_all.first<MlDsa65::kSignatureSize>());
  const bool post_quantum =
      pq_pk && pq_sig && MlDsa65::verify(*pq_pk, m_prime.bytes(), *pq_sig, as_bytes(kLabel));
  const bool classical = ed25519_verify(pk_all.subspan<MlDsa65::kPublicKeySize>(), m_prime.bytes(),
                                        sig_all.subspan<MlDsa65::kSignatureSize>());
  return post_quantum && classical;
}

}  // namespace x0::pqc
