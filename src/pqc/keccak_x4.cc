// 4-way Keccak-f[1600] with AVX2 (see keccak_x4.h). Only the functions marked
// X0_AVX2_TARGET are compiled for AVX2, so nothing AVX2 can leak into code that runs on other
// CPUs; dispatch is by __builtin_cpu_supports. The round is the same theta / rho+pi / chi /
// iota as keccak_f1600 in xof.cc, on 4 x 64-bit lanes; chi uses andnot, so no complementing.
#include "pqc/keccak_x4.h"

#include <immintrin.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#define X0_AVX2_TARGET __attribute__((target("avx2")))

#include "pqc/keccak_constants.h"

namespace x0::pqc::detail {
namespace {


// rho offsets by lane index x + 5y (FIPS 202 Table 2).
constexpr int kRho[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                          25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

std::atomic<bool> g_enabled{true};

X0_AVX2_TARGET inline __m256i rotl(__m256i v, int n) {
  if (n == 0) return v;
  return _mm256_or_si256(_mm256_slli_epi64(v, n), _mm256_srli_epi64(v, 64 - n));
}

X0_AVX2_TARGET void keccak_f1600_x4(uint64_t* lanes) {
  __m256i s[25];
  for (int i = 0; i < 25; ++i)
    s[i] = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes + 4 * i));
  for (int round = 0; round < 24; ++round) {
    __m256i c[5], d[5], b[25];
    for (int x = 0; x < 5; ++x)
      c[x] = _mm256_xor_si256(_mm256_xor_si256(s[x], s[x + 5]),
                              _mm256_xor_si256(_mm256_xor_si256(s[x + 10], s[x + 15]), s[x + 20]));
    for (int x = 0; x < 5; ++x) d[x] = _mm256_xor_si256(c[(x + 4) % 5], rotl(c[(x + 1) % 5], 1));
    // rho and pi: B[y][2x+3y] = rot(A[x][y] ^ D[x], r[x][y]).
    for (int x = 0; x < 5; ++x)
      for (int y = 0; y < 5; ++y)
        b[y + 5 * ((2 * x + 3 * y) % 5)] =
            rotl(_mm256_xor_si256(s[x + 5 * y], d[x]), kRho[x + 5 * y]);
    // chi: A[x][y] = B[x][y] ^ (~B[x+1][y] & B[x+2][y]).
    for (int y = 0; y < 5; ++y)
      for (int x = 0; x < 5; ++x)
        s[x + 5 * y] = _mm256_xor_si256(
            b[x + 5 * y], _mm256_andnot_si256(b[(x + 1) % 5 + 5 * y], b[(x + 2) % 5 + 5 * y]));
    s[0] = _mm256_xor_si256(
        s[0], _mm256_set1_epi64x(static_cast<long long>(kKeccakRoundConstants[round])));
  }
  for (int i = 0; i < 25; ++i) _mm256_store_si256(reinterpret_cast<__m256i*>(lanes + 4 * i), s[i]);
}

bool cpu_has_avx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}

}  // namespace

bool ShakeX4::available() { return cpu_has_avx2() && g_enabled.load(std::memory_order_relaxed); }

void ShakeX4::set_enabled(bool enabled) { g_enabled.store(enabled, std::memory_order_relaxed); }

ShakeX4::ShakeX4(Shake::Kind kind) : rate_(kind == Shake::Kind::k128 ? 168 : 136) {
  if (!cpu_has_avx2()) {
    std::fputs("x0::pqc::detail::ShakeX4 used without AVX2\n", stderr);
    std::abort();
  }
}

ShakeX4::~ShakeX4() { OPENSSL_cleanse(state_, sizeof state_); }

void ShakeX4::absorb_once(const std::array<std::span<const uint8_t>, 4>& in) {
  const size_t len = in[0].size();
  if (squeezed_ || len >= rate_ || in[1].size() != len || in[2].size() != len ||
      in[3].size() != len) {
    std::fputs("x0::pqc::detail::ShakeX4::absorb_once: bad input lengths or order\n", stderr);
    std::abort();
  }
  for (size_t j = 0; j < 4; ++j) {
    uint8_t block[168] = {};
    if (len > 0) std::memcpy(block, in[j].data(), len);  // data() may be null when empty
    block[len] ^= 0x1F;  // SHAKE domain bits and first padding bit
    block[rate_ - 1] ^= 0x80;
    for (size_t i = 0; i < rate_ / 8; ++i) {
      uint64_t lane;
      std::memcpy(&lane, block + 8 * i, 8);
      state_[4 * i + j] ^= lane;
    }
    OPENSSL_cleanse(block, sizeof block);
  }
}

void ShakeX4::squeeze_block(const std::array<std::span<uint8_t>, 4>& out) {
  keccak_f1600_x4(state_);
  squeezed_ = true;
  for (size_t j = 0; j < 4; ++j) {
    if (out[j].size() < rate_) std::abort();
    for (size_t i = 0; i < rate_ / 8; ++i)
      std::memcpy(out[j].data() + 8 * i, &state_[4 * i + j], 8);
  }
}

}  // namespace x0::pqc::detail
