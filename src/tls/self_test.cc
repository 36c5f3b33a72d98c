// Power-on self-tests (see self_test.h). The expected digests are SHA-256 over the outputs of
// the fixed inputs below, taken from this implementation while it passes the ACVP vectors
// (tests/pqc/*_acvp_test.cc): a self-test detects a build or a machine that computes something
// else (a miscompilation, a corrupted binary, a broken CPU path), not a wrong algorithm.
#include "tls/self_test.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <span>
#include <string_view>

#include "pqc/composite_signature.h"
#include "pqc/ml_dsa.h"
#include "pqc/ml_kem.h"
#include "tls/provider/pq_provider.h"

namespace x0::tls {
namespace {

using Digest = std::array<uint8_t, 32>;

std::string hex(std::span<const uint8_t> bytes) {
  std::string out;
  char two[3];
  for (uint8_t b : bytes) {
    std::snprintf(two, sizeof two, "%02x", b);
    out += two;
  }
  return out;
}

// SHA-256 over the concatenation of `parts`.
std::string digest(std::initializer_list<std::span<const uint8_t>> parts) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  for (auto part : parts) SHA256_Update(&ctx, part.data(), part.size());
  Digest out;
  SHA256_Final(out.data(), &ctx);
  return hex(out);
}

template <size_t N>
std::array<uint8_t, N> filled(uint8_t value) {
  std::array<uint8_t, N> a;
  a.fill(value);
  return a;
}

std::span<const uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Recorded from this implementation (see the file comment); `x0tta6bl4 pqc selftest --print`
// prints the digests a build computes, to record them again after a deliberate change.
constexpr std::string_view kMlKemDigest =
    "15b7373f917ecd347f34d42efd83d922dd5c2e0c0afb3164c967b6ae37229426";
constexpr std::string_view kMlDsaDigest =
    "a7e6b4548a93dd8f1ce69bb9bb0e3099a2baac09174501e8d1ada1988015861c";
constexpr std::string_view kCompositeKeyDigest =
    "304420245f029944a65a789f91338c4d7fe8a686301c0406214b74eb1a1fa33c";

SelfTestCheck check(std::string name, bool ok, std::string detail) {
  return {std::move(name), ok, ok ? "" : std::move(detail)};
}

SelfTestCheck ml_kem_kat(std::string* computed) {
  using pqc::MlKem768;
  auto d = filled<32>(0x00), z = filled<32>(0x01), m = filled<32>(0x02);
  MlKem768::KeyPair kp = MlKem768::keygen_internal(d, z);
  MlKem768::Encapsulation enc = MlKem768::encapsulate_internal(kp.encapsulation_key, m);
  *computed = digest({kp.encapsulation_key.bytes(), enc.ciphertext.bytes(),
                      enc.shared_secret.span()});
  if (*computed != kMlKemDigest)
    return check("ML-KEM-768 known answer", false, "output digest " + *computed);
  MlKem768::SharedSecret back = MlKem768::decapsulate(kp.decapsulation_key, enc.ciphertext);
  if (!back.equals(enc.shared_secret.span()))
    return check("ML-KEM-768 known answer", false, "decapsulation gave another secret");
  // Implicit rejection: a changed ciphertext decapsulates to another secret, never the real one.
  std::array<uint8_t, MlKem768::kCiphertextSize> changed;
  std::ranges::copy(enc.ciphertext.bytes(), changed.begin());
  changed[0] ^= 1;
  auto bad = MlKem768::Ciphertext::from_bytes(changed);
  bool rejected = bad && !MlKem768::decapsulate(kp.decapsulation_key, *bad)
                               .equals(enc.shared_secret.span());
  return check("ML-KEM-768 known answer", rejected, "a changed ciphertext gave the same secret");
}

SelfTestCheck ml_dsa_kat(std::string* computed) {
  using pqc::MlDsa65;
  auto xi = filled<32>(0x03);
  MlDsa65::KeyPair kp = MlDsa65::keygen_internal(xi);
  const auto message = bytes_of("x0tta6bl4 power-on self-test");
  auto sig = MlDsa65::sign_deterministic(kp.secret_key, message);
  if (!sig) return check("ML-DSA-65 known answer", false, sig.error().detail);
  *computed = digest({kp.public_key.bytes(), sig->bytes()});
  if (*computed != kMlDsaDigest)
    return check("ML-DSA-65 known answer", false, "output digest " + *computed);
  if (!MlDsa65::verify(kp.public_key, message, *sig))
    return check("ML-DSA-65 known answer", false, "its own signature does not verify");
  bool refused = !MlDsa65::verify(kp.public_key, bytes_of("x0tta6bl4 power-on self-tesT"), *sig);
  return check("ML-DSA-65 known answer", refused, "a signature verified for another message");
}

// Key generation is deterministic from the seeds (a known answer); signing is hedged, so the
// signature is checked pairwise: it verifies, and not for another message.
SelfTestCheck composite_pairwise(std::string* computed) {
  using pqc::CompositeSignature;
  auto seeds = filled<CompositeSignature::kSecretKeySize>(0x04);
  auto sk = CompositeSignature::SecretKey::from_bytes(seeds);
  if (!sk) return check("composite signature", false, sk.error().detail);
  *computed = digest({sk->public_key().bytes()});
  if (*computed != kCompositeKeyDigest)
    return check("composite signature", false, "public key digest " + *computed);
  const auto message = bytes_of("x0tta6bl4 power-on self-test");
  auto sig = CompositeSignature::sign(*sk, message);
  if (!sig) return check("composite signature", false, sig.error().detail);
  bool ok = CompositeSignature::verify(sk->public_key(), message, *sig) &&
            !CompositeSignature::verify(sk->public_key(), bytes_of("another message"), *sig);
  return check("composite signature", ok, "pairwise sign/verify failed");
}

// The provider exactly as TLS uses it: a client key share, the server's encapsulation to it, and
// the client's decapsulation agree on the 64-byte secret.
SelfTestCheck provider_round_trip() {
  const char* name = "X25519MLKEM768 provider round trip";
  if (auto loaded = load_pq_provider(); !loaded) return check(name, false, loaded.error().detail);
  EVP_PKEY* client = nullptr;
  EVP_PKEY* server = nullptr;
  EVP_PKEY_CTX* gen = EVP_PKEY_CTX_new_from_name(nullptr, "X25519MLKEM768", nullptr);
  bool ok = gen != nullptr && EVP_PKEY_keygen_init(gen) == 1 && EVP_PKEY_keygen(gen, &client) == 1;
  EVP_PKEY_CTX_free(gen);
  gen = EVP_PKEY_CTX_new_from_name(nullptr, "X25519MLKEM768", nullptr);
  ok = ok && gen != nullptr && EVP_PKEY_paramgen_init(gen) == 1 &&
       EVP_PKEY_paramgen(gen, &server) == 1;
  EVP_PKEY_CTX_free(gen);
  unsigned char* share = nullptr;
  size_t share_len = ok ? EVP_PKEY_get1_encoded_public_key(client, &share) : 0;
  ok = ok && share_len == 1216 && EVP_PKEY_set1_encoded_public_key(server, share, share_len) == 1;
  OPENSSL_free(share);
  unsigned char ct[1120], ss[64], back[64];
  size_t ct_len = sizeof ct, ss_len = sizeof ss, back_len = sizeof back;
  EVP_PKEY_CTX* enc = ok ? EVP_PKEY_CTX_new_from_pkey(nullptr, server, nullptr) : nullptr;
  ok = ok && enc != nullptr && EVP_PKEY_encapsulate_init(enc, nullptr) == 1 &&
       EVP_PKEY_encapsulate(enc, ct, &ct_len, ss, &ss_len) == 1;
  EVP_PKEY_CTX* dec = ok ? EVP_PKEY_CTX_new_from_pkey(nullptr, client, nullptr) : nullptr;
  ok = ok && dec != nullptr && EVP_PKEY_decapsulate_init(dec, nullptr) == 1 &&
       EVP_PKEY_decapsulate(dec, back, &back_len, ct, ct_len) == 1 && back_len == 64 &&
       ss_len == 64 && CRYPTO_memcmp(ss, back, 64) == 0;
  OPENSSL_cleanse(ss, sizeof ss);
  OPENSSL_cleanse(back, sizeof back);
  EVP_PKEY_CTX_free(enc);
  EVP_PKEY_CTX_free(dec);
  EVP_PKEY_free(client);
  EVP_PKEY_free(server);
  return check(name, ok, "key share, encapsulation and decapsulation did not agree");
}

}  // namespace

SelfTestReport run_self_test() { return run_self_test_printing(nullptr); }

SelfTestReport run_self_test_printing(std::vector<std::string>* digests) {
  auto started = std::chrono::steady_clock::now();
  SelfTestReport report;
  report.ran_at_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  std::string kem, dsa, composite;
  report.checks.push_back(ml_kem_kat(&kem));
  report.checks.push_back(ml_dsa_kat(&dsa));
  report.checks.push_back(composite_pairwise(&composite));
  report.checks.push_back(provider_round_trip());
  if (digests != nullptr) *digests = {kem, dsa, composite};
  report.ok = true;
  for (const SelfTestCheck& c : report.checks) report.ok = report.ok && c.ok;
  report.duration_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - started)
                           .count();
  return report;
}

}  // namespace x0::tls
