// ML-DSA KeyGen / Sign / Verify (FIPS 204 Alg. 1-8) over the ring code in ml_dsa_poly.h, one
// template for the three parameter sets (instantiated at the bottom). Every signing path goes
// through mu; valgrind declassification points are commented with the FIPS 204 rule behind them.
#include "pqc/ml_dsa.h"

#include <algorithm>
#include <cstring>

#include "pqc/ml_dsa_core.h"

namespace x0::pqc {
namespace dsa = detail::dsa;

namespace {

using dsa::Dims;
using dsa::Scrubbed;
using dsa::shake256_parts;

// mu = H(tr || M', 64) with M' = prefix || message; tr = H(pk, 64) when only pk is at hand.
void compute_mu(std::span<uint8_t, 64> mu, std::span<const uint8_t, 64> tr,
                std::span<const uint8_t> prefix, std::span<const uint8_t> message) {
  shake256_parts(mu, {tr, prefix, message});
}

// 0x00 || |ctx| || ctx (Alg. 2 line 10 / Alg. 3 line 5); context.size() <= 255 checked before.
struct PurePrefix {
  std::array<uint8_t, 2 + 255> bytes;
  size_t size;
  std::span<const uint8_t> span() const { return {bytes.data(), size}; }
};
PurePrefix pure_prefix(std::span<const uint8_t> context) {
  PurePrefix prefix;
  prefix.bytes[0] = 0x00;
  prefix.bytes[1] = static_cast<uint8_t>(context.size());
  std::copy(context.begin(), context.end(), prefix.bytes.begin() + 2);
  prefix.size = 2 + context.size();
  return prefix;
}

}  // namespace

template <class P>
auto MlDsa<P>::PublicKey::from_bytes(std::span<const uint8_t> bytes) -> Result<PublicKey> {
  if (bytes.size() != kSize) {
    return fail(Errc::kWrongSize, std::string(kName) + " public key must be " +
                                      std::to_string(kSize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  }
  PublicKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

template <class P>
auto MlDsa<P>::SecretKey::from_bytes(std::span<const uint8_t> bytes) -> Result<SecretKey> {
  if (bytes.size() != kSize) {
    return fail(Errc::kWrongSize, std::string(kName) + " secret key must be " +
                                      std::to_string(kSize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  }
  // s1 and s2 must decode into [-eta, eta] (encoded values 0..2*eta): KeyGen never produces
  // anything else, and a corrupted key would otherwise sign with out-of-range secrets. The check
  // accumulates without branching on the key; only the verdict is public.
  int32_t bad = 0;
  const uint8_t* p = bytes.data() + 128;
  for (size_t r = 0; r < kK + kL; ++r, p += 32 * kEtaBits) {
    dsa::unpack_bits(p, kEtaBits, [&](int, int32_t x) { bad |= (2 * P::kEta - x) >> 31; });
  }
  dsa::declassify(&bad, sizeof(bad));
  if (bad)
    return fail(Errc::kInvalidKey, std::string(kName) + " secret key has s1/s2 out of range");
  SecretKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

template <class P>
auto MlDsa<P>::Signature::from_bytes(std::span<const uint8_t> bytes) -> Result<Signature> {
  if (bytes.size() != kSize) {
    return fail(Errc::kWrongSize, std::string(kName) + " signature must be " +
                                      std::to_string(kSize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  }
  Signature sig;
  std::copy(bytes.begin(), bytes.end(), sig.bytes_.begin());
  return sig;
}

template <class P>
auto MlDsa<P>::generate() -> KeyPair {
  SecretBytes<kSeedSize> xi;
  random_bytes(xi.span());
  return keygen_internal(xi.span());
}

template <class P>
auto MlDsa<P>::keygen_internal(std::span<const uint8_t, kSeedSize> xi) -> KeyPair {
  using D = Dims<P>;
  SecretBytes<128> seeds;  // rho (32) || rho' (64) || K (32), Alg. 6 line 1
  const uint8_t dims[2] = {static_cast<uint8_t>(P::kK), static_cast<uint8_t>(P::kL)};
  shake256_parts(seeds.span(), {xi, dims});
  const auto all = std::span<const uint8_t, 128>(seeds.span());
  dsa::declassify(seeds.data(), 32);  // rho is published in pk
  const auto rho = all.template subspan<0, 32>();
  const auto rho_prime = all.template subspan<32, 64>();

  Scrubbed<typename D::VecL> s1, s1_hat;
  Scrubbed<typename D::VecK> s2, t0;
  for (size_t r = 0; r < D::kL; ++r) {
    dsa::rej_bounded_poly(s1.v[r], rho_prime, static_cast<uint16_t>(r), P::kEta);
  }
  for (size_t r = 0; r < D::kK; ++r) {
    dsa::rej_bounded_poly(s2.v[r], rho_prime, static_cast<uint16_t>(D::kL + r), P::kEta);
  }
  s1_hat.v = s1.v;
  for (auto& poly : s1_hat.v) dsa::ntt(poly);
  typename D::Matrix a;
  dsa::expand_a<P>(a, rho);

  KeyPair kp{PublicKey(), SecretKey()};
  uint8_t* pk = kp.public_key.bytes_.data();
  std::memcpy(pk, rho.data(), 32);
  Scrubbed<dsa::Poly> t;
  dsa::Poly t1;
  for (size_t r = 0; r < D::kK; ++r) {
    // t = NTT^-1(A o NTT(s1)) + s2; (t1, t0) = Power2Round(t).
    dsa::dot_montgomery(t.v, a[r], s1_hat.v);
    dsa::inv_ntt_to_mont(t.v);
    for (size_t i = 0; i < dsa::kN; ++i) {
      dsa::power2round(dsa::freeze(t.v[i] + s2.v[r][i]), t1[i], t0.v[r][i]);
    }
    dsa::declassify(t1.data(), sizeof(t1));  // t1 is the public key
    dsa::pack_simple(pk + 32 + r * 320, t1, 10);
  }
  // skEncode (Alg. 24): rho || K || tr || s1 || s2 || t0.
  uint8_t* sk = kp.secret_key.bytes_.data();
  std::memcpy(sk, rho.data(), 32);
  std::memcpy(sk + 32, seeds.data() + 96, 32);
  shake256_parts(std::span<uint8_t>(sk + 64, 64), {kp.public_key.bytes_});
  uint8_t* out = sk + 128;
  for (const auto& poly : s1.v) {
    dsa::pack_offset(out, poly, D::kEtaBits, P::kEta);
    out += 32 * D::kEtaBits;
  }
  for (const auto& poly : s2.v) {
    dsa::pack_offset(out, poly, D::kEtaBits, P::kEta);
    out += 32 * D::kEtaBits;
  }
  for (const auto& poly : t0.v) {
    dsa::pack_offset(out, poly, dsa::kD, 1 << (dsa::kD - 1));
    out += 32 * dsa::kD;
  }
  return kp;
}

template <class P>
auto MlDsa<P>::sign_mu(const SecretKey& sk, std::span<const uint8_t, kMuSize> mu,
                       std::span<const uint8_t, kRandomnessSize> rnd) -> Result<Signature> {
  Signature sig;
  if (!dsa::sign_from_mu<P>(sk.bytes(), mu, rnd, sig.bytes_)) {
    return fail(Errc::kSignFailed, std::string(kName) + " signing loop exceeded its bound");
  }
  return sig;
}

template <class P>
auto MlDsa<P>::sign_internal(const SecretKey& sk, std::span<const uint8_t> m_prime,
                             std::span<const uint8_t, kRandomnessSize> rnd) -> Result<Signature> {
  std::array<uint8_t, kMuSize> mu;
  compute_mu(mu, sk.bytes().template subspan<64, 64>(), {}, m_prime);
  return sign_mu(sk, mu, rnd);
}

template <class P>
auto MlDsa<P>::sign_with_randomness(const SecretKey& sk, std::span<const uint8_t> message,
                                    std::span<const uint8_t> context,
                                    std::span<const uint8_t, kRandomnessSize> rnd)
    -> Result<Signature> {
  if (context.size() > kMaxContextSize) {
    return fail(Errc::kContextTooLong, "ML-DSA context must be at most 255 bytes");
  }
  std::array<uint8_t, kMuSize> mu;
  compute_mu(mu, sk.bytes().template subspan<64, 64>(), pure_prefix(context).span(), message);
  return sign_mu(sk, mu, rnd);
}

template <class P>
auto MlDsa<P>::sign(const SecretKey& sk, std::span<const uint8_t> message,
                    std::span<const uint8_t> context) -> Result<Signature> {
  SecretBytes<kRandomnessSize> rnd;
  random_bytes(rnd.span());
  return sign_with_randomness(sk, message, context, rnd.span());
}

template <class P>
auto MlDsa<P>::sign_deterministic(const SecretKey& sk, std::span<const uint8_t> message,
                                  std::span<const uint8_t> context) -> Result<Signature> {
  const std::array<uint8_t, kRandomnessSize> zero{};
  return sign_with_randomness(sk, message, context, zero);
}

template <class P>
bool MlDsa<P>::verify_mu(const PublicKey& pk, std::span<const uint8_t, kMuSize> mu,
                         const Signature& sig) {
  return dsa::verify_from_mu<P>(pk.bytes(), mu, sig.bytes());
}

template <class P>
bool MlDsa<P>::verify_internal(const PublicKey& pk, std::span<const uint8_t> m_prime,
                               const Signature& sig) {
  std::array<uint8_t, 64> tr;
  shake256_parts(tr, {pk.bytes()});
  std::array<uint8_t, kMuSize> mu;
  compute_mu(mu, tr, {}, m_prime);
  return verify_mu(pk, mu, sig);
}

template <class P>
bool MlDsa<P>::verify(const PublicKey& pk, std::span<const uint8_t> message, const Signature& sig,
                      std::span<const uint8_t> context) {
  if (context.size() > kMaxContextSize) return false;
  std::array<uint8_t, 64> tr;
  shake256_parts(tr, {pk.bytes()});
  std::array<uint8_t, kMuSize> mu;
  compute_mu(mu, tr, pure_prefix(context).span(), message);
  return verify_mu(pk, mu, sig);
}

template <class P>
auto MlDsa<P>::hash_sign_with_randomness(const SecretKey& sk, std::span<const uint8_t> message,
                                         std::span<const uint8_t> context,
                                         std::string_view hash_alg,
                                         std::span<const uint8_t, kRandomnessSize> rnd)
    -> Result<Signature> {
  auto m_prime = dsa::prehash_message(message, context, hash_alg);
  if (!m_prime) return std::unexpected(m_prime.error());
  return sign_internal(sk, *m_prime, rnd);
}

template <class P>
auto MlDsa<P>::hash_sign(const SecretKey& sk, std::span<const uint8_t> message,
                         std::span<const uint8_t> context, std::string_view hash_alg)
    -> Result<Signature> {
  SecretBytes<kRandomnessSize> rnd;
  random_bytes(rnd.span());
  return hash_sign_with_randomness(sk, message, context, hash_alg, rnd.span());
}

template <class P>
bool MlDsa<P>::hash_verify(const PublicKey& pk, std::span<const uint8_t> message,
                           const Signature& sig, std::span<const uint8_t> context,
                           std::string_view hash_alg) {
  auto m_prime = dsa::prehash_message(message, context, hash_alg);
  return m_prime && verify_internal(pk, *m_prime, sig);
}

template class MlDsa<MlDsa44Params>;
template class MlDsa<MlDsa65Params>;
template class MlDsa<MlDsa87Params>;

}  // namespace x0::pqc
