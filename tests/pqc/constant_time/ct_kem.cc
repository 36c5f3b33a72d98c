// Constant-time check for ML-KEM, run under valgrind memcheck (ctest label `ct`): the secret
// inputs of KeyGen (d, z), Encaps (m) and Decaps (the dk_PKE and z parts of dk) are marked
// undefined, so memcheck reports any branch or memory index that depends on them. Public
// outputs are marked defined again before they are compared. Exit code 0 means no report from
// this program's own checks; valgrind's --error-exitcode turns a report into a failure.
#include <valgrind/memcheck.h>

#include <cstdio>
#include <cstring>

#include "pqc/keccak_x4.h"
#include "pqc/ml_kem.h"

namespace {

using x0::pqc::MlKem;

void mark_secret(const void* p, size_t n) { (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n); }
void mark_public(const void* p, size_t n) { (void)VALGRIND_MAKE_MEM_DEFINED(p, n); }

template <class Kem>
bool check(const char* name) {
  uint8_t d[32], z[32], m[32];
  for (int i = 0; i < 32; ++i) {
    d[i] = static_cast<uint8_t>(i * 7 + 1);
    z[i] = static_cast<uint8_t>(i * 13 + 5);
    m[i] = static_cast<uint8_t>(i * 29 + 3);
  }

  // KeyGen_internal(d, z): everything it computes depends on the secrets.
  mark_secret(d, sizeof d);
  mark_secret(z, sizeof z);
  auto kp = Kem::keygen_internal(std::span<const uint8_t, 32>(d), std::span<const uint8_t, 32>(z));
  // ek is public: declassify it (and the dk copy of it, and H(ek)) for the next steps.
  const auto ek_bytes = kp.encapsulation_key.bytes();
  mark_public(ek_bytes.data(), ek_bytes.size());
  const auto dk_bytes = kp.decapsulation_key.bytes();
  mark_public(dk_bytes.data() + 384 * Kem::kK, Kem::kEncapsulationKeySize + 32);

  // Encaps_internal(ek, m): m (and so r, K, and the ciphertext noise) is secret.
  mark_secret(m, sizeof m);
  auto enc = Kem::encapsulate_internal(kp.encapsulation_key, std::span<const uint8_t, 32>(m));
  const auto c_bytes = enc.ciphertext.bytes();
  mark_public(c_bytes.data(), c_bytes.size());  // the ciphertext goes on the wire

  // Decaps(dk, c) with dk_PKE and z secret; also once with a tampered ciphertext, which takes
  // the implicit-rejection path.
  mark_secret(dk_bytes.data(), 384 * Kem::kK);
  mark_secret(dk_bytes.data() + 768 * Kem::kK + 64, 32);
  auto k1 = Kem::decapsulate(kp.decapsulation_key, enc.ciphertext);
#ifdef X0_CT_SELF_TEST
  // Deliberate secret-dependent branch: the self-test build must be reported by valgrind
  // (ctest pqc_constant_time_selftest is WILL_FAIL), proving the marking works at all.
  if (k1[0] & 1) std::printf("secret bit set\n");
#endif

  std::array<uint8_t, Kem::kCiphertextSize> tampered;
  std::memcpy(tampered.data(), c_bytes.data(), tampered.size());
  tampered[5] ^= 1;
  auto c2 = Kem::Ciphertext::from_bytes(tampered);
  if (!c2) return false;
  auto k2 = Kem::decapsulate(kp.decapsulation_key, *c2);

  // Declassify the results only to compare them.
  mark_public(k1.data(), k1.size());
  mark_public(k2.data(), k2.size());
  mark_public(enc.shared_secret.data(), enc.shared_secret.size());
  const bool ok = k1.equals(enc.shared_secret.span()) && !k2.equals(enc.shared_secret.span());
  std::printf("%s: %s\n", name, ok ? "round trip ok" : "MISMATCH");
  return ok;
}

}  // namespace

int main() {
  bool ok = true;
  // Both matrix samplers (AVX2 4-way Keccak where the CPU, or valgrind's CPU, has it).
  for (bool x4 : {true, false}) {
    x0::pqc::detail::ShakeX4::set_enabled(x4);
    std::printf("sampler: %s\n", x0::pqc::detail::ShakeX4::available() ? "avx2 x4" : "portable");
    ok = check<x0::pqc::MlKem512>("ML-KEM-512") && ok;
    ok = check<x0::pqc::MlKem768>("ML-KEM-768") && ok;
    ok = check<x0::pqc::MlKem1024>("ML-KEM-1024") && ok;
  }
  return ok ? 0 : 2;
}
