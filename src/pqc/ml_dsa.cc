// ML-DSA KeyGen / Sign / Verify (FIPS 204 Alg. 1-8) over the ring code in ml_dsa_poly.h, one
// template for the three parameter sets (instantiated at the bottom). Every signing path goes
// through mu; valgrind declassification points are commented with the FIPS 204 rule behind them.
#include "pqc/ml_dsa.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <vector>

#include "pqc/ml_dsa_poly.h"
#include "pqc/xof.h"

namespace x0::pqc {
namespace dsa = detail::dsa;

namespace detail::dsa {
// Defined in ml_dsa_prehash.cc: M' for HashML-DSA (Alg. 4 / 5).
Result<std::vector<uint8_t>> prehash_message(std::span<const uint8_t> message,
                                             std::span<const uint8_t> context,
                                             std::string_view hash_alg);
}  // namespace detail::dsa

namespace {

// FIPS 204 Appendix C allows bounding the signing loop; 814 attempts fail with probability
// below 2^-256 for every parameter set.
constexpr int kMaxSignAttempts = 814;

template <class P>
struct Dims {
  static constexpr size_t kK = P::kK, kL = P::kL;
  static constexpr int32_t kGamma2 = (dsa::kQ - 1) / P::kGamma2Divisor;
  static constexpr int32_t kBeta = P::kTau * P::kEta;
  static constexpr int kW1Bits = P::kGamma2Divisor == 88 ? 6 : 4;
  static constexpr int kEtaBits = MlDsa<P>::kEtaBits;
  static constexpr int kZBits = MlDsa<P>::kZBits;
  static constexpr size_t kCTildeSize = P::kLambda / 4;
  static constexpr size_t kW1PackedSize = kK * 32 * kW1Bits;
  static constexpr size_t kHintOffset = kCTildeSize + kL * 32 * kZBits;
  using VecK = std::array<dsa::Poly, kK>;
  using VecL = std::array<dsa::Poly, kL>;
  using Matrix = std::array<VecL, kK>;
};

// A value wiped on scope exit (FIPS 204 section 3.6.3: destroy intermediate secrets).
template <class T>
struct Scrubbed {
  T v{};
  Scrubbed() = default;
  Scrubbed(const Scrubbed&) = delete;
  Scrubbed& operator=(const Scrubbed&) = delete;
  ~Scrubbed() { secure_wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&v), sizeof(T))); }
};

// H (SHAKE256) over the concatenation of parts.
void shake256_parts(std::span<uint8_t> out, std::initializer_list<std::span<const uint8_t>> parts) {
  detail::Shake xof(detail::Shake::Kind::k256);
  for (auto part : parts) xof.absorb(part);
  xof.squeeze(out);
}

// All ones iff |x| >= bound, for |x| < 2^30.
inline int32_t abs_exceeds(int32_t x, int32_t bound) {
  const int32_t abs = x - ((x >> 31) & (2 * x));
  return (bound - 1 - abs) >> 31;
}

template <class P>
void expand_a(typename Dims<P>::Matrix& a, std::span<const uint8_t, 32> rho) {
  for (size_t r = 0; r < Dims<P>::kK; ++r) {
    for (size_t s = 0; s < Dims<P>::kL; ++s) {
      dsa::rej_ntt_poly(a[r][s], rho, static_cast<uint8_t>(s), static_cast<uint8_t>(r));
    }
  }
}

template <class P>
void pack_w1(uint8_t* out, const typename Dims<P>::VecK& w1) {
  for (size_t r = 0; r < Dims<P>::kK; ++r) {
    dsa::pack_simple(out + r * 32 * Dims<P>::kW1Bits, w1[r], Dims<P>::kW1Bits);
  }
}

// HintBitUnpack (Alg. 21); false on any malformed encoding.
template <class P>
bool unpack_hints(const uint8_t* y, typename Dims<P>::VecK& h) {
  for (auto& poly : h) poly.fill(0);
  size_t index = 0;
  for (size_t i = 0; i < Dims<P>::kK; ++i) {
    const size_t end = y[P::kOmega + i];
    if (end < index || end > static_cast<size_t>(P::kOmega)) return false;
    const size_t first = index;
    for (; index < end; ++index) {
      if (index > first && y[index - 1] >= y[index]) return false;
      h[i][y[index]] = 1;
    }
  }
  for (size_t i = index; i < static_cast<size_t>(P::kOmega); ++i) {
    if (y[i] != 0) return false;
  }
  return true;
}

// Alg. 7 from line 7 on: the signing loop over a given mu. False only if the loop bound is hit.
template <class P>
bool sign_from_mu(std::span<const uint8_t, MlDsa<P>::kSecretKeySize> sk,
                  std::span<const uint8_t, 64> mu, std::span<const uint8_t, 32> rnd,
                  std::span<uint8_t, MlDsa<P>::kSignatureSize> sig) {
  using D = Dims<P>;
  constexpr int32_t kGamma2 = D::kGamma2;
  // skDecode (Alg. 25).
  std::array<uint8_t, 32> rho;
  std::memcpy(rho.data(), sk.data(), 32);
  dsa::declassify(rho.data(), rho.size());  // rho is part of the public key
  const auto key = sk.template subspan<32, 32>();
  Scrubbed<typename D::VecL> s1;
  Scrubbed<typename D::VecK> s2, t0;
  const uint8_t* p = sk.data() + 128;
  for (auto& poly : s1.v) {
    dsa::unpack_offset(poly, p, D::kEtaBits, P::kEta);
    p += 32 * D::kEtaBits;
  }
  for (auto& poly : s2.v) {
    dsa::unpack_offset(poly, p, D::kEtaBits, P::kEta);
    p += 32 * D::kEtaBits;
  }
  for (auto& poly : t0.v) {
    dsa::unpack_offset(poly, p, dsa::kD, 1 << (dsa::kD - 1));
    p += 32 * dsa::kD;
  }
  for (auto& poly : s1.v) dsa::ntt(poly);
  for (auto& poly : s2.v) dsa::ntt(poly);
  for (auto& poly : t0.v) dsa::ntt(poly);

  Scrubbed<std::array<uint8_t, 64>> rho_pp;
  shake256_parts(rho_pp.v, {key, rnd, mu});
  typename D::Matrix a;
  expand_a<P>(a, rho);

  struct Work {
    typename D::VecL y, z;
    typename D::VecK w, w1, cs2, ct0, h;
    dsa::Poly c;
    std::array<uint8_t, D::kW1PackedSize> w1_packed;
    std::array<uint8_t, D::kCTildeSize> c_tilde;
  };
  Scrubbed<Work> work;
  Work& k = work.v;
  uint16_t kappa = 0;
  for (int attempt = 0; attempt < kMaxSignAttempts; ++attempt, kappa += D::kL) {
    // y = ExpandMask(rho'', kappa); w = NTT^-1(A o NTT(y)); w1 = HighBits(w).
    for (size_t r = 0; r < D::kL; ++r) {
      dsa::expand_mask_poly(k.y[r], rho_pp.v, static_cast<uint16_t>(kappa + r), P::kGamma1);
      k.z[r] = k.y[r];
      dsa::ntt(k.z[r]);
    }
    for (size_t r = 0; r < D::kK; ++r) {
      dsa::dot_montgomery(k.w[r], a[r], k.z);
      dsa::inv_ntt_to_mont(k.w[r]);
      for (size_t i = 0; i < dsa::kN; ++i) {
        k.w[r][i] = dsa::caddq(k.w[r][i]);
        k.w1[r][i] = dsa::high_bits<kGamma2>(k.w[r][i]);
      }
    }
    pack_w1<P>(k.w1_packed.data(), k.w1);
    shake256_parts(k.c_tilde, {mu, k.w1_packed});
    // c~ is a random-oracle output and is published in the signature; for rejected attempts it
    // reveals nothing about the key either (FIPS 204 section 3.6.1 / Dilithium round-3 spec 5.5).
    dsa::declassify(k.c_tilde.data(), k.c_tilde.size());
    dsa::sample_in_ball(k.c, k.c_tilde, P::kTau);
    dsa::ntt(k.c);

    // The three rejection tests of Alg. 7 (lines 23 and 28), cheapest-to-fail first. Each
    // decision is declassified on its own: FIPS 204 lets the number of iterations leak, and
    // which test discarded a candidate says nothing about the key either, since the candidate is
    // thrown away (Dilithium round-3 spec, section 5.5).
    // r0 = LowBits(w - <<c s2>>), ||r0|| < gamma2 - beta (fails ~70% of attempts for ML-DSA-65).
    int32_t reject = 0;
    for (size_t r = 0; r < D::kK; ++r) {
      dsa::mul_montgomery(k.cs2[r], k.c, s2.v[r]);
      dsa::inv_ntt_to_mont(k.cs2[r]);
      for (size_t i = 0; i < dsa::kN; ++i) {
        const int32_t v = dsa::freeze(k.w[r][i] - k.cs2[r][i]);  // w - cs2 in [0, q)
        int32_t v1, v0;
        dsa::decompose<kGamma2>(v, v1, v0);
        reject |= abs_exceeds(v0, kGamma2 - D::kBeta);
        k.w[r][i] = v;
        k.w1[r][i] = v1;
      }
    }
    dsa::declassify(&reject, sizeof(reject));  // rejection decision (see above)
    if (reject) continue;

    // z = y + <<c s1>>, ||z|| < gamma1 - beta.
    for (size_t r = 0; r < D::kL; ++r) {
      dsa::mul_montgomery(k.z[r], k.c, s1.v[r]);
      dsa::inv_ntt_to_mont(k.z[r]);
      for (size_t i = 0; i < dsa::kN; ++i) k.z[r][i] = dsa::centered(k.z[r][i] + k.y[r][i]);
      reject |= dsa::exceeds_norm(k.z[r], P::kGamma1 - D::kBeta);
    }
    dsa::declassify(&reject, sizeof(reject));  // rejection decision (see above)
    if (reject) continue;

    // h = MakeHint(-<<c t0>>, w - cs2 + <<c t0>>) = [HighBits(w - cs2 + ct0) != HighBits(w - cs2)].
    int32_t hint_count = 0;
    for (size_t r = 0; r < D::kK; ++r) {
      dsa::mul_montgomery(k.ct0[r], k.c, t0.v[r]);
      dsa::inv_ntt_to_mont(k.ct0[r]);
      for (size_t i = 0; i < dsa::kN; ++i) {
        const int32_t ct0 = dsa::centered(k.ct0[r][i]);
        reject |= abs_exceeds(ct0, kGamma2);
        const int32_t moved = dsa::high_bits<kGamma2>(dsa::freeze(k.w[r][i] + ct0));
        k.h[r][i] = static_cast<int32_t>(moved != k.w1[r][i]);
        hint_count += k.h[r][i];
      }
    }
    reject |= (P::kOmega - hint_count) >> 31;
    dsa::declassify(&reject, sizeof(reject));  // rejection decision (see above)
    if (reject) continue;

    // Accepted: z and h are the published signature (FIPS 204 Alg. 7 line 33).
    dsa::declassify(&k.z, sizeof(k.z));
    dsa::declassify(&k.h, sizeof(k.h));
    // sigEncode (Alg. 26).
    std::memcpy(sig.data(), k.c_tilde.data(), D::kCTildeSize);
    uint8_t* out = sig.data() + D::kCTildeSize;
    for (size_t r = 0; r < D::kL; ++r) {
      dsa::pack_offset(out, k.z[r], D::kZBits, P::kGamma1);
      out += 32 * D::kZBits;
    }
    std::fill(out, out + P::kOmega + D::kK, uint8_t{0});
    size_t index = 0;
    for (size_t r = 0; r < D::kK; ++r) {
      for (size_t i = 0; i < dsa::kN; ++i) {
        if (k.h[r][i]) out[index++] = static_cast<uint8_t>(i);
      }
      out[P::kOmega + r] = static_cast<uint8_t>(index);
    }
    return true;
  }
  return false;
}

// Alg. 8 from line 7 on, over a given mu.
template <class P>
bool verify_from_mu(std::span<const uint8_t, MlDsa<P>::kPublicKeySize> pk,
                    std::span<const uint8_t, 64> mu,
                    std::span<const uint8_t, MlDsa<P>::kSignatureSize> sig) {
  using D = Dims<P>;
  // sigDecode (Alg. 27).
  typename D::VecL z;
  typename D::VecK h;
  const uint8_t* p = sig.data() + D::kCTildeSize;
  for (auto& poly : z) {
    dsa::unpack_offset(poly, p, D::kZBits, P::kGamma1);
    p += 32 * D::kZBits;
  }
  if (!unpack_hints<P>(sig.data() + D::kHintOffset, h)) return false;
  int32_t too_big = 0;
  for (const auto& poly : z) too_big |= dsa::exceeds_norm(poly, P::kGamma1 - D::kBeta);
  if (too_big) return false;

  // pkDecode (Alg. 23).
  const auto rho = pk.template first<32>();
  typename D::VecK t1;
  for (size_t r = 0; r < D::kK; ++r) {
    dsa::unpack_simple(t1[r], pk.data() + 32 + r * 320, 10);
  }
  typename D::Matrix a;
  expand_a<P>(a, rho);
  dsa::Poly c;
  dsa::sample_in_ball(c, sig.template first<D::kCTildeSize>(), P::kTau);
  dsa::ntt(c);
  for (auto& poly : z) dsa::ntt(poly);

  // w'_approx = NTT^-1(A o NTT(z) - NTT(c) o NTT(t1 * 2^d)); w1' = UseHint(h, w'_approx).
  typename D::VecK w1;
  for (size_t r = 0; r < D::kK; ++r) {
    for (auto& coeff : t1[r]) coeff <<= dsa::kD;
    dsa::ntt(t1[r]);
    std::array<int64_t, dsa::kN> acc{};
    for (size_t s = 0; s < D::kL; ++s) {
      for (size_t i = 0; i < dsa::kN; ++i) acc[i] += int64_t{a[r][s][i]} * z[s][i];
    }
    for (size_t i = 0; i < dsa::kN; ++i) {
      w1[r][i] = dsa::montgomery_reduce(acc[i] - int64_t{c[i]} * t1[r][i]);
    }
    dsa::inv_ntt_to_mont(w1[r]);
    for (size_t i = 0; i < dsa::kN; ++i) {
      w1[r][i] = dsa::use_hint<D::kGamma2>(h[r][i], dsa::caddq(w1[r][i]));
    }
  }
  std::array<uint8_t, D::kW1PackedSize> w1_packed;
  pack_w1<P>(w1_packed.data(), w1);
  std::array<uint8_t, D::kCTildeSize> c_tilde;
  shake256_parts(c_tilde, {mu, w1_packed});
  return std::equal(c_tilde.begin(), c_tilde.end(), sig.begin());
}

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
    return fail("wrong_size", std::string(kName) + " public key must be " +
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
    return fail("wrong_size", std::string(kName) + " secret key must be " +
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
  if (bad) return fail("invalid_key", std::string(kName) + " secret key has s1/s2 out of range");
  SecretKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

template <class P>
auto MlDsa<P>::Signature::from_bytes(std::span<const uint8_t> bytes) -> Result<Signature> {
  if (bytes.size() != kSize) {
    return fail("wrong_size", std::string(kName) + " signature must be " +
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
  expand_a<P>(a, rho);

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
  if (!sign_from_mu<P>(sk.bytes(), mu, rnd, sig.bytes_)) {
    return fail("sign_failed", std::string(kName) + " signing loop exceeded its bound");
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
    return fail("context_too_long", "ML-DSA context must be at most 255 bytes");
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
  return verify_from_mu<P>(pk.bytes(), mu, sig.bytes());
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
