// Keccak-f[1600], SHA3-256/512 and SHAKE128/256 per FIPS 202 (see xof.h for why not EVP).
// The round is written out lane by lane (theta, rho+pi, chi, iota) so the 25 lanes stay in
// registers; xof_test.cc proves it equal to OpenSSL on many input and output lengths.
#include "pqc/xof.h"

#include <openssl/crypto.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "pqc/keccak_constants.h"

namespace x0::pqc::detail {
namespace {

inline uint64_t rotl(uint64_t v, int n) { return (v << n) | (v >> (64 - n)); }

static_assert(std::endian::native == std::endian::little, "lanes are loaded with memcpy");

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline void store_le64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }

// XORs `data` into the state starting at byte `pos` of the rate; permutes on every full block.
// Returns the new position.
size_t absorb_bytes(uint64_t* s, size_t rate, size_t pos, std::span<const uint8_t> data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    if (pos == 0 && n >= rate) {  // whole blocks, lane at a time
      for (size_t i = 0; i < rate / 8; ++i) s[i] ^= load_le64(p + 8 * i);
      keccak_f1600(s);
      p += rate;
      n -= rate;
      continue;
    }
    size_t take = rate - pos < n ? rate - pos : n;
    for (size_t i = 0; i < take; ++i, ++pos)
      s[pos / 8] ^= static_cast<uint64_t>(p[i]) << (8 * (pos % 8));
    p += take;
    n -= take;
    if (pos == rate) {
      keccak_f1600(s);
      pos = 0;
    }
  }
  return pos;
}

void pad(uint64_t* s, size_t rate, size_t pos, uint8_t domain) {
  s[pos / 8] ^= static_cast<uint64_t>(domain) << (8 * (pos % 8));
  s[(rate - 1) / 8] ^= 0x80ULL << (8 * ((rate - 1) % 8));
  keccak_f1600(s);
}

// Reads output starting at byte `pos` of the current (already permuted) block; permutes when a
// block is used up. Returns the new position (== rate means "permute before the next byte").
size_t squeeze_bytes(uint64_t* s, size_t rate, size_t pos, std::span<uint8_t> out) {
  uint8_t* p = out.data();
  size_t n = out.size();
  while (n > 0) {
    if (pos == rate) {
      keccak_f1600(s);
      pos = 0;
    }
    if (pos == 0 && n >= rate) {
      for (size_t i = 0; i < rate / 8; ++i) store_le64(p + 8 * i, s[i]);
      p += rate;
      n -= rate;
      pos = rate;
      continue;
    }
    size_t take = rate - pos < n ? rate - pos : n;
    for (size_t i = 0; i < take; ++i, ++pos)
      p[i] = static_cast<uint8_t>(s[pos / 8] >> (8 * (pos % 8)));
    p += take;
    n -= take;
  }
  return pos;
}

void wipe_state(uint64_t* s) { OPENSSL_cleanse(s, 25 * sizeof(uint64_t)); }

void sponge_oneshot(size_t rate, uint8_t domain, std::span<const uint8_t> in,
                    std::span<uint8_t> out) {
  uint64_t s[25] = {};
  size_t pos = absorb_bytes(s, rate, 0, in);
  pad(s, rate, pos, domain);
  squeeze_bytes(s, rate, 0, out);
  wipe_state(s);
}

constexpr uint8_t kSha3Domain = 0x06;
constexpr uint8_t kShakeDomain = 0x1F;

}  // namespace

void keccak_f1600(uint64_t a[25]) {
  // Lanes in locals so they can live in registers; two rounds per iteration ping-pong
  // between the s and e lanes; rho+pi is folded into chi one output row at a time.
  // Lane complementing: lanes 1, 2, 8, 12, 17, 20 are held inverted inside the loop, which
  // turns most of chi's NOTs into AND/OR forms (the expressions below were derived and
  // are verified byte for byte against OpenSSL by xof_test.cc).
  uint64_t s0 = a[0];
  uint64_t s1 = ~a[1];
  uint64_t s2 = ~a[2];
  uint64_t s3 = a[3];
  uint64_t s4 = a[4];
  uint64_t s5 = a[5];
  uint64_t s6 = a[6];
  uint64_t s7 = a[7];
  uint64_t s8 = ~a[8];
  uint64_t s9 = a[9];
  uint64_t s10 = a[10];
  uint64_t s11 = a[11];
  uint64_t s12 = ~a[12];
  uint64_t s13 = a[13];
  uint64_t s14 = a[14];
  uint64_t s15 = a[15];
  uint64_t s16 = a[16];
  uint64_t s17 = ~a[17];
  uint64_t s18 = a[18];
  uint64_t s19 = a[19];
  uint64_t s20 = ~a[20];
  uint64_t s21 = a[21];
  uint64_t s22 = a[22];
  uint64_t s23 = a[23];
  uint64_t s24 = a[24];
  uint64_t e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12, e13, e14, e15, e16, e17, e18, e19,
      e20, e21, e22, e23, e24;
  uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4, b0, b1, b2, b3, b4;
  for (int round = 0; round < 24; round += 2) {
    c0 = s0 ^ s5 ^ s10 ^ s15 ^ s20;
    c1 = s1 ^ s6 ^ s11 ^ s16 ^ s21;
    c2 = s2 ^ s7 ^ s12 ^ s17 ^ s22;
    c3 = s3 ^ s8 ^ s13 ^ s18 ^ s23;
    c4 = s4 ^ s9 ^ s14 ^ s19 ^ s24;
    d0 = c4 ^ rotl(c1, 1);
    d1 = c0 ^ rotl(c2, 1);
    d2 = c1 ^ rotl(c3, 1);
    d3 = c2 ^ rotl(c4, 1);
    d4 = c3 ^ rotl(c0, 1);
    b0 = s0 ^ d0;
    b1 = rotl(s6 ^ d1, 44);
    b2 = rotl(s12 ^ d2, 43);
    b3 = rotl(s18 ^ d3, 21);
    b4 = rotl(s24 ^ d4, 14);
    e0 = b0 ^ (b1 | b2);
    e1 = b1 ^ (~b2 | b3);
    e2 = b2 ^ (b3 & b4);
    e3 = b3 ^ (b4 | b0);
    e4 = b4 ^ (b0 & b1);
    b0 = rotl(s3 ^ d3, 28);
    b1 = rotl(s9 ^ d4, 20);
    b2 = rotl(s10 ^ d0, 3);
    b3 = rotl(s16 ^ d1, 45);
    b4 = rotl(s22 ^ d2, 61);
    e5 = b0 ^ (b1 | b2);
    e6 = b1 ^ (b2 & b3);
    e7 = b2 ^ (b3 | ~b4);
    e8 = b3 ^ (b4 | b0);
    e9 = b4 ^ (b0 & b1);
    b0 = rotl(s1 ^ d1, 1);
    b1 = rotl(s7 ^ d2, 6);
    b2 = rotl(s13 ^ d3, 25);
    b3 = rotl(s19 ^ d4, 8);
    b4 = rotl(s20 ^ d0, 18);
    e10 = b0 ^ (b1 | b2);
    e11 = b1 ^ (b2 & b3);
    e12 = b2 ^ (~b3 & b4);
    e13 = ~(b3 ^ (b4 | b0));
    e14 = b4 ^ (b0 & b1);
    b0 = rotl(s4 ^ d4, 27);
    b1 = rotl(s5 ^ d0, 36);
    b2 = rotl(s11 ^ d1, 10);
    b3 = rotl(s17 ^ d2, 15);
    b4 = rotl(s23 ^ d3, 56);
    e15 = b0 ^ (b1 & b2);
    e16 = b1 ^ (b2 | b3);
    e17 = b2 ^ (~b3 | b4);
    e18 = ~(b3 ^ (b4 & b0));
    e19 = b4 ^ (b0 | b1);
    b0 = rotl(s2 ^ d2, 62);
    b1 = rotl(s8 ^ d3, 55);
    b2 = rotl(s14 ^ d4, 39);
    b3 = rotl(s15 ^ d0, 41);
    b4 = rotl(s21 ^ d1, 2);
    e20 = b0 ^ (~b1 & b2);
    e21 = ~(b1 ^ (b2 | b3));
    e22 = b2 ^ (b3 & b4);
    e23 = b3 ^ (b4 | b0);
    e24 = b4 ^ (b0 & b1);
    e0 ^= kKeccakRoundConstants[round];
    c0 = e0 ^ e5 ^ e10 ^ e15 ^ e20;
    c1 = e1 ^ e6 ^ e11 ^ e16 ^ e21;
    c2 = e2 ^ e7 ^ e12 ^ e17 ^ e22;
    c3 = e3 ^ e8 ^ e13 ^ e18 ^ e23;
    c4 = e4 ^ e9 ^ e14 ^ e19 ^ e24;
    d0 = c4 ^ rotl(c1, 1);
    d1 = c0 ^ rotl(c2, 1);
    d2 = c1 ^ rotl(c3, 1);
    d3 = c2 ^ rotl(c4, 1);
    d4 = c3 ^ rotl(c0, 1);
    b0 = e0 ^ d0;
    b1 = rotl(e6 ^ d1, 44);
    b2 = rotl(e12 ^ d2, 43);
    b3 = rotl(e18 ^ d3, 21);
    b4 = rotl(e24 ^ d4, 14);
    s0 = b0 ^ (b1 | b2);
    s1 = b1 ^ (~b2 | b3);
    s2 = b2 ^ (b3 & b4);
    s3 = b3 ^ (b4 | b0);
    s4 = b4 ^ (b0 & b1);
    b0 = rotl(e3 ^ d3, 28);
    b1 = rotl(e9 ^ d4, 20);
    b2 = rotl(e10 ^ d0, 3);
    b3 = rotl(e16 ^ d1, 45);
    b4 = rotl(e22 ^ d2, 61);
    s5 = b0 ^ (b1 | b2);
    s6 = b1 ^ (b2 & b3);
    s7 = b2 ^ (b3 | ~b4);
    s8 = b3 ^ (b4 | b0);
    s9 = b4 ^ (b0 & b1);
    b0 = rotl(e1 ^ d1, 1);
    b1 = rotl(e7 ^ d2, 6);
    b2 = rotl(e13 ^ d3, 25);
    b3 = rotl(e19 ^ d4, 8);
    b4 = rotl(e20 ^ d0, 18);
    s10 = b0 ^ (b1 | b2);
    s11 = b1 ^ (b2 & b3);
    s12 = b2 ^ (~b3 & b4);
    s13 = ~(b3 ^ (b4 | b0));
    s14 = b4 ^ (b0 & b1);
    b0 = rotl(e4 ^ d4, 27);
    b1 = rotl(e5 ^ d0, 36);
    b2 = rotl(e11 ^ d1, 10);
    b3 = rotl(e17 ^ d2, 15);
    b4 = rotl(e23 ^ d3, 56);
    s15 = b0 ^ (b1 & b2);
    s16 = b1 ^ (b2 | b3);
    s17 = b2 ^ (~b3 | b4);
    s18 = ~(b3 ^ (b4 & b0));
    s19 = b4 ^ (b0 | b1);
    b0 = rotl(e2 ^ d2, 62);
    b1 = rotl(e8 ^ d3, 55);
    b2 = rotl(e14 ^ d4, 39);
    b3 = rotl(e15 ^ d0, 41);
    b4 = rotl(e21 ^ d1, 2);
    s20 = b0 ^ (~b1 & b2);
    s21 = ~(b1 ^ (b2 | b3));
    s22 = b2 ^ (b3 & b4);
    s23 = b3 ^ (b4 | b0);
    s24 = b4 ^ (b0 & b1);
    s0 ^= kKeccakRoundConstants[round + 1];
  }
  a[0] = s0;
  a[1] = ~s1;
  a[2] = ~s2;
  a[3] = s3;
  a[4] = s4;
  a[5] = s5;
  a[6] = s6;
  a[7] = s7;
  a[8] = ~s8;
  a[9] = s9;
  a[10] = s10;
  a[11] = s11;
  a[12] = ~s12;
  a[13] = s13;
  a[14] = s14;
  a[15] = s15;
  a[16] = s16;
  a[17] = ~s17;
  a[18] = s18;
  a[19] = s19;
  a[20] = ~s20;
  a[21] = s21;
  a[22] = s22;
  a[23] = s23;
  a[24] = s24;
}

void sha3_256(std::span<const uint8_t> in, std::span<uint8_t, 32> out) {
  sponge_oneshot(136, kSha3Domain, in, out);
}

void sha3_512(std::span<const uint8_t> in, std::span<uint8_t, 64> out) {
  sponge_oneshot(72, kSha3Domain, in, out);
}

void shake128(std::span<const uint8_t> in, std::span<uint8_t> out) {
  sponge_oneshot(168, kShakeDomain, in, out);
}

void shake256(std::span<const uint8_t> in, std::span<uint8_t> out) {
  sponge_oneshot(136, kShakeDomain, in, out);
}

Sha3::Sha3(Kind kind)
    : rate_(kind == Kind::k256 ? 136 : 72), digest_size_(kind == Kind::k256 ? 32 : 64) {}

Sha3::~Sha3() { wipe_state(state_); }

void Sha3::absorb(std::span<const uint8_t> data) { pos_ = absorb_bytes(state_, rate_, pos_, data); }

void Sha3::finish(std::span<uint8_t> out) {
  pad(state_, rate_, pos_, kSha3Domain);
  squeeze_bytes(state_, rate_, 0, out.first(out.size() < digest_size_ ? out.size() : digest_size_));
}

Shake::Shake(Kind kind) : rate_(kind == Kind::k128 ? 168 : 136) {}

Shake::~Shake() { wipe_state(state_); }

void Shake::absorb(std::span<const uint8_t> data) {
  if (squeezing_) {
    // A programming error that would silently produce the wrong stream: stop loudly.
    std::fputs("x0::pqc::detail::Shake::absorb called after squeeze\n", stderr);
    std::abort();
  }
  pos_ = absorb_bytes(state_, rate_, pos_, data);
}

void Shake::squeeze(std::span<uint8_t> out) {
  if (!squeezing_) {
    pad(state_, rate_, pos_, kShakeDomain);
    squeezing_ = true;
    pos_ = 0;
  }
  pos_ = squeeze_bytes(state_, rate_, pos_, out);
}

}  // namespace x0::pqc::detail
