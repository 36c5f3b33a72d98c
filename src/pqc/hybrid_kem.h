// Hybrid key agreement for mesh links: X25519 + ML-KEM-768, combined like TLS's X25519MLKEM768
// (ML-KEM share first, then X25519; secret = ML-KEM secret ‖ X25519 secret), then one
// HKDF-SHA256 over both secrets bound to both shares. docs/PQC.md "Hybrid key agreement" has
// the exact byte layout. The initiator ("client") sends its share, the responder answers:
//   auto start = HybridKem::client_start();                       // -> send start->share
//   auto resp = HybridKem::server_respond(client_share);          // -> send resp->share
//   auto key = HybridKem::client_finish(start->state, server_share);  // == resp->key
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/result.h"
#include "pqc/ml_kem.h"
#include "pqc/secure.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace x0::pqc {

class HybridKem {
 public:
  static constexpr size_t kX25519Size = 32;
  // Wire layout as in X25519MLKEM768: ML-KEM part first.
  static constexpr size_t kClientShareSize = MlKem768::kEncapsulationKeySize + kX25519Size;
  static constexpr size_t kServerShareSize = MlKem768::kCiphertextSize + kX25519Size;
  static constexpr size_t kKeySize = 32;
  static constexpr std::string_view kSalt = "x0tta6bl4 hybrid kem X25519MLKEM768 v1";

  using Key = SecretBytes<kKeySize>;
  // The two component secrets in X25519MLKEM768 order: ML-KEM (32) ‖ X25519 (32).
  using CombinedSecret = SecretBytes<64>;

  // ek_mlkem ‖ x25519_public. from_bytes runs the ML-KEM ek check (FIPS 203 7.2).
  class ClientShare {
   public:
    static Result<ClientShare> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kClientShareSize> bytes() const { return bytes_; }

   private:
    friend class HybridKem;
    ClientShare() = default;
    std::array<uint8_t, kClientShareSize> bytes_{};
  };

  // ciphertext_mlkem ‖ x25519_public.
  class ServerShare {
   public:
    static Result<ServerShare> from_bytes(std::span<const uint8_t> bytes);
    std::span<const uint8_t, kServerShareSize> bytes() const { return bytes_; }

   private:
    friend class HybridKem;
    ServerShare() = default;
    std::array<uint8_t, kServerShareSize> bytes_{};
  };

  // The initiator's secrets between client_start and client_finish; wiped on destruction
  // (the ML-KEM dk by SecretBytes, the X25519 key by OpenSSL's EVP_PKEY_free). Move-only.
  class ClientState {
   private:
    friend class HybridKem;
    struct KeyFree {
      void operator()(evp_pkey_st* key) const;
    };
    ClientState(MlKem768::DecapsulationKey dk, std::unique_ptr<evp_pkey_st, KeyFree> x25519,
                const ClientShare& share)
        : dk_(std::move(dk)), x25519_(std::move(x25519)), share_(share) {}
    MlKem768::DecapsulationKey dk_;
    std::unique_ptr<evp_pkey_st, KeyFree> x25519_;
    ClientShare share_;
  };

  struct ClientStart {
    ClientState state;
    ClientShare share;
  };
  struct ServerResponse {
    ServerShare share;
    Key key;
  };

  static Result<ClientStart> client_start();
  static Result<ServerResponse> server_respond(const ClientShare& client);
  static Result<Key> client_finish(const ClientState& state, const ServerShare& server);

  // The documented combiner: HKDF-SHA256(salt = kSalt, IKM = secrets (ML-KEM ‖ X25519),
  // info = client share ‖ server share, L = 32).
  static Result<Key> combine(const CombinedSecret& secrets, const ClientShare& client,
                             const ServerShare& server);
};

}  // namespace x0::pqc
