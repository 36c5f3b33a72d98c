// X25519 + ML-KEM-768 hybrid key agreement (see hybrid_kem.h and docs/PQC.md). X25519 and
// HKDF-SHA256 come from OpenSSL 3; ML-KEM-768 is ours.
#include "pqc/hybrid_kem.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

namespace x0::pqc {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

// New X25519 key pair from OpenSSL's DRBG; public key into `pub`. Keeping the EVP_PKEY (not
// the raw private key) avoids re-deriving the public key, a full scalar multiplication.
Pkey x25519_generate(std::span<uint8_t, 32> pub) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  if (!key) return nullptr;
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != 32) return nullptr;
  return key;
}

// X25519(key, peer) into `out`. Fails on a low-order peer key (all-zero result; OpenSSL
// rejects it in derive), as RFC 7748 section 6.1 allows and TLS requires.
bool x25519_derive(EVP_PKEY* key, std::span<const uint8_t> peer, std::span<uint8_t, 32> out) {
  Pkey peer_key(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()));
  if (!peer_key) return false;
  PkeyCtx ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer_key.get()) != 1)
    return false;
  size_t len = out.size();
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1 || len != 32) return false;
  uint8_t acc = 0;  // belt and braces: refuse the all-zero secret ourselves too
  for (uint8_t b : out) acc |= b;
  return acc != 0;
}

// The HKDF implementation is fetched once; EVP_KDF objects are immutable and thread-safe.
EVP_KDF* hkdf_algorithm() {
  static EVP_KDF* const kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  return kdf;
}

bool hkdf_sha256(std::span<const uint8_t> salt, std::span<const uint8_t> ikm,
                 std::span<const uint8_t> info, std::span<uint8_t> out) {
  EVP_KDF* kdf = hkdf_algorithm();
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  if (ctx == nullptr) return false;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(ikm.data()), ikm.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()),
                         OSSL_PARAM_construct_end()};
  const bool ok = EVP_KDF_derive(ctx, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(ctx);
  return ok;
}

}  // namespace

void HybridKem::ClientState::KeyFree::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

Result<HybridKem::ClientShare> HybridKem::ClientShare::from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != kClientShareSize)
    return fail(Errc::kWrongSize, "X25519MLKEM768 client share must be " +
                                      std::to_string(kClientShareSize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  auto ek = MlKem768::EncapsulationKey::from_bytes(bytes.first(MlKem768::kEncapsulationKeySize));
  if (!ek) return std::unexpected(ek.error());
  ClientShare share;
  std::copy(bytes.begin(), bytes.end(), share.bytes_.begin());
  return share;
}

Result<HybridKem::ServerShare> HybridKem::ServerShare::from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != kServerShareSize)
    return fail(Errc::kWrongSize, "X25519MLKEM768 server share must be " +
                                      std::to_string(kServerShareSize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  ServerShare share;
  std::copy(bytes.begin(), bytes.end(), share.bytes_.begin());
  return share;
}

Result<HybridKem::Key> HybridKem::combine(const CombinedSecret& secrets, const ClientShare& client,
                                          const ServerShare& server) {
  std::array<uint8_t, kClientShareSize + kServerShareSize> info;
  std::copy(client.bytes_.begin(), client.bytes_.end(), info.begin());
  std::copy(server.bytes_.begin(), server.bytes_.end(), info.begin() + kClientShareSize);
  Key key;
  const auto salt =
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kSalt.data()), kSalt.size());
  if (!hkdf_sha256(salt, secrets.span(), info, key.span()))
    return fail(Errc::kCryptoFailure, "HKDF-SHA256 failed in OpenSSL");
  return key;
}

Result<HybridKem::ClientStart> HybridKem::client_start() {
  auto kp = MlKem768::generate();
  ClientShare share;
  const auto ek = kp.encapsulation_key.bytes();
  std::copy(ek.begin(), ek.end(), share.bytes_.begin());
  std::array<uint8_t, kX25519Size> pub{};
  Pkey x25519 = x25519_generate(pub);
  if (!x25519) return fail(Errc::kCryptoFailure, "X25519 key generation failed in OpenSSL");
  std::copy(pub.begin(), pub.end(), share.bytes_.begin() + MlKem768::kEncapsulationKeySize);
  ClientState state(std::move(kp.decapsulation_key),
                    std::unique_ptr<evp_pkey_st, ClientState::KeyFree>(x25519.release()), share);
  return ClientStart{std::move(state), share};
}

Result<HybridKem::ServerResponse> HybridKem::server_respond(const ClientShare& client) {
  const auto bytes = std::span<const uint8_t>(client.bytes_);
  // Checked in ClientShare::from_bytes; re-parsed here to get the typed key.
  auto ek = MlKem768::EncapsulationKey::from_bytes(bytes.first(MlKem768::kEncapsulationKeySize));
  if (!ek) return std::unexpected(ek.error());
  auto enc = MlKem768::encapsulate(*ek);

  std::array<uint8_t, kX25519Size> pub{};
  CombinedSecret secrets;
  Pkey x25519 = x25519_generate(pub);
  if (!x25519) return fail(Errc::kCryptoFailure, "X25519 key generation failed in OpenSSL");
  if (!x25519_derive(x25519.get(), bytes.subspan(MlKem768::kEncapsulationKeySize),
                     secrets.span().subspan<32, 32>()))
    return fail(Errc::kInvalidKey, "X25519 peer key is invalid or of low order");
  std::copy(enc.shared_secret.begin(), enc.shared_secret.end(), secrets.begin());

  ServerShare share;
  const auto c = enc.ciphertext.bytes();
  std::copy(c.begin(), c.end(), share.bytes_.begin());
  std::copy(pub.begin(), pub.end(), share.bytes_.begin() + MlKem768::kCiphertextSize);
  auto key = combine(secrets, client, share);
  if (!key) return std::unexpected(key.error());
  return ServerResponse{share, *key};
}

Result<HybridKem::Key> HybridKem::client_finish(const ClientState& state,
                                                const ServerShare& server) {
  const auto bytes = std::span<const uint8_t>(server.bytes_);
  auto c = MlKem768::Ciphertext::from_bytes(bytes.first(MlKem768::kCiphertextSize));
  if (!c) return std::unexpected(c.error());
  CombinedSecret secrets;
  if (!x25519_derive(state.x25519_.get(), bytes.subspan(MlKem768::kCiphertextSize),
                     secrets.span().subspan<32, 32>()))
    return fail(Errc::kInvalidKey, "X25519 peer key is invalid or of low order");
  const auto ss = MlKem768::decapsulate(state.dk_, *c);
  std::copy(ss.begin(), ss.end(), secrets.begin());
  return combine(secrets, state.share_, server);
}

}  // namespace x0::pqc
