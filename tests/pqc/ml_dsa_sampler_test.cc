// RejBoundedPoly (FIPS 204 Alg. 31): the constant-time sampler in ml_dsa_poly.cc (fixed-length
// SHAKE256 prefix + oblivious compaction) against a straightforward transcription of Alg. 31
// that squeezes one byte at a time until 256 coefficients are accepted. Random seeds for both
// eta, plus hand-made streams that stress the compaction (long rejection runs, exactly 256
// accepted, too few accepted).
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "pqc/ml_dsa_poly.h"
#include "pqc/xof.h"

namespace x0::pqc::detail::dsa {
namespace {

// Alg. 15 CoeffFromHalfByte; returns false for a rejected half-byte.
bool coeff_from_half_byte(int b, int eta, int32_t& out) {
  if (eta == 2 && b < 15) {
    out = 2 - b % 5;
    return true;
  }
  if (eta == 4 && b < 9) {
    out = 4 - b;
    return true;
  }
  return false;
}

// Alg. 31 over a byte source; returns how many bytes it consumed.
template <class NextByte>
size_t reference_rej_bounded(Poly& a, int eta, NextByte next_byte) {
  size_t j = 0;
  size_t consumed = 0;
  while (j < kN) {
    const int z = next_byte();
    ++consumed;
    int32_t c;
    if (coeff_from_half_byte(z % 16, eta, c)) a[j++] = c;
    if (j < kN && coeff_from_half_byte(z / 16, eta, c)) a[j++] = c;
  }
  return consumed;
}

Poly reference_from_seed(const std::array<uint8_t, 64>& rho_prime, uint16_t nonce, int eta,
                         size_t* consumed = nullptr) {
  Shake xof(Shake::Kind::k256);
  xof.absorb(rho_prime);
  const uint8_t n[2] = {static_cast<uint8_t>(nonce), static_cast<uint8_t>(nonce >> 8)};
  xof.absorb(n);
  Poly a{};
  const size_t used = reference_rej_bounded(a, eta, [&] {
    uint8_t byte;
    xof.squeeze(std::span<uint8_t>(&byte, 1));
    return int{byte};
  });
  if (consumed != nullptr) *consumed = used;
  return a;
}

class RejBoundedTest : public ::testing::TestWithParam<int> {};
INSTANTIATE_TEST_SUITE_P(Eta, RejBoundedTest, ::testing::Values(2, 4),
                         [](const auto& p) { return "Eta" + std::to_string(p.param); });

TEST_P(RejBoundedTest, MatchesAlgorithm31OnRandomSeeds) {
  const int eta = GetParam();
  std::mt19937_64 rng(0x5eed0000u + static_cast<unsigned>(eta));
  size_t max_consumed = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::array<uint8_t, 64> rho_prime;
    for (auto& byte : rho_prime) byte = static_cast<uint8_t>(rng());
    const auto nonce = static_cast<uint16_t>(rng());
    size_t consumed = 0;
    const Poly expected = reference_from_seed(rho_prime, nonce, eta, &consumed);
    max_consumed = std::max(max_consumed, consumed);
    Poly got;
    rej_bounded_poly(got, rho_prime, nonce, eta);
    ASSERT_EQ(got, expected) << "trial " << trial << " nonce " << nonce;
  }
  // The fixed prefix covers what Alg. 31 read (it must, for the outputs to agree).
  EXPECT_LE(max_consumed, rej_bounded_bytes(eta));
}

// Streams that random seeds practically never produce: the compaction must still pick exactly
// the first 256 accepted half-bytes, in order, whatever the positions of the rejections.
TEST_P(RejBoundedTest, MatchesAlgorithm31OnAdversarialStreams) {
  const int eta = GetParam();
  const size_t len = rej_bounded_bytes(eta);
  const size_t cand = 2 * len;
  const uint8_t reject = 0xFF;  // both half-bytes 15: rejected for eta 2 and 4
  std::mt19937_64 rng(77);
  std::vector<std::vector<uint8_t>> streams;
  // All rejections first, then only accepted values: the largest distances d.
  for (size_t lead : {size_t{0}, size_t{1}, len - 128 - 1, len - 128}) {
    std::vector<uint8_t> s(len, reject);
    for (size_t i = lead; i < len; ++i) s[i] = static_cast<uint8_t>(rng() % 9 * 0x11);
    streams.push_back(s);
  }
  // Exactly 256 accepted half-bytes scattered at random positions.
  for (int t = 0; t < 200; ++t) {
    std::vector<bool> accept(cand, false);
    for (size_t placed = 0; placed < kN;) {
      const size_t p = rng() % cand;
      if (!accept[p]) accept[p] = true, ++placed;
    }
    std::vector<uint8_t> s(len);
    for (size_t i = 0; i < len; ++i) {
      const auto lo = accept[2 * i] ? rng() % 9 : 15;
      const auto hi = accept[2 * i + 1] ? rng() % 9 : 15;
      s[i] = static_cast<uint8_t>(lo | hi << 4);
    }
    streams.push_back(s);
  }
  // Random mixes with rejection rates from 0 to near the limit.
  for (int t = 0; t < 200; ++t) {
    const uint64_t percent = rng() % 70;
    std::vector<uint8_t> s(len);
    for (auto& byte : s) {
      const auto lo = rng() % 100 < percent ? 15 : rng() % 16;
      const auto hi = rng() % 100 < percent ? 15 : rng() % 16;
      byte = static_cast<uint8_t>(lo | hi << 4);
    }
    streams.push_back(s);
  }
  size_t checked = 0;
  for (const auto& s : streams) {
    size_t accepted = 0;
    for (size_t i = 0; i < cand; ++i) {
      int32_t c;
      accepted += coeff_from_half_byte((s[i / 2] >> (4 * (i % 2))) & 15, eta, c);
    }
    if (accepted < kN) continue;  // covered by the next test
    size_t pos = 0;
    Poly expected{};
    reference_rej_bounded(expected, eta, [&] { return int{s.at(pos++)}; });
    Poly got;
    EXPECT_EQ(rej_bounded_from_stream(got, s, eta), 0xFFFFFFFFu);
    ASSERT_EQ(got, expected) << "stream " << checked;
    ++checked;
  }
  EXPECT_GE(checked, 250u);
}

TEST_P(RejBoundedTest, TooFewAcceptedIsReportedAndStaysInRange) {
  const int eta = GetParam();
  const size_t len = rej_bounded_bytes(eta);
  std::vector<uint8_t> s(len, 0xFF);
  for (size_t i = 0; i < 127; ++i) s[len - 1 - i] = 0x31;  // 254 accepted: 1, 3
  s[0] = 0xF2;  // 255th accepted, at the front
  Poly got;
  EXPECT_EQ(rej_bounded_from_stream(got, s, eta), 0u);
  for (const int32_t c : got) {
    EXPECT_GE(c, -eta);
    EXPECT_LE(c, eta);
  }
  int32_t first;
  ASSERT_TRUE(coeff_from_half_byte(2, eta, first));
  EXPECT_EQ(got[0], first);  // order kept: the first accepted half-byte comes first
  s[1] = 0xF0;  // one more accepted half-byte: now exactly 256
  EXPECT_EQ(rej_bounded_from_stream(got, s, eta), 0xFFFFFFFFu);
}

}  // namespace
}  // namespace x0::pqc::detail::dsa
