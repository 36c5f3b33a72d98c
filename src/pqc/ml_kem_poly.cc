// ML-KEM polynomial arithmetic (see ml_kem_poly.h). Coefficients are int16; products are reduced
// with Montgomery reduction (R = 2^16), sums with Barrett reduction. The zeta tables are computed
// at compile time from FIPS 203's zeta = 17 and BitRev7, already in Montgomery form.
#include "pqc/ml_kem_poly.h"

#include <array>

#include "pqc/keccak_x4.h"
#include "pqc/secure.h"
#include "pqc/xof.h"

namespace x0::pqc::detail::mlkem {
namespace {

constexpr int32_t kQ32 = kQ;

constexpr int32_t mod_q(int64_t a) {
  int64_t r = a % kQ32;
  return static_cast<int32_t>(r < 0 ? r + kQ32 : r);
}

constexpr int32_t pow_mod(int32_t base, int32_t e) {
  int64_t r = 1, b = base;
  for (; e > 0; e >>= 1, b = b * b % kQ32)
    if (e & 1) r = r * b % kQ32;
  return static_cast<int32_t>(r);
}

constexpr int bitrev7(int i) {
  int r = 0;
  for (int b = 0; b < 7; ++b) r |= ((i >> b) & 1) << (6 - b);
  return r;
}

constexpr int16_t centered(int32_t a) {  // a in [0, q) -> (-q/2, q/2]
  return static_cast<int16_t>(a > kQ32 / 2 ? a - kQ32 : a);
}

constexpr int32_t kMont = (1 << 16) % kQ32;  // R mod q

// q^-1 mod 2^16, by Newton iteration.
constexpr int16_t kQInv = [] {
  uint32_t x = 1;
  for (int i = 0; i < 5; ++i) x = x * (2 - 3329u * x);
  return static_cast<int16_t>(static_cast<uint16_t>(x));
}();

// zeta^BitRev7(i) * R, for the NTT layers.
constexpr std::array<int16_t, 128> kZetas = [] {
  std::array<int16_t, 128> z{};
  for (int i = 0; i < 128; ++i) z[i] = centered(mod_q(int64_t{pow_mod(17, bitrev7(i))} * kMont));
  return z;
}();

// gamma_i = zeta^(2*BitRev7(i)+1) * R, for the base multiplication (Alg. 11).
constexpr std::array<int16_t, 128> kGammas = [] {
  std::array<int16_t, 128> g{};
  for (int i = 0; i < 128; ++i)
    g[i] = centered(mod_q(int64_t{pow_mod(17, 2 * bitrev7(i) + 1)} * kMont));
  return g;
}();

// inv_ntt's final factor: 128^-1 * R^2, so that fqmul removes both the basemul's R^-1 and the
// 128 from the butterflies.
constexpr int16_t kInvNttScale =
    centered(mod_q(int64_t{pow_mod(128, kQ32 - 2)} * mod_q(int64_t{kMont} * kMont)));
constexpr int16_t kMontSquared = centered(mod_q(int64_t{kMont} * kMont));

// Returns a * R^-1 mod q in (-q, q), for |a| < q * 2^15.
inline int16_t montgomery_reduce(int32_t a) {
  const int16_t t = static_cast<int16_t>(static_cast<int16_t>(a) * kQInv);
  return static_cast<int16_t>((a - static_cast<int32_t>(t) * kQ32) >> 16);
}

// a * b * R^-1 mod q in (-q, q): montgomery_reduce written on 16-bit halves (the low halves of
// a*b and t*q are equal by construction of t), which GCC maps to SSE2 pmullw/pmulhw.
inline int16_t fqmul(int16_t a, int16_t b) {
  const int32_t p = static_cast<int32_t>(a) * b;
  const int16_t t = static_cast<int16_t>(static_cast<int16_t>(p) * kQInv);
  const int16_t p_hi = static_cast<int16_t>(p >> 16);
  const int16_t tq_hi = static_cast<int16_t>((static_cast<int32_t>(t) * kQ32) >> 16);
  return static_cast<int16_t>(p_hi - tq_hi);
}

// Returns a mod q in [-q/2, q/2] (Barrett, floor((2^26 + q/2) / q) = 20159).
inline int16_t barrett_reduce(int16_t a) {
  constexpr int32_t kV = ((1 << 26) + kQ32 / 2) / kQ32;
  const int32_t t = (kV * a + (1 << 25)) >> 26;
  return static_cast<int16_t>(a - t * kQ32);
}

// Adds q to negative values without a branch.
inline int16_t make_canonical(int16_t a) {
  a = barrett_reduce(a);
  return static_cast<int16_t>(a + ((a >> 15) & kQ32));
}

}  // namespace

void poly_reduce(Poly& p) {
  for (auto& c : p.c) c = barrett_reduce(c);
}

void poly_canonical(Poly& p) {
  for (auto& c : p.c) c = make_canonical(c);
}

void poly_add(Poly& r, const Poly& a) {
  for (size_t i = 0; i < kN; ++i) r.c[i] = static_cast<int16_t>(r.c[i] + a.c[i]);
}

void poly_sub(Poly& r, const Poly& a) {
  for (size_t i = 0; i < kN; ++i) r.c[i] = static_cast<int16_t>(r.c[i] - a.c[i]);
}

void ntt(Poly& p) {
  int16_t* f = p.c;
  size_t k = 1;
  for (size_t len = 128; len >= 2; len >>= 1) {
    for (size_t start = 0; start < kN; start += 2 * len) {
      const int16_t zeta = kZetas[k++];
      for (size_t j = start; j < start + len; ++j) {
        const int16_t t = fqmul(zeta, f[j + len]);
        f[j + len] = static_cast<int16_t>(f[j] - t);
        f[j] = static_cast<int16_t>(f[j] + t);
      }
    }
  }
  poly_reduce(p);
}

void inv_ntt(Poly& p) {
  int16_t* f = p.c;
  size_t k = 127;
  for (size_t len = 2; len <= 128; len <<= 1) {
    for (size_t start = 0; start < kN; start += 2 * len) {
      const int16_t zeta = kZetas[k--];
      for (size_t j = start; j < start + len; ++j) {
        const int16_t t = f[j];
        f[j] = barrett_reduce(static_cast<int16_t>(t + f[j + len]));
        f[j + len] = fqmul(zeta, static_cast<int16_t>(f[j + len] - t));
      }
    }
  }
  for (auto& c : p.c) c = fqmul(c, kInvNttScale);
}

void basemul_acc(Poly& r, const Poly& a, const Poly& b) {
  for (size_t i = 0; i < 128; ++i) {
    const int16_t a0 = a.c[2 * i], a1 = a.c[2 * i + 1];
    const int16_t b0 = b.c[2 * i], b1 = b.c[2 * i + 1];
    const int16_t c0 = static_cast<int16_t>(fqmul(fqmul(a1, b1), kGammas[i]) + fqmul(a0, b0));
    const int16_t c1 = static_cast<int16_t>(fqmul(a0, b1) + fqmul(a1, b0));
    r.c[2 * i] = barrett_reduce(static_cast<int16_t>(r.c[2 * i] + c0));
    r.c[2 * i + 1] = barrett_reduce(static_cast<int16_t>(r.c[2 * i + 1] + c1));
  }
}

void poly_to_mont(Poly& p) {
  for (auto& c : p.c) c = fqmul(c, kMontSquared);
}

namespace {
// Rejection step of SampleNTT (Alg. 7 lines 5-13) over `len` bytes (a multiple of 3); returns
// the new number of coefficients. Branches only on bytes derived from the public rho.
size_t rejection_sample(int16_t* c, size_t n, const uint8_t* buf, size_t len) {
  for (size_t pos = 0; pos + 3 <= len && n < kN; pos += 3) {
    const uint16_t d1 = static_cast<uint16_t>(buf[pos] | ((buf[pos + 1] & 0x0F) << 8));
    const uint16_t d2 = static_cast<uint16_t>((buf[pos + 1] >> 4) | (buf[pos + 2] << 4));
    if (d1 < kQ) c[n++] = static_cast<int16_t>(d1);
    if (d2 < kQ && n < kN) c[n++] = static_cast<int16_t>(d2);
  }
  return n;
}
}  // namespace

void sample_ntt(Poly& p, std::span<const uint8_t, 32> rho, uint8_t j, uint8_t i) {
  Shake xof(Shake::Kind::k128);
  xof.absorb(rho);
  const uint8_t ji[2] = {j, i};
  xof.absorb(ji);
  uint8_t buf[168 * 3];  // three SHAKE128 blocks cover 256 samples with high probability
  xof.squeeze(buf);
  size_t n = rejection_sample(p.c, 0, buf, sizeof buf);
  while (n < kN) {  // 168 is a multiple of 3, so blocks never split a triple
    xof.squeeze(std::span<uint8_t>(buf, 168));
    n = rejection_sample(p.c, n, buf, 168);
  }
}

void sample_matrix(std::span<Poly> a, size_t k, std::span<const uint8_t, 32> rho, bool transposed) {
  const size_t total = k * k;
  size_t done = 0;
  if (ShakeX4::available()) {
    for (; done + 4 <= total; done += 4) {
      uint8_t seeds[4][34];
      std::array<std::span<const uint8_t>, 4> in;
      for (size_t t = 0; t < 4; ++t) {
        const size_t i = (done + t) / k, j = (done + t) % k;
        std::copy(rho.begin(), rho.end(), seeds[t]);
        seeds[t][32] = static_cast<uint8_t>(transposed ? i : j);
        seeds[t][33] = static_cast<uint8_t>(transposed ? j : i);
        in[t] = std::span<const uint8_t>(seeds[t], 34);
      }
      ShakeX4 xof(Shake::Kind::k128);
      xof.absorb_once(in);
      uint8_t buf[4][168];
      std::array<std::span<uint8_t>, 4> out = {
          std::span<uint8_t>(buf[0]), std::span<uint8_t>(buf[1]), std::span<uint8_t>(buf[2]),
          std::span<uint8_t>(buf[3])};
      size_t n[4] = {0, 0, 0, 0};
      while (n[0] < kN || n[1] < kN || n[2] < kN || n[3] < kN) {
        xof.squeeze_block(out);
        for (size_t t = 0; t < 4; ++t) n[t] = rejection_sample(a[done + t].c, n[t], buf[t], 168);
      }
    }
  }
  for (; done < total; ++done) {
    const size_t i = done / k, j = done % k;
    sample_ntt(a[done], rho, static_cast<uint8_t>(transposed ? i : j),
               static_cast<uint8_t>(transposed ? j : i));
  }
}

void sample_cbd(Poly& p, std::span<const uint8_t, 32> sigma, uint8_t n, int eta) {
  uint8_t in[33];
  for (size_t i = 0; i < 32; ++i) in[i] = sigma[i];
  in[32] = n;
  uint8_t buf[64 * 3];
  const size_t len = 64 * static_cast<size_t>(eta);
  shake256(std::span<const uint8_t>(in, 33), std::span<uint8_t>(buf, len));
  if (eta == 2) {
    // 4 bits per coefficient: x = b0 + b1, y = b2 + b3, coefficient x - y.
    for (size_t i = 0; i < kN / 8; ++i) {
      const uint32_t t = uint32_t{buf[4 * i]} | uint32_t{buf[4 * i + 1]} << 8 |
                         uint32_t{buf[4 * i + 2]} << 16 | uint32_t{buf[4 * i + 3]} << 24;
      const uint32_t d = (t & 0x55555555u) + ((t >> 1) & 0x55555555u);
      for (size_t k = 0; k < 8; ++k) {
        const int16_t x = static_cast<int16_t>((d >> (4 * k)) & 3);
        const int16_t y = static_cast<int16_t>((d >> (4 * k + 2)) & 3);
        p.c[8 * i + k] = static_cast<int16_t>(x - y);
      }
    }
  } else {
    // eta = 3: 6 bits per coefficient.
    for (size_t i = 0; i < kN / 4; ++i) {
      const uint32_t t =
          uint32_t{buf[3 * i]} | uint32_t{buf[3 * i + 1]} << 8 | uint32_t{buf[3 * i + 2]} << 16;
      const uint32_t d = (t & 0x249249u) + ((t >> 1) & 0x249249u) + ((t >> 2) & 0x249249u);
      for (size_t k = 0; k < 4; ++k) {
        const int16_t x = static_cast<int16_t>((d >> (6 * k)) & 7);
        const int16_t y = static_cast<int16_t>((d >> (6 * k + 3)) & 7);
        p.c[4 * i + k] = static_cast<int16_t>(x - y);
      }
    }
  }
  secure_wipe(std::span<uint8_t>(buf, len));
  secure_wipe(in);
}

void encode12(std::span<uint8_t, 384> out, const Poly& p) {
  for (size_t i = 0; i < kN / 2; ++i) {
    const uint16_t a = static_cast<uint16_t>(p.c[2 * i]);
    const uint16_t b = static_cast<uint16_t>(p.c[2 * i + 1]);
    out[3 * i] = static_cast<uint8_t>(a);
    out[3 * i + 1] = static_cast<uint8_t>((a >> 8) | (b << 4));
    out[3 * i + 2] = static_cast<uint8_t>(b >> 4);
  }
}

void decode12(Poly& p, std::span<const uint8_t, 384> in) {
  for (size_t i = 0; i < kN / 2; ++i) {
    p.c[2 * i] = static_cast<int16_t>(in[3 * i] | ((in[3 * i + 1] & 0x0F) << 8));
    p.c[2 * i + 1] = static_cast<int16_t>((in[3 * i + 1] >> 4) | (in[3 * i + 2] << 4));
  }
}

void compress_encode(std::span<uint8_t> out, const Poly& p, int d) {
  // Compress_d(x) = round(2^d * x / q) mod 2^d (Eq. 4.7); the division by the constant q
  // compiles to a multiply and shift, so it does not leak x.
  const uint32_t mask = (1u << d) - 1;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < kN; ++i) {
    const uint32_t x = static_cast<uint32_t>(p.c[i]);
    const uint32_t y = ((x << d) + kQ32 / 2) / kQ32 & mask;
    acc |= y << bits;
    bits += d;
    while (bits >= 8) {
      out[o++] = static_cast<uint8_t>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
}

void decode_decompress(Poly& p, std::span<const uint8_t> in, int d) {
  // Decompress_d(y) = round(q * y / 2^d) (Eq. 4.8).
  const uint32_t mask = (1u << d) - 1;
  uint32_t acc = 0;
  int bits = 0;
  size_t o = 0;
  for (size_t i = 0; i < kN; ++i) {
    while (bits < d) {
      acc |= uint32_t{in[o++]} << bits;
      bits += 8;
    }
    const uint32_t y = acc & mask;
    acc >>= d;
    bits -= d;
    p.c[i] = static_cast<int16_t>((y * kQ32 + (1u << (d - 1))) >> d);
  }
}

}  // namespace x0::pqc::detail::mlkem
