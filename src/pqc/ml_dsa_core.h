// ML-DSA algorithm bodies shared by ml_dsa.cc (FIPS 204 Alg. 7 and 8 from the mu line on, plus
// the encodings they need), written over raw fixed-size spans so the public class stays thin.
// Internal to src/pqc: include only from ml_dsa*.cc. Declassification points are commented with
// the FIPS 204 rule behind them.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "pqc/ml_dsa.h"
#include "pqc/ml_dsa_poly.h"
#include "pqc/secure.h"
#include "pqc/xof.h"

namespace x0::pqc::detail::dsa {

// Defined in ml_dsa_prehash.cc: M' for HashML-DSA (Alg. 4 / 5).
Result<std::vector<uint8_t>> prehash_message(std::span<const uint8_t> message,
                                             std::span<const uint8_t> context,
                                             std::string_view hash_alg);

// FIPS 204 Appendix C allows bounding the signing loop; 814 attempts fail with probability
// below 2^-256 for every parameter set.
inline constexpr int kMaxSignAttempts = 814;

template <class P>
struct Dims {
  static constexpr size_t kK = P::kK, kL = P::kL;
  static constexpr int32_t kGamma2 = (kQ - 1) / P::kGamma2Divisor;
  static constexpr int32_t kBeta = P::kTau * P::kEta;
  static constexpr int kW1Bits = P::kGamma2Divisor == 88 ? 6 : 4;
  static constexpr int kEtaBits = MlDsa<P>::kEtaBits;
  static constexpr int kZBits = MlDsa<P>::kZBits;
  static constexpr size_t kCTildeSize = P::kLambda / 4;
  static constexpr size_t kW1PackedSize = kK * 32 * kW1Bits;
  static constexpr size_t kHintOffset = kCTildeSize + kL * 32 * kZBits;
  using VecK = std::array<Poly, kK>;
  using VecL = std::array<Poly, kL>;
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
inline void shake256_parts(std::span<uint8_t> out,
                           std::initializer_list<std::span<const uint8_t>> parts) {
  Shake xof(Shake::Kind::k256);
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
      rej_ntt_poly(a[r][s], rho, static_cast<uint8_t>(s), static_cast<uint8_t>(r));
    }
  }
}

template <class P>
void pack_w1(uint8_t* out, const typename Dims<P>::VecK& w1) {
  for (size_t r = 0; r < Dims<P>::kK; ++r) {
    pack_simple(out + r * 32 * Dims<P>::kW1Bits, w1[r], Dims<P>::kW1Bits);
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
  declassify(rho.data(), rho.size());  // rho is part of the public key
  const auto key = sk.template subspan<32, 32>();
  Scrubbed<typename D::VecL> s1;
  Scrubbed<typename D::VecK> s2, t0;
  const uint8_t* p = sk.data() + 128;
  for (auto& poly : s1.v) {
    unpack_offset(poly, p, D::kEtaBits, P::kEta);
    p += 32 * D::kEtaBits;
  }
  for (auto& poly : s2.v) {
    unpack_offset(poly, p, D::kEtaBits, P::kEta);
    p += 32 * D::kEtaBits;
  }
  for (auto& poly : t0.v) {
    unpack_offset(poly, p, kD, 1 << (kD - 1));
    p += 32 * kD;
  }
  for (auto& poly : s1.v) ntt(poly);
  for (auto& poly : s2.v) ntt(poly);
  for (auto& poly : t0.v) ntt(poly);

  Scrubbed<std::array<uint8_t, 64>> rho_pp;
  shake256_parts(rho_pp.v, {key, rnd, mu});
  typename D::Matrix a;
  expand_a<P>(a, rho);

  struct Work {
    typename D::VecL y, z;
    typename D::VecK w, w1, cs2, ct0, h;
    Poly c;
    std::array<uint8_t, D::kW1PackedSize> w1_packed;
    std::array<uint8_t, D::kCTildeSize> c_tilde;
  };
  Scrubbed<Work> work;
  Work& k = work.v;
  uint16_t kappa = 0;
  for (int attempt = 0; attempt < kMaxSignAttempts; ++attempt, kappa += D::kL) {
    // y = ExpandMask(rho'', kappa); w = NTT^-1(A o NTT(y)); w1 = HighBits(w).
    for (size_t r = 0; r < D::kL; ++r) {
      expand_mask_poly(k.y[r], rho_pp.v, static_cast<uint16_t>(kappa + r), P::kGamma1);
      k.z[r] = k.y[r];
      ntt(k.z[r]);
    }
    for (size_t r = 0; r < D::kK; ++r) {
      dot_montgomery(k.w[r], a[r], k.z);
      inv_ntt_to_mont(k.w[r]);
      for (size_t i = 0; i < kN; ++i) {
        k.w[r][i] = caddq(k.w[r][i]);
        k.w1[r][i] = high_bits<kGamma2>(k.w[r][i]);
      }
    }
    pack_w1<P>(k.w1_packed.data(), k.w1);
    shake256_parts(k.c_tilde, {mu, k.w1_packed});
    // c~ is a random-oracle output and is published in the signature; for rejected attempts it
    // reveals nothing about the key either (FIPS 204 section 3.6.1 / Dilithium round-3 spec 5.5).
    declassify(k.c_tilde.data(), k.c_tilde.size());
    sample_in_ball(k.c, k.c_tilde, P::kTau);
    ntt(k.c);

    // The three rejection tests of Alg. 7 (lines 23 and 28), cheapest-to-fail first. Each
    // decision is declassified on its own: FIPS 204 lets the number of iterations leak, and
    // which test discarded a candidate says nothing about the key either, since the candidate is
    // thrown away (Dilithium round-3 spec, section 5.5).
    // r0 = LowBits(w - <<c s2>>), ||r0|| < gamma2 - beta (fails ~70% of attempts for ML-DSA-65).
    int32_t reject = 0;
    for (size_t r = 0; r < D::kK; ++r) {
      mul_montgomery(k.cs2[r], k.c, s2.v[r]);
      inv_ntt_to_mont(k.cs2[r]);
      for (size_t i = 0; i < kN; ++i) {
        const int32_t v = freeze(k.w[r][i] - k.cs2[r][i]);  // w - cs2 in [0, q)
        int32_t v1, v0;
        decompose<kGamma2>(v, v1, v0);
        reject |= abs_exceeds(v0, kGamma2 - D::kBeta);
        k.w[r][i] = v;
        k.w1[r][i] = v1;
      }
    }
    declassify(&reject, sizeof(reject));  // rejection decision (see above)
    if (reject) continue;

    // z = y + <<c s1>>, ||z|| < gamma1 - beta.
    for (size_t r = 0; r < D::kL; ++r) {
      mul_montgomery(k.z[r], k.c, s1.v[r]);
      inv_ntt_to_mont(k.z[r]);
      for (size_t i = 0; i < kN; ++i) k.z[r][i] = centered(k.z[r][i] + k.y[r][i]);
      reject |= exceeds_norm(k.z[r], P::kGamma1 - D::kBeta);
    }
    declassify(&reject, sizeof(reject));  // rejection decision (see above)
    if (reject) continue;

    // h = MakeHint(-<<c t0>>, w - cs2 + <<c t0>>) = [HighBits(w - cs2 + ct0) != HighBits(w - cs2)].
    int32_t hint_count = 0;
    for (size_t r = 0; r < D::kK; ++r) {
      mul_montgomery(k.ct0[r], k.c, t0.v[r]);
      inv_ntt_to_mont(k.ct0[r]);
      for (size_t i = 0; i < kN; ++i) {
        const int32_t ct0 = centered(k.ct0[r][i]);
        reject |= abs_exceeds(ct0, kGamma2);
        const int32_t moved = high_bits<kGamma2>(freeze(k.w[r][i] + ct0));
        k.h[r][i] = static_cast<int32_t>(moved != k.w1[r][i]);
        hint_count += k.h[r][i];
      }
    }
    reject |= (P::kOmega - hint_count) >> 31;
    declassify(&reject, sizeof(reject));  // rejection decision (see above)
    if (reject) continue;

    // Accepted: z and h are the published signature (FIPS 204 Alg. 7 line 33).
    declassify(&k.z, sizeof(k.z));
    declassify(&k.h, sizeof(k.h));
    // sigEncode (Alg. 26).
    std::memcpy(sig.data(), k.c_tilde.data(), D::kCTildeSize);
    uint8_t* out = sig.data() + D::kCTildeSize;
    for (size_t r = 0; r < D::kL; ++r) {
      pack_offset(out, k.z[r], D::kZBits, P::kGamma1);
      out += 32 * D::kZBits;
    }
    std::fill(out, out + P::kOmega + D::kK, uint8_t{0});
    size_t index = 0;
    for (size_t r = 0; r < D::kK; ++r) {
      for (size_t i = 0; i < kN; ++i) {
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
    unpack_offset(poly, p, D::kZBits, P::kGamma1);
    p += 32 * D::kZBits;
  }
  if (!unpack_hints<P>(sig.data() + D::kHintOffset, h)) return false;
  int32_t too_big = 0;
  for (const auto& poly : z) too_big |= exceeds_norm(poly, P::kGamma1 - D::kBeta);
  if (too_big) return false;

  // pkDecode (Alg. 23).
  const auto rho = pk.template first<32>();
  typename D::VecK t1;
  for (size_t r = 0; r < D::kK; ++r) {
    unpack_simple(t1[r], pk.data() + 32 + r * 320, 10);
  }
  typename D::Matrix a;
  expand_a<P>(a, rho);
  Poly c;
  sample_in_ball(c, sig.template first<D::kCTildeSize>(), P::kTau);
  ntt(c);
  for (auto& poly : z) ntt(poly);

  // w'_approx = NTT^-1(A o NTT(z) - NTT(c) o NTT(t1 * 2^d)); w1' = UseHint(h, w'_approx).
  typename D::VecK w1;
  for (size_t r = 0; r < D::kK; ++r) {
    for (auto& coeff : t1[r]) coeff <<= kD;
    ntt(t1[r]);
    std::array<int64_t, kN> acc{};
    for (size_t s = 0; s < D::kL; ++s) {
      for (size_t i = 0; i < kN; ++i) acc[i] += int64_t{a[r][s][i]} * z[s][i];
    }
    for (size_t i = 0; i < kN; ++i) {
      w1[r][i] = montgomery_reduce(acc[i] - int64_t{c[i]} * t1[r][i]);
    }
    inv_ntt_to_mont(w1[r]);
    for (size_t i = 0; i < kN; ++i) {
      w1[r][i] = use_hint<D::kGamma2>(h[r][i], caddq(w1[r][i]));
    }
  }
  std::array<uint8_t, D::kW1PackedSize> w1_packed;
  pack_w1<P>(w1_packed.data(), w1);
  std::array<uint8_t, D::kCTildeSize> c_tilde;
  shake256_parts(c_tilde, {mu, w1_packed});
  return std::equal(c_tilde.begin(), c_tilde.end(), sig.begin());
}

}  // namespace x0::pqc::detail::dsa
