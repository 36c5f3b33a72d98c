// SHA3-256/512 and SHAKE128/256 (FIPS 202) for ML-KEM and ML-DSA, on our own Keccak-f[1600].
// Own permutation rather than OpenSSL EVP: OpenSSL 3.0 has no incremental squeeze and its
// per-call EVP overhead dominates the lattice code; xof_test.cc checks every function byte for
// byte against OpenSSL's EVP output (see docs/PQC.md, "SHA-3 and SHAKE").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace x0::pqc::detail {

void sha3_256(std::span<const uint8_t> in, std::span<uint8_t, 32> out);
void sha3_512(std::span<const uint8_t> in, std::span<uint8_t, 64> out);
void shake128(std::span<const uint8_t> in, std::span<uint8_t> out);  // one-shot
void shake256(std::span<const uint8_t> in, std::span<uint8_t> out);  // one-shot

// The Keccak-f[1600] permutation on 25 little-endian lanes (FIPS 202 section 3).
void keccak_f1600(uint64_t state[25]);

// Incremental SHA3-256 / SHA3-512: absorb any number of pieces, then finish once.
class Sha3 {
 public:
  enum class Kind { k256, k512 };
  explicit Sha3(Kind kind);
  ~Sha3();
  Sha3(const Sha3&) = delete;
  Sha3& operator=(const Sha3&) = delete;
  void absorb(std::span<const uint8_t> data);
  // Writes the 32 or 64 byte digest (or its first out.size() bytes). Call once.
  void finish(std::span<uint8_t> out);

 private:
  uint64_t state_[25] = {};
  size_t rate_;
  size_t pos_ = 0;
  size_t digest_size_;
};

// SHAKE128/256 as a true stream: incremental absorb, then incremental squeeze (any number of
// calls; successive calls continue the output stream exactly as one long call would).
class Shake {
 public:
  enum class Kind { k128, k256 };
  explicit Shake(Kind kind);
  ~Shake();  // wipes the state: it may hold secret seeds
  Shake(const Shake&) = delete;
  Shake& operator=(const Shake&) = delete;
  // Only before the first squeeze; absorbing after squeezing aborts (it is a programming
  // error that would otherwise yield a wrong stream).
  void absorb(std::span<const uint8_t> data);
  void squeeze(std::span<uint8_t> out);  // successive calls continue the stream
  size_t rate() const { return rate_; }

 private:
  uint64_t state_[25] = {};
  size_t rate_;
  size_t pos_ = 0;  // byte position inside the current block (absorbing or squeezing)
  bool squeezing_ = false;
};

}  // namespace x0::pqc::detail
