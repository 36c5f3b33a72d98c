// The 4-way AVX2 SHAKE (ShakeX4) must produce, for each of its four streams, exactly the bytes
// of a separate portable Shake stream, for both SHAKE128 and SHAKE256 and many input lengths.
#include "pqc/keccak_x4.h"

#include <gtest/gtest.h>

#include <vector>

#include "pqc/xof.h"

namespace x0::pqc::detail {
namespace {

TEST(ShakeX4Test, StreamsMatchPortableShake) {
  if (!ShakeX4::available()) GTEST_SKIP() << "no AVX2 on this CPU: the portable path is used";
  for (auto kind : {Shake::Kind::k128, Shake::Kind::k256}) {
    const size_t rate = kind == Shake::Kind::k128 ? 168 : 136;
    for (size_t len : {size_t{0}, size_t{1}, size_t{33}, size_t{34}, rate - 2, rate - 1}) {
      std::vector<uint8_t> inputs[4];
      std::array<std::span<const uint8_t>, 4> in;
      for (size_t t = 0; t < 4; ++t) {
        inputs[t].resize(len);
        for (size_t i = 0; i < len; ++i)
          inputs[t][i] = static_cast<uint8_t>(i * 31 + t * 101 + len);
        in[t] = inputs[t];
      }
      ShakeX4 x4(kind);
      x4.absorb_once(in);
      std::vector<uint8_t> got[4];
      for (auto& g : got) g.resize(rate * 5);
      for (size_t block = 0; block < 5; ++block) {
        std::array<std::span<uint8_t>, 4> out;
        for (size_t t = 0; t < 4; ++t)
          out[t] = std::span<uint8_t>(got[t]).subspan(block * rate, rate);
        x4.squeeze_block(out);
      }
      for (size_t t = 0; t < 4; ++t) {
        Shake one(kind);
        one.absorb(inputs[t]);
        std::vector<uint8_t> want(rate * 5);
        one.squeeze(want);
        EXPECT_EQ(got[t], want) << "rate " << rate << " len " << len << " stream " << t;
      }
    }
  }
}

TEST(ShakeX4Test, CanBeDisabledForTests) {
  const bool before = ShakeX4::available();
  ShakeX4::set_enabled(false);
  EXPECT_FALSE(ShakeX4::available());
  ShakeX4::set_enabled(true);
  EXPECT_EQ(ShakeX4::available(), before);
}

}  // namespace
}  // namespace x0::pqc::detail
