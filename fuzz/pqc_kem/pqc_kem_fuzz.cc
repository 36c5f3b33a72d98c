// libFuzzer target for ML-KEM and the hybrid shares: arbitrary bytes go to every from_bytes (the
// FIPS 203 section 7 key checks), and accepted inputs go through Encaps / Decaps. The first byte
// picks the parameter set and the operation. Decaps must never fail or crash, whatever c is.
#include <cstddef>
#include <cstdint>
#include <span>

#include "pqc/hybrid_kem.h"
#include "pqc/ml_kem.h"

namespace {

using namespace x0::pqc;

// A fixed key pair per parameter set, so Decaps runs on fuzzer-chosen ciphertexts.
template <class Kem>
const typename Kem::KeyPair& fixed_key_pair() {
  static const auto kp = [] {
    std::array<uint8_t, 32> d{}, z{};
    d.fill(0x42);
    z.fill(0x24);
    return Kem::keygen_internal(d, z);
  }();
  return kp;
}

template <class Kem>
void fuzz_kem(uint8_t op, std::span<const uint8_t> data) {
  switch (op % 4) {
    case 0: {  // ek check, then Encaps with a deterministic m
      auto ek = Kem::EncapsulationKey::from_bytes(data);
      if (!ek) return;
      std::array<uint8_t, 32> m{};
      auto enc = Kem::encapsulate_internal(*ek, m);
      (void)enc;
      break;
    }
    case 1: {  // dk check, then Decaps of a fixed ciphertext
      auto dk = Kem::DecapsulationKey::from_bytes(data);
      if (!dk) return;
      std::array<uint8_t, Kem::kCiphertextSize> c{};
      auto ct = Kem::Ciphertext::from_bytes(c);
      if (ct) (void)Kem::decapsulate(*dk, *ct);
      break;
    }
    default: {  // Decaps of arbitrary ciphertext bytes (padded or truncated to size as well)
      auto ct = Kem::Ciphertext::from_bytes(data);
      if (!ct) {
        std::array<uint8_t, Kem::kCiphertextSize> c{};
        for (size_t i = 0; i < c.size() && i < data.size(); ++i) c[i] = data[i];
        ct = Kem::Ciphertext::from_bytes(c);
      }
      auto ss = Kem::decapsulate(fixed_key_pair<Kem>().decapsulation_key, *ct);
      (void)ss;
      break;
    }
  }
}

void fuzz_hybrid(uint8_t op, std::span<const uint8_t> data) {
  if (op % 2 == 0) {
    auto client = HybridKem::ClientShare::from_bytes(data);
    if (client) (void)HybridKem::server_respond(*client);
  } else {
    static const auto start = HybridKem::client_start();
    auto server = HybridKem::ServerShare::from_bytes(data);
    if (server && start) (void)HybridKem::client_finish(start->state, *server);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::span<const uint8_t> rest(data + 1, size - 1);
  switch (selector % 4) {
    case 0:
      fuzz_kem<MlKem512>(static_cast<uint8_t>(selector >> 2), rest);
      break;
    case 1:
      fuzz_kem<MlKem768>(static_cast<uint8_t>(selector >> 2), rest);
      break;
    case 2:
      fuzz_kem<MlKem1024>(static_cast<uint8_t>(selector >> 2), rest);
      break;
    default:
      fuzz_hybrid(static_cast<uint8_t>(selector >> 2), rest);
      break;
  }
  return 0;
}
