// CRC32C: hardware (SSE4.2, chosen once at start-up) or table-driven fallback.
#include "cache/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace x0::cache {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kTable = make_table();

uint32_t raw_portable(uint32_t c, const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) c = kTable[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t raw_hardware(uint32_t c, const unsigned char* p,
                                                        size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c64);
  while (n > 0) {
    c32 = _mm_crc32_u8(c32, *p++);
    --n;
  }
  return c32;
}
bool detect_hardware() { return __builtin_cpu_supports("sse4.2"); }
#else
uint32_t raw_hardware(uint32_t c, const unsigned char* p, size_t n) {
  return raw_portable(c, p, n);
}
bool detect_hardware() { return false; }
#endif

const bool kHardware = detect_hardware();

}  // namespace

bool crc32c_hardware() { return kHardware; }

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = ~crc;
  c = kHardware ? raw_hardware(c, p, size) : raw_portable(c, p, size);
  return ~c;
}

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) {
  return ~raw_portable(~crc, static_cast<const unsigned char*>(data), size);
}

}  // namespace x0::cache
