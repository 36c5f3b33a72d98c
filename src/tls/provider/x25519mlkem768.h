// The X25519MLKEM768 key exchange as an OpenSSL 3 provider algorithm: a KEYMGMT (the key share)
// and a KEM (encapsulate on the server, decapsulate on the client) of the same name, as
// OpenSSL's TLS 1.3 uses provider groups (draft-ietf-tls-ecdhe-mlkem, codepoint 0x11EC).
// Wire layout, ML-KEM part first: client share = ek (1184) ‖ X25519 public (32); server share =
// ciphertext (1088) ‖ X25519 public (32); shared secret = ML-KEM ss ‖ X25519 ss (64, raw: the
// TLS key schedule derives from it). Internal to the tls module: pq_provider.cc registers it.
#pragma once

#include <openssl/core.h>
#include <openssl/types.h>

#include <cstddef>
#include <cstdint>

namespace x0::tls::detail {

inline constexpr const char* kHybridGroupName = "X25519MLKEM768";
inline constexpr unsigned kHybridGroupId = 0x11EC;
inline constexpr size_t kX25519Size = 32;
inline constexpr size_t kClientShareSize = 1184 + kX25519Size;
inline constexpr size_t kServerShareSize = 1088 + kX25519Size;
inline constexpr size_t kSharedSecretSize = 32 + 32;

// What the provider's algorithms share: the private library context their X25519 operations run
// in, with OpenSSL's default provider loaded into it.
struct ProviderContext {
  OSSL_LIB_CTX* libctx = nullptr;
  OSSL_PROVIDER* x25519 = nullptr;
};

extern const OSSL_DISPATCH kHybridKeyManagement[];
extern const OSSL_DISPATCH kHybridKem[];

}  // namespace x0::tls::detail
