// libFuzzer target: the composite ML-DSA-65 + Ed25519 signature (id-MLDSA65-Ed25519-SHA512).
// The first byte picks the mode: raw bytes into every from_bytes and Verify; a patch XORed into a
// valid signature or into its public key (any change must fail, the unchanged pair must verify);
// or 64 bytes as the two seeds of a secret key that must sign what its public key verifies.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "pqc/composite_signature.h"

namespace {

using Composite = x0::pqc::CompositeSignature;

constexpr uint8_t kMessage[] = {'f', 'u', 'z', 'z'};

// pk || sig || ctx (up to 256 bytes, so also one too long) and the same bytes as the message.
void raw_inputs(std::span<const uint8_t> in) {
  (void)Composite::PublicKey::from_bytes(in);
  (void)Composite::SecretKey::from_bytes(in);
  (void)Composite::Signature::from_bytes(in);
  if (in.size() < Composite::kPublicKeySize + Composite::kSignatureSize) return;
  const auto pk = Composite::PublicKey::from_bytes(in.first(Composite::kPublicKeySize));
  const auto sig = Composite::Signature::from_bytes(
      in.subspan(Composite::kPublicKeySize, Composite::kSignatureSize));
  if (!pk || !sig) std::abort();
  const auto rest = in.subspan(Composite::kPublicKeySize + Composite::kSignatureSize);
  const auto ctx = rest.first(std::min<size_t>(rest.size(), Composite::kMaxContextSize + 1));
  const bool ok = Composite::verify(*pk, rest, *sig, ctx);
  if (ok && ctx.size() > Composite::kMaxContextSize) std::abort();
}

// Applies in = offset(2 bytes) || xor-patch to `bytes`, wrapping around.
void patch(std::span<uint8_t> bytes, std::span<const uint8_t> in) {
  if (in.size() < 2) return;
  size_t pos = (static_cast<size_t>(in[0]) << 8 | in[1]) % bytes.size();
  for (uint8_t b : in.subspan(2)) {
    bytes[pos] ^= b;
    pos = (pos + 1) % bytes.size();
  }
}

struct Fixed {
  Composite::PublicKey pk;
  Composite::Signature sig;
};

const Fixed& fixed() {
  static const Fixed f = [] {
    const auto sk = *Composite::SecretKey::from_bytes(std::array<uint8_t, 64>{42});
    return Fixed{sk.public_key(), *Composite::sign(sk, kMessage)};
  }();
  return f;
}

// Both halves are strongly unforgeable here: ML-DSA's encoding of z and h is unique (FIPS 204
// Alg. 21) and OpenSSL's Ed25519 rejects S >= L and compares R byte for byte (RFC 8032 5.1.7),
// so any changed byte must fail. Patches can cancel out; compare with the original instead.
void patched_signature(std::span<const uint8_t> in) {
  const auto& f = fixed();
  std::vector<uint8_t> raw(f.sig.bytes().begin(), f.sig.bytes().end());
  patch(raw, in);
  const bool changed = !std::ranges::equal(raw, f.sig.bytes());
  const bool ok = Composite::verify(f.pk, kMessage, *Composite::Signature::from_bytes(raw));
  if (ok == changed) std::abort();
}

// A changed public key changes what both halves hash (tr = H(pk) for ML-DSA, H(R || A || M')
// for Ed25519), so the fixed signature must fail under it.
void patched_public_key(std::span<const uint8_t> in) {
  const auto& f = fixed();
  std::vector<uint8_t> raw(f.pk.bytes().begin(), f.pk.bytes().end());
  patch(raw, in);
  const bool changed = !std::ranges::equal(raw, f.pk.bytes());
  const bool ok = Composite::verify(*Composite::PublicKey::from_bytes(raw), kMessage, f.sig);
  if (ok == changed) std::abort();
}

// in = ML-DSA seed (32) || Ed25519 seed (32) || |ctx| || ctx || message.
void sign_from_seeds(std::span<const uint8_t> in) {
  if (in.size() < Composite::kSecretKeySize) return;
  const auto sk = Composite::SecretKey::from_bytes(in.first(Composite::kSecretKeySize));
  if (!sk) std::abort();
  auto rest = in.subspan(Composite::kSecretKeySize);
  const size_t ctx_size = rest.empty() ? 0 : std::min<size_t>(rest[0], rest.size() - 1);
  const auto ctx = rest.empty() ? rest : rest.subspan(1, ctx_size);
  const auto msg = rest.empty() ? rest : rest.subspan(1 + ctx_size);
  const auto sig = Composite::sign(*sk, msg, ctx);
  if (!sig || !Composite::verify(sk->public_key(), msg, *sig, ctx)) std::abort();
  const auto again = Composite::SecretKey::from_bytes(sk->bytes());
  if (!again || !(again->public_key() == sk->public_key())) std::abort();
  if (ctx.size() < Composite::kMaxContextSize) {
    std::vector<uint8_t> longer(ctx.begin(), ctx.end());
    longer.push_back(0);
    if (Composite::verify(sk->public_key(), msg, *sig, longer)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      raw_inputs(in);
      break;
    case 1:
      patched_signature(in);
      break;
    case 2:
      patched_public_key(in);
      break;
    default:
      sign_from_seeds(in);
      break;
  }
  return 0;
}
