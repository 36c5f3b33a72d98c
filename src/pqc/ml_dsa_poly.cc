// ML-DSA ring arithmetic, NTT, samplers (FIPS 204 sections 7.3-7.5); see ml_dsa_poly.h.
// The zeta table is computed at compile time from the primitive 512th root of unity 1753
// (FIPS 204 Appendix B), stored in Montgomery form and centered.
#include "pqc/ml_dsa_poly.h"

#include <bit>
#include <cstring>

#include "pqc/secure.h"
#include "pqc/xof.h"

namespace x0::pqc::detail::dsa {
namespace {

static_assert(std::endian::native == std::endian::little, "RejBoundedPoly packs lanes with memcpy");

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

// Oblivious stable compaction for RejBoundedPoly (see rej_bounded_from_stream in the header).
// Each half-byte candidate becomes a 16-bit entry (d << 4) | value, where d is the number of
// rejected candidates before it (its distance to its place in the output); rejected candidates
// become 0. Stage b moves every entry whose d has bit b set left by 2^b. Processing the bits from
// the lowest up never puts two accepted entries on the same slot and keeps their order: after
// stages 0..b-1 accepted entries i < j sit at i - (d_i mod 2^b) < j - (d_j mod 2^b), because
// j - i >= d_j - d_i + 1 (entry i itself is accepted) and
// (d_j mod 2^b) - (d_i mod 2^b) <= d_j - d_i (d is non-decreasing). Every stage touches every
// slot with the same masks and shifts, independent of the data; the loops are branch free and
// vectorize (SSE2 on the baseline ISA).

// Slots of stage b's output that can still reach output slots [0, 256): slot q after stage b
// reads only slots q and q + 2^b before it, so working back from the last stage, stage b needs
// [0, 256 + 2^(b+1) + ... + 2^(kStages-1)). Skipping the rest is data independent.
constexpr size_t stage_width(size_t cand, int stages, int b) {
  const size_t need = kN + (size_t{1} << stages) - (size_t{2} << b);
  return need < cand ? need : cand;
}

// One stage: the entry in slot q stays unless bit b of its d is set; the entry in slot q + 2^b
// moves in if its bit b is set (never both, see above).
inline void compact_stage(uint16_t* __restrict y, const uint16_t* __restrict x, size_t width,
                          int b) {
  const size_t step = size_t{1} << b;
  const int shift = 4 + b;
  for (size_t q = 0; q < width; ++q) {
    const uint16_t cur = x[q];
    const uint16_t next = x[q + step];
    const uint16_t stays = static_cast<uint16_t>(((cur >> shift) & 1u) - 1u);
    const uint16_t moves_in = static_cast<uint16_t>(0u - ((next >> shift) & 1u));
    y[q] = static_cast<uint16_t>((cur & stays) | (next & moves_in));
  }
}

template <int kEta>
uint32_t rej_bounded_eta(Poly& a, const uint8_t* stream) {
  constexpr size_t kBytes = rej_bounded_bytes(kEta);
  constexpr size_t kCand = 2 * kBytes;
  constexpr int kStages = kEta == 2 ? 9 : 10;  // d <= kCand - 1 < 2^kStages
  static_assert(kCand <= (size_t{1} << kStages) && (kCand << 4) < 65536);
  constexpr size_t kPad = size_t{1} << (kStages - 1);
  constexpr uint32_t kLimit = kEta == 2 ? 15 : 9;  // Alg. 15 CoeffFromHalfByte: b < 15 / b < 9

  // Entries: kCand slots, then zeros that stages read past the end as "nothing moves in".
  alignas(16) std::array<uint16_t, kCand + kPad> x{};
  alignas(16) std::array<uint16_t, kCand + kPad> y{};
  for (size_t j = 0; j < kBytes; ++j) {  // low half-byte first (Alg. 31 lines 4-5)
    x[2 * j] = stream[j] & 15u;
    x[2 * j + 1] = static_cast<uint16_t>(stream[j] >> 4);
  }
  // Entries, four 16-bit lanes per 64-bit word (SWAR): lane k of a word gets d = rejected +
  // (rejections in lanes < k); the exclusive prefix sum over the lanes is one multiplication.
  static_assert(kCand % 4 == 0);
  constexpr uint64_t kLanes = 0x0001000100010001;
  uint64_t rejected = 0;
  for (size_t i = 0; i < kCand; i += 4) {
    uint64_t v;
    std::memcpy(&v, &x[i], 8);
    const uint64_t rej = ((v + (0x8000 - kLimit) * kLanes) >> 15) & kLanes;  // 1 iff v >= limit
    const uint64_t d = (rej << 16) * kLanes + rejected * kLanes;
    const uint64_t keep = (rej ^ kLanes) * 0xFFFF;
    v = ((d << 4) | v) & keep;
    std::memcpy(&x[i], &v, 8);
    rejected += (rej * kLanes) >> 48;
  }
  for (int b = 0; b < kStages; b += 2) {
    compact_stage(y.data(), x.data(), stage_width(kCand, kStages, b), b);
    if (b + 1 < kStages) {
      compact_stage(x.data(), y.data(), stage_width(kCand, kStages, b + 1), b + 1);
    }
  }
  const auto& out = kStages % 2 == 0 ? x : y;  // stage b writes y for even b, x for odd b
  for (size_t j = 0; j < kN; ++j) {
    const int32_t b = out[j] & 15;
    if constexpr (kEta == 2) {
      a[j] = 2 - (b - 5 * ((b * 205) >> 10));  // 2 - (b mod 5) for b < 15
    } else {
      a[j] = 4 - b;
    }
  }
  // All ones iff at least 256 candidates were accepted (kCand - rejected >= 256), else 0.
  const uint32_t too_few =
      (static_cast<uint32_t>(kCand) - static_cast<uint32_t>(rejected) - 256u) >> 31;
  const uint32_t enough = too_few - 1u;
  secure_wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(x.data()), sizeof x));
  secure_wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(y.data()), sizeof y));
  secure_wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&rejected), sizeof rejected));
  return enough;
}

}  // namespace

uint32_t rej_bounded_from_stream(Poly& a, std::span<const uint8_t> stream, int eta) {
  return eta == 2 ? rej_bounded_eta<2>(a, stream.data()) : rej_bounded_eta<4>(a, stream.data());
}

void rej_bounded_poly(Poly& a, std::span<const uint8_t, 64> rho_prime, uint16_t nonce, int eta) {
  Shake xof(Shake::Kind::k256);
  xof.absorb(rho_prime);
  const uint8_t n[2] = {static_cast<uint8_t>(nonce), static_cast<uint8_t>(nonce >> 8)};
  xof.absorb(n);
  std::array<uint8_t, rej_bounded_bytes(4)> buf;
  const auto stream = std::span<uint8_t>(buf.data(), rej_bounded_bytes(eta));
  xof.squeeze(stream);
  // The "enough" mask is deliberately not looked at: see rej_bounded_from_stream.
  (void)rej_bounded_from_stream(a, stream, eta);
  secure_wipe(buf);
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
