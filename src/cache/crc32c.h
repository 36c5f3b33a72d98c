// CRC32C (Castagnoli) for the cache's integrity checks: entry checksums and snapshot frames.
// Uses the SSE4.2 crc32 instruction when the CPU has it (several GB/s), else a table (~0.5 GB/s).
// Chosen over SHA-256 because the threat is bit rot and torn writes, not an adversary; numbers
// in docs/CACHE.md.
#pragma once

#include <cstdint>
#include <string_view>

namespace x0::cache {

// crc32c_extend(crc32c(a), b) == crc32c(a + b). crc32c("123456789") == 0xE3069283.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(std::string_view s) { return crc32c_extend(0, s.data(), s.size()); }
inline uint32_t crc32c_extend(uint32_t crc, std::string_view s) {
  return crc32c_extend(crc, s.data(), s.size());
}
// Software-only path, for tests and the benchmark.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size);
bool crc32c_hardware();

}  // namespace x0::cache
