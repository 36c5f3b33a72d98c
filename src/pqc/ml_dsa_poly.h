// ML-DSA internals (FIPS 204) shared by all parameter sets: arithmetic in Z_q[X]/(X^256+1) with
// q = 8380417, the NTT (Alg. 41/42) in Montgomery form, rounding (Power2Round, Decompose, hints),
// the samplers (RejNTTPoly, RejBoundedPoly, SampleInBall, ExpandMask) and bit packing.
// ml_dsa.cc composes these into KeyGen/Sign/Verify. Nothing here branches on secret data except
// where declassify() marks a value the standard allows to be public.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "pqc/secure.h"

namespace x0::pqc::detail::dsa {

inline constexpr int32_t kQ = 8380417;
inline constexpr int kN = 256;
inline constexpr int kD = 13;  // dropped bits of t (FIPS 204 Table 1)

using Poly = std::array<int32_t, kN>;

// detail::declassify (secure.h): marks a secret-derived value public for valgrind. Every call
// site in ML-DSA says which FIPS 204 rule makes that safe.
using detail::declassify;

// ---- Modular arithmetic -------------------------------------------------------------------

inline constexpr int32_t kQInv = 58728449;  // q^-1 mod 2^32

// For |a| < 2^31 * q returns r = a * 2^-32 mod q with |r| < q.
inline int32_t montgomery_reduce(int64_t a) {
  const int32_t t = static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(kQInv));
  return static_cast<int32_t>((a - static_cast<int64_t>(t) * kQ) >> 32);
}

// For a <= 2^31 - 2^22 returns r = a mod q with -6283009 <= r <= 6283007.
inline int32_t reduce32(int32_t a) {
  const int32_t t = (a + (1 << 22)) >> 23;
  return a - t * kQ;
}

// Adds q if a is negative (branch free).
inline int32_t caddq(int32_t a) { return a + ((a >> 31) & kQ); }

// Representative in [0, q).
inline int32_t freeze(int32_t a) { return caddq(reduce32(a)); }

// Representative in (-(q-1)/2, (q-1)/2] ("mod+-" in FIPS 204).
inline int32_t centered(int32_t a) {
  const int32_t r = freeze(a);
  return r - ((((kQ - 1) / 2 - r) >> 31) & kQ);
}

// ---- NTT ---------------------------------------------------------------------------------

void ntt(Poly& a);              // Alg. 41; input |a| < q, output |a| < 9q
void inv_ntt_to_mont(Poly& a);  // Alg. 42 times 2^32; input |a| < q, output |a| < q

// out = sum_i a[i] o b[i] * 2^-32 (pointwise in the NTT domain, one reduction at the end).
void dot_montgomery(Poly& out, std::span<const Poly> a, std::span<const Poly> b);
// out = a o b * 2^-32.
void mul_montgomery(Poly& out, const Poly& a, const Poly& b);

// ---- Rounding (FIPS 204 section 7.4) -------------------------------------------------------

// Power2Round on a in [0, q): a = a1 * 2^13 + a0 with a0 in (-2^12, 2^12].
inline void power2round(int32_t a, int32_t& a1, int32_t& a0) {
  a1 = (a + (1 << (kD - 1)) - 1) >> kD;
  a0 = a - (a1 << kD);
}

// Decompose on a in [0, q) (Alg. 36): a = a1 * 2*gamma2 + a0, a0 in (-gamma2, gamma2], with the
// wrap-around case a - a0 = q - 1 mapped to a1 = 0, a0 - 1. Branch free.
template <int32_t kGamma2>
inline void decompose(int32_t a, int32_t& a1, int32_t& a0) {
  constexpr int32_t kAlpha = 2 * kGamma2;
  constexpr int32_t kM = (kQ - 1) / kAlpha;
  int32_t r1 = static_cast<int32_t>(static_cast<uint32_t>(a + kGamma2 - 1) / kAlpha);
  int32_t r0 = a - r1 * kAlpha;
  const int32_t wrap = (kM - 1 - r1) >> 31;  // all ones iff r1 == m
  r1 &= ~wrap;
  r0 += wrap;
  a1 = r1;
  a0 = r0;
}

template <int32_t kGamma2>
inline int32_t high_bits(int32_t a) {
  int32_t a1, a0;
  decompose<kGamma2>(a, a1, a0);
  return a1;
}

// UseHint (Alg. 40); verification only, so branches are fine.
template <int32_t kGamma2>
inline int32_t use_hint(int32_t hint, int32_t a) {
  constexpr int32_t kM = (kQ - 1) / (2 * kGamma2);
  int32_t a1, a0;
  decompose<kGamma2>(a, a1, a0);
  if (hint == 0) return a1;
  if (a0 > 0) return a1 + 1 == kM ? 0 : a1 + 1;
  return a1 == 0 ? kM - 1 : a1 - 1;
}

// All ones if some coefficient of the centered polynomial a has |a_i| >= bound, else 0.
int32_t exceeds_norm(const Poly& a, int32_t bound);

// ---- Sampling (FIPS 204 section 7.3) -------------------------------------------------------

// RejNTTPoly(rho || s || r) (Alg. 30 via Alg. 32 ExpandA): an element of T_q.
void rej_ntt_poly(Poly& a, std::span<const uint8_t, 32> rho, uint8_t s, uint8_t r);
// RejBoundedPoly(rho' || nonce) (Alg. 31 via Alg. 33 ExpandS): coefficients in [-eta, eta].
// Constant time in rho' (no declassification): it always squeezes rej_bounded_bytes(eta) bytes
// of H(rho' || nonce) and compacts them with rej_bounded_from_stream.
void rej_bounded_poly(Poly& a, std::span<const uint8_t, 64> rho_prime, uint16_t nonce, int eta);

// How many bytes of H output RejBoundedPoly reads: fixed, so that fewer than 256 of the
// 2 * bytes half-byte candidates are accepted with probability below 2^-267 per polynomial
// (eta = 2: 416 candidates, each accepted with probability 15/16; eta = 4: 976 candidates, 9/16;
// exact binomial tails in docs/PQC.md, "ML-DSA constant time"). 208 bytes = 2 SHAKE256 blocks,
// 488 bytes = 4 blocks.
inline constexpr size_t rej_bounded_bytes(int eta) { return eta == 2 ? 208 : 488; }

// The body of Alg. 31 on a given prefix of the H stream (stream.size() must be at least
// rej_bounded_bytes(eta)): a takes the values of the first 256 accepted half-bytes, in stream
// order, through a data-oblivious compaction network (no branch or memory index depends on the
// stream). Returns all ones if the prefix held at least 256 accepted half-bytes, i.e. a equals
// FIPS 204's RejBoundedPoly, else 0 (then the coefficients after the last accepted one are eta).
// rej_bounded_poly ignores the result: branching on it would leak, and a prefix that falls
// short is a SHAKE256 output no one can find (see rej_bounded_bytes). Exposed for tests.
uint32_t rej_bounded_from_stream(Poly& a, std::span<const uint8_t> stream, int eta);
// One polynomial of ExpandMask (Alg. 34): y = BitUnpack(H(rho'' || nonce), gamma1-1, gamma1).
void expand_mask_poly(Poly& y, std::span<const uint8_t, 64> rho_pp, uint16_t nonce, int32_t gamma1);
// SampleInBall (Alg. 29) from c~ (lambda/4 bytes): tau coefficients +-1. c~ must be public.
void sample_in_ball(Poly& c, std::span<const uint8_t> c_tilde, int tau);

// ---- Bit packing (FIPS 204 section 7.1) ----------------------------------------------------

// Writes value(i) for i in [0, 256) as `bits`-bit little-endian fields; 32 * bits bytes.
template <class F>
inline void pack_bits(uint8_t* out, int bits, F value) {
  uint64_t acc = 0;
  int held = 0;
  for (int i = 0; i < kN; ++i) {
    acc |= static_cast<uint64_t>(value(i)) << held;
    held += bits;
    while (held >= 8) {
      *out++ = static_cast<uint8_t>(acc);
      acc >>= 8;
      held -= 8;
    }
  }
}

// Reads 256 `bits`-bit fields and hands (i, field) to sink.
template <class F>
inline void unpack_bits(const uint8_t* in, int bits, F sink) {
  uint64_t acc = 0;
  int held = 0;
  const uint64_t mask = (uint64_t{1} << bits) - 1;
  for (int i = 0; i < kN; ++i) {
    while (held < bits) {
      acc |= static_cast<uint64_t>(*in++) << held;
      held += 8;
    }
    sink(i, static_cast<int32_t>(acc & mask));
    acc >>= bits;
    held -= bits;
  }
}

// BitPack(a, b - 2^bits + 1, b): stores b - a_i (Alg. 17).
inline void pack_offset(uint8_t* out, const Poly& a, int bits, int32_t b) {
  pack_bits(out, bits, [&](int i) { return static_cast<uint32_t>(b - a[i]); });
}
// BitUnpack: a_i = b - field (Alg. 19).
inline void unpack_offset(Poly& a, const uint8_t* in, int bits, int32_t b) {
  unpack_bits(in, bits, [&](int i, int32_t v) { a[i] = b - v; });
}
// SimpleBitPack / SimpleBitUnpack (Alg. 16 / 18): coefficients stored as they are.
inline void pack_simple(uint8_t* out, const Poly& a, int bits) {
  pack_bits(out, bits, [&](int i) { return static_cast<uint32_t>(a[i]); });
}
inline void unpack_simple(Poly& a, const uint8_t* in, int bits) {
  unpack_bits(in, bits, [&](int i, int32_t v) { a[i] = v; });
}

}  // namespace x0::pqc::detail::dsa
