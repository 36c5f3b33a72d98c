// ML-DSA ring arithmetic, NTT, samplers (FIPS 204 sections 7.3-7.5); see ml_dsa_poly.h.
// The zeta table is computed at compile time from the primitive 512th root of unity 1753
// (FIPS 204 Appendix B), stored in Montgomery form and centered.
#include "pqc/ml_dsa_poly.h"

#include "pqc/secure.h"
#include "pqc/xof.h"

namespace x0::pqc::detail::dsa {
namespace {

constexpr int64_t pow_mod(int64_t base, int64_t exp) {
  int64_t r = 1;
  base %= kQ;
  while (exp > 0) {
    if (exp & 1) r = r * base % kQ;
    base = base * base % kQ;
    exp >>= 1;
  }
  return r;
}

constexpr int bit_rev8(int x) {
  int r = 0;
  for (int i = 0; i < 8; ++i) r |= ((x >> i) & 1) << (7 - i);
  return r;
}

constexpr int64_t kMont = (int64_t{1} << 32) % kQ;  // 2^32 mod q

constexpr std::array<int32_t, kN> make_zetas() {
  std::array<int32_t, kN> z{};
  for (int i = 0; i < kN; ++i) {
    int64_t v = pow_mod(1753, bit_rev8(i)) * kMont % kQ;
    if (v > kQ / 2) v -= kQ;
    z[static_cast<size_t>(i)] = static_cast<int32_t>(v);
  }
  return z;
}

constexpr std::array<int32_t, kN> kZetas = make_zetas();

// 2^64 / 256 mod q: the final scaling of the inverse NTT, leaving one factor 2^32 in the output
// to cancel the 2^-32 of the preceding Montgomery product.
constexpr int32_t kInvNttScale =
    static_cast<int32_t>(kMont * kMont % kQ * pow_mod(256, kQ - 2) % kQ);

static_assert(static_cast<uint32_t>(kQ) * static_cast<uint32_t>(kQInv) == 1u);
static_assert(pow_mod(1753, 256) == kQ - 1, "1753 is a primitive 512th root of unity");
static_assert(kInvNttScale == 41978);

constexpr size_t kShake128Rate = 168;
constexpr size_t kShake256Rate = 136;

}  // namespace

void ntt(Poly& a) {
  size_t k = 0;
  for (size_t len = 128; len > 0; len >>= 1) {
    for (size_t start = 0; start < kN; start += 2 * len) {
      const int64_t zeta = kZetas[++k];
      for (size_t j = start; j < start + len; ++j) {
        const int32_t t = montgomery_reduce(zeta * a[j + len]);
        a[j + len] = a[j] - t;
        a[j] = a[j] + t;
      }
    }
  }
}

void inv_ntt_to_mont(Poly& a) {
  size_t k = kN;
  for (size_t len = 1; len < kN; len <<= 1) {
    for (size_t start = 0; start < kN; start += 2 * len) {
      const int64_t zeta = -kZetas[--k];
      for (size_t j = start; j < start + len; ++j) {
        const int32_t t = a[j];
        a[j] = t + a[j + len];
        a[j + len] = montgomery_reduce(zeta * (t - a[j + len]));
      }
    }
  }
  for (auto& c : a) c = montgomery_reduce(int64_t{kInvNttScale} * c);
}

void dot_montgomery(Poly& out, std::span<const Poly> a, std::span<const Poly> b) {
  std::array<int64_t, kN> acc{};
  for (size_t k = 0; k < a.size(); ++k) {
    for (size_t i = 0; i < kN; ++i) acc[i] += int64_t{a[k][i]} * b[k][i];
  }
  for (size_t i = 0; i < kN; ++i) out[i] = montgomery_reduce(acc[i]);
}

void mul_montgomery(Poly& out, const Poly& a, const Poly& b) {
  for (size_t i = 0; i < kN; ++i) out[i] = montgomery_reduce(int64_t{a[i]} * b[i]);
}

int32_t exceeds_norm(const Poly& a, int32_t bound) {
  int32_t any = 0;
  for (const int32_t x : a) {
    const int32_t abs = x - ((x >> 31) & (2 * x));
    any |= (bound - 1 - abs) >> 31;
  }
  return any;
}

void rej_ntt_poly(Poly& a, std::span<const uint8_t, 32> rho, uint8_t s, uint8_t r) {
  Shake xof(Shake::Kind::k128);
  xof.absorb(rho);
  const uint8_t index[2] = {s, r};
  xof.absorb(index);
  // Five blocks give 280 candidates; 256 are accepted with overwhelming probability.
  std::array<uint8_t, 5 * kShake128Rate> buf;
  size_t len = buf.size();
  size_t j = 0;
  while (j < kN) {
    xof.squeeze(std::span<uint8_t>(buf.data(), len));
    for (size_t i = 0; i + 3 <= len && j < kN; i += 3) {
      const int32_t v = buf[i] | (buf[i + 1] << 8) | ((buf[i + 2] & 0x7F) << 16);
      if (v < kQ) a[j++] = v;  // public: A is derived from rho
    }
    len = kShake128Rate;
  }
}

namespace {

template <int kEta>
void rej_bounded_poly_eta(Poly& a, std::span<const uint8_t, 64> rho_prime, uint16_t nonce) {
  Shake xof(Shake::Kind::k256);
  xof.absorb(rho_prime);
  const uint8_t n[2] = {static_cast<uint8_t>(nonce), static_cast<uint8_t>(nonce >> 8)};
  xof.absorb(n);
  std::array<uint8_t, 2 * kShake256Rate> buf;
  std::array<uint8_t, 4 * kShake256Rate> accept;
  constexpr uint32_t kLimit = kEta == 2 ? 15 : 9;
  size_t len = buf.size();
  size_t j = 0;
  while (j < kN) {
    xof.squeeze(std::span<uint8_t>(buf.data(), len));
    for (size_t i = 0; i < 2 * len; ++i) {
      accept[i] = static_cast<uint8_t>(((buf[i / 2] >> (4 * (i & 1))) & 15u) < kLimit);
    }
    // FIPS 204 Alg. 31 (RejBoundedPoly) is a rejection sampler: which half-bytes are rejected is
    // independent of the accepted coefficients, so the accept flags may be public. The secret
    // coefficient values are computed and stored without branches; a rejected value is
    // overwritten by the next candidate.
    declassify(accept.data(), 2 * len);
    for (size_t i = 0; i < 2 * len && j < kN; ++i) {
      const uint32_t b = (buf[i / 2] >> (4 * (i & 1))) & 15u;
      if constexpr (kEta == 2) {
        a[j] = 2 - static_cast<int32_t>(b - 5 * ((b * 205) >> 10));  // b mod 5 for b < 15
      } else {
        a[j] = 4 - static_cast<int32_t>(b);
      }
      j += accept[i];
    }
    len = kShake256Rate;
  }
  secure_wipe(buf);
}

}  // namespace

void rej_bounded_poly(Poly& a, std::span<const uint8_t, 64> rho_prime, uint16_t nonce, int eta) {
  if (eta == 2) {
    rej_bounded_poly_eta<2>(a, rho_prime, nonce);
  } else {
    rej_bounded_poly_eta<4>(a, rho_prime, nonce);
  }
}

void expand_mask_poly(Poly& y, std::span<const uint8_t, 64> rho_pp, uint16_t nonce,
                      int32_t gamma1) {
  const int bits = gamma1 == (1 << 17) ? 18 : 20;
  Shake xof(Shake::Kind::k256);
  xof.absorb(rho_pp);
  const uint8_t n[2] = {static_cast<uint8_t>(nonce), static_cast<uint8_t>(nonce >> 8)};
  xof.absorb(n);
  std::array<uint8_t, 32 * 20> buf;
  const size_t len = 32 * static_cast<size_t>(bits);
  xof.squeeze(std::span<uint8_t>(buf.data(), len));
  unpack_offset(y, buf.data(), bits, gamma1);
  secure_wipe(buf);
}

void sample_in_ball(Poly& c, std::span<const uint8_t> c_tilde, int tau) {
  Shake xof(Shake::Kind::k256);
  xof.absorb(c_tilde);
  std::array<uint8_t, kShake256Rate> buf;
  xof.squeeze(buf);
  uint64_t signs = 0;
  for (size_t i = 0; i < 8; ++i) signs |= static_cast<uint64_t>(buf[i]) << (8 * i);
  size_t pos = 8;
  c.fill(0);
  for (size_t i = kN - static_cast<size_t>(tau); i < kN; ++i) {
    size_t j;
    do {
      if (pos == buf.size()) {
        xof.squeeze(buf);
        pos = 0;
      }
      j = buf[pos++];
    } while (j > i);
    c[i] = c[j];
    c[j] = 1 - 2 * static_cast<int32_t>(signs & 1);
    signs >>= 1;
  }
}

}  // namespace x0::pqc::detail::dsa
