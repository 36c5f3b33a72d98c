// Four independent SHAKE128/SHAKE256 streams in one AVX2 register set (4-way Keccak-f[1600]),
// used to sample four ML-KEM matrix entries at once. Runtime-dispatched: available() is false
// on CPUs without AVX2 (and when a test forces the portable path), and callers then use Shake.
// Every output is byte-identical to four separate detail::Shake streams (keccak_x4_test.cc).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "pqc/xof.h"

namespace x0::pqc::detail {

class ShakeX4 {
 public:
  // True when the CPU has AVX2 and the portable path is not forced.
  static bool available();
  // Test hook: force the portable path (false) or allow AVX2 again (true). Not thread-safe;
  // for tests and benchmarks only.
  static void set_enabled(bool enabled);

  explicit ShakeX4(Shake::Kind kind);
  ~ShakeX4();  // wipes the state
  ShakeX4(const ShakeX4&) = delete;
  ShakeX4& operator=(const ShakeX4&) = delete;

  // Absorbs four equal-length inputs (shorter than one block) and pads: one call only.
  void absorb_once(const std::array<std::span<const uint8_t>, 4>& in);
  // Squeezes the next whole block (rate() bytes) of each stream into out[i].
  void squeeze_block(const std::array<std::span<uint8_t>, 4>& out);
  size_t rate() const { return rate_; }

 private:
  alignas(32) uint64_t state_[25 * 4] = {};  // lane i of stream j at [4 * i + j]
  size_t rate_;
  bool squeezed_ = false;
};

}  // namespace x0::pqc::detail
