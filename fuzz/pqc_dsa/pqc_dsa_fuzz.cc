// libFuzzer target: arbitrary bytes into ML-DSA-44/65/87 from_bytes and Verify (the composite
// signature has its own target, fuzz/composite/).
// Besides "no crash, no sanitizer report" it checks strong unforgeability on patched signatures:
// a valid signature with any byte changed must fail (the encoding of z and h is unique, FIPS 204
// Alg. 21), and the unchanged one must verify.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "pqc/ml_dsa.h"

namespace {

using x0::pqc::MlDsa44;
using x0::pqc::MlDsa65;
using x0::pqc::MlDsa87;

constexpr uint8_t kMessage[] = {'f', 'u', 'z', 'z'};

// Parses pk || sig || message straight from the input; verify must simply not misbehave.
template <class Dsa>
void raw_inputs(std::span<const uint8_t> in) {
  (void)Dsa::PublicKey::from_bytes(in);
  (void)Dsa::SecretKey::from_bytes(in);
  (void)Dsa::Signature::from_bytes(in);
  if (in.size() < Dsa::kPublicKeySize + Dsa::kSignatureSize) return;
  const auto pk = Dsa::PublicKey::from_bytes(in.first(Dsa::kPublicKeySize));
  const auto sig = Dsa::Signature::from_bytes(in.subspan(Dsa::kPublicKeySize, Dsa::kSignatureSize));
  if (!pk || !sig) std::abort();
  const auto msg = in.subspan(Dsa::kPublicKeySize + Dsa::kSignatureSize);
  (void)Dsa::verify(*pk, msg, *sig, msg.first(msg.size() > 255 ? 255 : msg.size()));
  (void)Dsa::verify_internal(*pk, msg, *sig);
}

// Applies in = offset(2 bytes) || xor-patch to a valid signature; returns false if the patch
// changed nothing.
bool patch(std::vector<uint8_t>& sig, std::span<const uint8_t> in) {
  if (in.size() < 2) return false;
  size_t pos = (static_cast<size_t>(in[0]) << 8 | in[1]) % sig.size();
  bool changed = false;
  for (uint8_t b : in.subspan(2)) {
    sig[pos] ^= b;
    changed |= b != 0;
    pos = (pos + 1) % sig.size();
  }
  return changed;
}

template <class Dsa>
void patched_signature(std::span<const uint8_t> in) {
  static const auto kp = Dsa::keygen_internal(std::array<uint8_t, 32>{42});
  static const auto good = *Dsa::sign_deterministic(kp.secret_key, kMessage);
  std::vector<uint8_t> raw(good.bytes().begin(), good.bytes().end());
  // Patches can cancel out (the same byte twice); compare with the original instead.
  patch(raw, in);
  const bool changed = !std::equal(raw.begin(), raw.end(), good.bytes().begin());
  const bool ok = Dsa::verify(kp.public_key, kMessage, *Dsa::Signature::from_bytes(raw));
  if (ok == changed) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      raw_inputs<MlDsa44>(in);
      break;
    case 1:
      raw_inputs<MlDsa65>(in);
      break;
    case 2:
      raw_inputs<MlDsa87>(in);
      break;
    case 3:
      patched_signature<MlDsa44>(in);
      break;
    case 4:
      patched_signature<MlDsa65>(in);
      break;
    default:
      patched_signature<MlDsa87>(in);
      break;
  }
  return 0;
}
