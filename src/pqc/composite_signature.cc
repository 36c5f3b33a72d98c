// Composite Ed25519 + ML-DSA-65 signatures (see composite_signature.h and docs/PQC.md):
// M' = label || byte(|ctx|) || ctx || M; Ed25519 (OpenSSL, PureEdDSA) signs M', ML-DSA-65 signs
// M' with the label as its FIPS 204 context. Verification evaluates both halves, always.
#include "pqc/composite_signature.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace x0::pqc {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::span<const uint8_t> label_bytes() {
  return {reinterpret_cast<const uint8_t*>(CompositeSignature::kLabel.data()),
          CompositeSignature::kLabel.size()};
}

// M' = label || byte(|ctx|) || ctx || M (the caller has checked |ctx| <= 255).
std::vector<uint8_t> framed_message(std::span<const uint8_t> message,
                                    std::span<const uint8_t> context) {
  const auto label = label_bytes();
  std::vector<uint8_t> m(label.size() + 1 + context.size() + message.size());
  auto out = std::copy(label.begin(), label.end(), m.begin());
  *out++ = static_cast<uint8_t>(context.size());
  out = std::copy(context.begin(), context.end(), out);
  std::copy(message.begin(), message.end(), out);
  return m;
}

bool ed25519_sign(std::span<const uint8_t, 32> seed, std::span<const uint8_t> message,
                  std::span<uint8_t, 64> sig) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()),
              &EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t len = sig.size();
  return key && ctx && EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) == 1 &&
         len == sig.size();
}

bool ed25519_verify(std::span<const uint8_t, 32> public_key, std::span<const uint8_t> message,
                    std::span<const uint8_t, 64> sig) {
  PkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()),
      &EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), sig.data(), sig.size(), message.data(), message.size()) == 1;
}

Result<void> check_size(std::span<const uint8_t> bytes, size_t size, const char* what) {
  if (bytes.size() != size) {
    return fail("wrong_size", std::string("composite ") + what + " must be " +
                                  std::to_string(size) + " bytes, got " +
                                  std::to_string(bytes.size()));
  }
  return {};
}

}  // namespace

Result<CompositeSignature::PublicKey> CompositeSignature::PublicKey::from_bytes(
    std::span<const uint8_t> bytes) {
  if (auto ok = check_size(bytes, kSize, "public key"); !ok) return std::unexpected(ok.error());
  PublicKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

Result<CompositeSignature::SecretKey> CompositeSignature::SecretKey::from_bytes(
    std::span<const uint8_t> bytes) {
  if (auto ok = check_size(bytes, kSize, "secret key"); !ok) return std::unexpected(ok.error());
  // The ML-DSA-65 half gets its own check (s1, s2 in range).
  if (auto pq = MlDsa65::SecretKey::from_bytes(bytes.subspan(kEd25519SecretKeySize)); !pq) {
    return std::unexpected(pq.error());
  }
  SecretKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

Result<CompositeSignature::Signature> CompositeSignature::Signature::from_bytes(
    std::span<const uint8_t> bytes) {
  if (auto ok = check_size(bytes, kSize, "signature"); !ok) return std::unexpected(ok.error());
  Signature sig;
  std::copy(bytes.begin(), bytes.end(), sig.bytes_.begin());
  return sig;
}

Result<CompositeSignature::KeyPair> CompositeSignature::generate() {
  KeyPair kp{PublicKey(), SecretKey()};
  uint8_t* seed = kp.secret_key.bytes_.data();
  random_bytes(std::span<uint8_t>(seed, kEd25519SecretKeySize));
  PkeyPtr ed(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, kEd25519SecretKeySize),
             &EVP_PKEY_free);
  size_t len = kEd25519PublicKeySize;
  if (!ed || EVP_PKEY_get_raw_public_key(ed.get(), kp.public_key.bytes_.data(), &len) != 1 ||
      len != kEd25519PublicKeySize) {
    return fail("crypto_error", "OpenSSL could not derive the Ed25519 public key");
  }
  const auto pq = MlDsa65::generate();
  std::ranges::copy(pq.public_key.bytes(), kp.public_key.bytes_.begin() + kEd25519PublicKeySize);
  std::ranges::copy(pq.secret_key.bytes(), kp.secret_key.bytes_.begin() + kEd25519SecretKeySize);
  return kp;
}

Result<CompositeSignature::Signature> CompositeSignature::sign(const SecretKey& sk,
                                                               std::span<const uint8_t> message,
                                                               std::span<const uint8_t> context) {
  if (context.size() > kMaxContextSize) {
    return fail("context_too_long", "composite signature context must be at most 255 bytes");
  }
  const auto m_prime = framed_message(message, context);
  Signature sig;
  const auto all = sk.bytes();
  if (!ed25519_sign(all.first<kEd25519SecretKeySize>(), m_prime,
                    std::span(sig.bytes_).first<kEd25519SignatureSize>())) {
    return fail("crypto_error", "OpenSSL Ed25519 signing failed");
  }
  auto pq_sk = MlDsa65::SecretKey::from_bytes(all.subspan<kEd25519SecretKeySize>());
  if (!pq_sk) return std::unexpected(pq_sk.error());
  auto pq_sig = MlDsa65::sign(*pq_sk, m_prime, label_bytes());
  if (!pq_sig) return std::unexpected(pq_sig.error());
  std::ranges::copy(pq_sig->bytes(), sig.bytes_.begin() + kEd25519SignatureSize);
  return sig;
}

bool CompositeSignature::verify(const PublicKey& pk, std::span<const uint8_t> message,
                                const Signature& sig, std::span<const uint8_t> context) {
  if (context.size() > kMaxContextSize) return false;
  const auto m_prime = framed_message(message, context);
  const auto pk_all = pk.bytes();
  const auto sig_all = sig.bytes();
  const bool classical = ed25519_verify(pk_all.first<kEd25519PublicKeySize>(), m_prime,
                                        sig_all.first<kEd25519SignatureSize>());
  const auto pq_pk = MlDsa65::PublicKey::from_bytes(pk_all.subspan<kEd25519PublicKeySize>());
  const auto pq_sig = MlDsa65::Signature::from_bytes(sig_all.subspan<kEd25519SignatureSize>());
  const bool post_quantum =
      pq_pk && pq_sig && MlDsa65::verify(*pq_pk, m_prime, *pq_sig, label_bytes());
  return classical && post_quantum;
}

}  // namespace x0::pqc
