// Checks our Keccak-based SHA3/SHAKE byte for byte against OpenSSL's EVP implementation, on
// many input and output lengths (around every rate boundary), and the Shake streaming contract.
#include "pqc/xof.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <vector>

namespace x0::pqc::detail {
namespace {

std::vector<uint8_t> evp_digest(const EVP_MD* md, const std::vector<uint8_t>& in, size_t out_len,
                                bool xof) {
  std::vector<uint8_t> out(out_len);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestInit_ex(ctx, md, nullptr), 1);
  EXPECT_EQ(EVP_DigestUpdate(ctx, in.data(), in.size()), 1);
  if (xof) {
    EXPECT_EQ(EVP_DigestFinalXOF(ctx, out.data(), out.size()), 1);
  } else {
    unsigned int len = 0;
    EXPECT_EQ(EVP_DigestFinal_ex(ctx, out.data(), &len), 1);
    EXPECT_EQ(len, out_len);
  }
  EVP_MD_CTX_free(ctx);
  return out;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 131 + seed * 7 + (i >> 8));
  return v;
}

const std::vector<size_t>& lengths() {
  static const std::vector<size_t> kLengths = [] {
    std::vector<size_t> l;
    for (size_t i = 0; i <= 10; ++i) l.push_back(i);
    for (size_t r : {72u, 136u, 168u})
      for (size_t k : {1u, 2u, 3u})
        for (int d = -2; d <= 2; ++d) l.push_back(r * k + static_cast<size_t>(d + 2) - 2);
    for (size_t i : {33u, 64u, 100u, 500u, 1000u, 1184u, 4096u}) l.push_back(i);
    return l;
  }();
  return kLengths;
}

TEST(XofTest, Sha3MatchesOpenSsl) {
  for (size_t len : lengths()) {
    auto in = pattern(len, 1);
    std::array<uint8_t, 32> h256{};
    std::array<uint8_t, 64> h512{};
    sha3_256(in, h256);
    sha3_512(in, h512);
    EXPECT_EQ(std::vector<uint8_t>(h256.begin(), h256.end()),
              evp_digest(EVP_sha3_256(), in, 32, false))
        << "len " << len;
    EXPECT_EQ(std::vector<uint8_t>(h512.begin(), h512.end()),
              evp_digest(EVP_sha3_512(), in, 64, false))
        << "len " << len;
  }
}

TEST(XofTest, ShakeOneShotMatchesOpenSsl) {
  for (size_t len : lengths()) {
    for (size_t out_len : {1u, 32u, 135u, 136u, 137u, 168u, 169u, 500u, 1000u}) {
      auto in = pattern(len, 2);
      std::vector<uint8_t> o128(out_len), o256(out_len);
      shake128(in, o128);
      shake256(in, o256);
      EXPECT_EQ(o128, evp_digest(EVP_shake128(), in, out_len, true)) << len << "/" << out_len;
      EXPECT_EQ(o256, evp_digest(EVP_shake256(), in, out_len, true)) << len << "/" << out_len;
    }
  }
}

TEST(XofTest, ShakeStreamsInPiecesLikeOneLongCall) {
  const auto in = pattern(777, 3);
  const size_t total = 2000;
  for (auto kind : {Shake::Kind::k128, Shake::Kind::k256}) {
    const EVP_MD* md = kind == Shake::Kind::k128 ? EVP_shake128() : EVP_shake256();
    auto want = evp_digest(md, in, total, true);
    for (size_t piece : {1u, 7u, 64u, 136u, 168u, 300u}) {
      Shake shake(kind);
      // Absorb in uneven pieces too.
      size_t off = 0;
      size_t step = piece;
      while (off < in.size()) {
        size_t n = std::min(step, in.size() - off);
        shake.absorb(std::span<const uint8_t>(in).subspan(off, n));
        off += n;
        step = step * 3 / 2 + 1;
      }
      std::vector<uint8_t> got(total);
      off = 0;
      while (off < total) {
        size_t n = std::min(piece, total - off);
        shake.squeeze(std::span<uint8_t>(got).subspan(off, n));
        off += n;
      }
      EXPECT_EQ(got, want) << "piece " << piece;
    }
  }
}

TEST(XofTest, IncrementalSha3MatchesOneShot) {
  const auto in = pattern(1500, 4);
  for (size_t piece : {1u, 5u, 72u, 136u, 200u}) {
    Sha3 h(Sha3::Kind::k256);
    Sha3 g(Sha3::Kind::k512);
    for (size_t off = 0; off < in.size(); off += piece) {
      auto part = std::span<const uint8_t>(in).subspan(off, std::min(piece, in.size() - off));
      h.absorb(part);
      g.absorb(part);
    }
    std::array<uint8_t, 32> a{}, b{};
    std::array<uint8_t, 64> c{}, d{};
    h.finish(a);
    g.finish(c);
    sha3_256(in, b);
    sha3_512(in, d);
    EXPECT_EQ(a, b);
    EXPECT_EQ(c, d);
  }
}

TEST(XofDeathTest, AbsorbAfterSqueezeAborts) {
  Shake shake(Shake::Kind::k128);
  std::array<uint8_t, 8> out{};
  shake.squeeze(out);
  const std::array<uint8_t, 1> more{1};
  EXPECT_DEATH(shake.absorb(more), "absorb called after squeeze");
}

TEST(XofTest, KnownAnswersFromFips202Examples) {
  // SHA3-256("") and SHAKE128("", 32): the empty-message values published with FIPS 202.
  std::array<uint8_t, 32> h{};
  sha3_256({}, h);
  const std::array<uint8_t, 32> kSha3Empty = {0xa7, 0xff, 0xc6, 0xf8, 0xbf, 0x1e, 0xd7, 0x66,
                                              0x51, 0xc1, 0x47, 0x56, 0xa0, 0x61, 0xd6, 0x62,
                                              0xf5, 0x80, 0xff, 0x4d, 0xe4, 0x3b, 0x49, 0xfa,
                                              0x82, 0xd8, 0x0a, 0x4b, 0x80, 0xf8, 0x43, 0x4a};
  EXPECT_EQ(h, kSha3Empty);
  std::array<uint8_t, 32> s{};
  shake128({}, s);
  const std::array<uint8_t, 32> kShake128Empty = {0x7f, 0x9c, 0x2b, 0xa4, 0xe8, 0x8f, 0x82, 0x7d,
                                                  0x61, 0x60, 0x45, 0x50, 0x76, 0x05, 0x85, 0x3e,
                                                  0xd7, 0x3b, 0x80, 0x93, 0xf6, 0xef, 0xbc, 0x88,
                                                  0xeb, 0x1a, 0x6e, 0xac, 0xfa, 0x66, 0xef, 0x26};
  EXPECT_EQ(s, kShake128Empty);
}

}  // namespace
}  // namespace x0::pqc::detail
