// Keccak-f[1600], SHA3-256/512 and SHAKE128/256 per FIPS 202 (see xof.h for why not EVP).
// The round is written out lane by lane (theta, rho+pi, chi, iota) so the 25 lanes stay in
// registers; xof_test.cc proves it equal to OpenSSL on many input and output lengths.
#include "pqc/xof.h"

#include <openssl/crypto.h>

#include <cstring>

namespace x0::pqc::detail {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL,
    0x000000000000808BULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008AULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

inline uint64_t rotl(uint64_t v, int n) { return (v << n) | (v >> (64 - n)); }

inline uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

inline void store_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

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
    for (size_t i = 0; i < take; ++i, ++pos) p[i] = static_cast<uint8_t>(s[pos / 8] >> (8 * (pos % 8)));
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
  for (int round = 0; round < 24; ++round) {
    const uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
    const uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
    const uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
    const uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
    const uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
    const uint64_t d0 = c4 ^ rotl(c1, 1);
    const uint64_t d1 = c0 ^ rotl(c2, 1);
    const uint64_t d2 = c1 ^ rotl(c3, 1);
    const uint64_t d3 = c2 ^ rotl(c4, 1);
    const uint64_t d4 = c3 ^ rotl(c0, 1);
    const uint64_t b0 = (a[0] ^ d0);
    const uint64_t b16 = rotl(a[5] ^ d0, 36);
    const uint64_t b7 = rotl(a[10] ^ d0, 3);
    const uint64_t b23 = rotl(a[15] ^ d0, 41);
    const uint64_t b14 = rotl(a[20] ^ d0, 18);
    const uint64_t b10 = rotl(a[1] ^ d1, 1);
    const uint64_t b1 = rotl(a[6] ^ d1, 44);
    const uint64_t b17 = rotl(a[11] ^ d1, 10);
    const uint64_t b8 = rotl(a[16] ^ d1, 45);
    const uint64_t b24 = rotl(a[21] ^ d1, 2);
    const uint64_t b20 = rotl(a[2] ^ d2, 62);
    const uint64_t b11 = rotl(a[7] ^ d2, 6);
    const uint64_t b2 = rotl(a[12] ^ d2, 43);
    const uint64_t b18 = rotl(a[17] ^ d2, 15);
    const uint64_t b9 = rotl(a[22] ^ d2, 61);
    const uint64_t b5 = rotl(a[3] ^ d3, 28);
    const uint64_t b21 = rotl(a[8] ^ d3, 55);
    const uint64_t b12 = rotl(a[13] ^ d3, 25);
    const uint64_t b3 = rotl(a[18] ^ d3, 21);
    const uint64_t b19 = rotl(a[23] ^ d3, 56);
    const uint64_t b15 = rotl(a[4] ^ d4, 27);
    const uint64_t b6 = rotl(a[9] ^ d4, 20);
    const uint64_t b22 = rotl(a[14] ^ d4, 39);
    const uint64_t b13 = rotl(a[19] ^ d4, 8);
    const uint64_t b4 = rotl(a[24] ^ d4, 14);
    a[0] = b0 ^ (~b1 & b2);
    a[1] = b1 ^ (~b2 & b3);
    a[2] = b2 ^ (~b3 & b4);
    a[3] = b3 ^ (~b4 & b0);
    a[4] = b4 ^ (~b0 & b1);
    a[5] = b5 ^ (~b6 & b7);
    a[6] = b6 ^ (~b7 & b8);
    a[7] = b7 ^ (~b8 & b9);
    a[8] = b8 ^ (~b9 & b5);
    a[9] = b9 ^ (~b5 & b6);
    a[10] = b10 ^ (~b11 & b12);
    a[11] = b11 ^ (~b12 & b13);
    a[12] = b12 ^ (~b13 & b14);
    a[13] = b13 ^ (~b14 & b10);
    a[14] = b14 ^ (~b10 & b11);
    a[15] = b15 ^ (~b16 & b17);
    a[16] = b16 ^ (~b17 & b18);
    a[17] = b17 ^ (~b18 & b19);
    a[18] = b18 ^ (~b19 & b15);
    a[19] = b19 ^ (~b15 & b16);
    a[20] = b20 ^ (~b21 & b22);
    a[21] = b21 ^ (~b22 & b23);
    a[22] = b22 ^ (~b23 & b24);
    a[23] = b23 ^ (~b24 & b20);
    a[24] = b24 ^ (~b20 & b21);
    a[0] ^= kRoundConstants[round];
  }
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
  if (squeezing_) return;  // contract: absorb only before the first squeeze
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
