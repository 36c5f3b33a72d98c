// Secret byte arrays that are wiped when they die, and the module's one source of randomness.
// Every secret in pqc (seeds, decapsulation keys, shared secrets, signing keys) lives in a
// SecretBytes so no code path can forget to clear it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace x0::pqc {

// Wipes `bytes` in a way the compiler cannot elide (OPENSSL_cleanse).
void secure_wipe(std::span<uint8_t> bytes);

// Fills `out` from OpenSSL's DRBG (RAND_bytes), falling back to getrandom(2). If neither can
// deliver, the process aborts: continuing with predictable keys would be worse than stopping.
void random_bytes(std::span<uint8_t> out);

// Constant-time equality of two equal-length byte strings (no early exit).
bool ct_equal(std::span<const uint8_t> a, std::span<const uint8_t> b);

namespace detail {
// Tells valgrind's memcheck that a value derived from secrets is public from here on (e.g. the
// seed rho that becomes part of a public key). A no-op outside valgrind; it exists so the
// constant-time tests (tests/pqc/constant_time/) can mark secret inputs undefined and still
// let public outputs drive branches. Every call site must say why the value is public.
void declassify(const void* data, size_t size);
}  // namespace detail

template <size_t N>
class SecretBytes {
 public:
  static constexpr size_t kSize = N;
  SecretBytes() { bytes_.fill(0); }
  explicit SecretBytes(std::span<const uint8_t, N> from) {
    for (size_t i = 0; i < N; ++i) bytes_[i] = from[i];
  }
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes() { secure_wipe(bytes_); }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  static constexpr size_t size() { return N; }
  uint8_t& operator[](size_t i) { return bytes_[i]; }
  const uint8_t& operator[](size_t i) const { return bytes_[i]; }
  std::span<uint8_t, N> span() { return std::span<uint8_t, N>(bytes_); }
  std::span<const uint8_t, N> span() const { return std::span<const uint8_t, N>(bytes_); }
  auto begin() { return bytes_.begin(); }
  auto end() { return bytes_.end(); }
  auto begin() const { return bytes_.begin(); }
  auto end() const { return bytes_.end(); }

  // Constant-time comparison; use this rather than == for secrets.
  bool equals(std::span<const uint8_t> other) const { return ct_equal(bytes_, other); }

 private:
  std::array<uint8_t, N> bytes_;
};

}  // namespace x0::pqc
