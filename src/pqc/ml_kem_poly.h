// Polynomial arithmetic over R_q = Z_3329[X]/(X^256+1) for ML-KEM (FIPS 203 sections 4.2-4.3):
// Barrett/Montgomery reduction, the NTT with precomputed zetas, sampling, compression and byte
// encoding. Internal to pqc; every function is free of secret-dependent branches and indices,
// except sample_ntt, which only ever sees the public seed rho.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace x0::pqc::detail::mlkem {

inline constexpr int16_t kQ = 3329;
inline constexpr size_t kN = 256;

struct Poly {
  int16_t c[kN];
};

// Coefficients to the centered range around 0 (|c| <= q/2).
void poly_reduce(Poly& p);
// Coefficients to [0, q).
void poly_canonical(Poly& p);
void poly_add(Poly& r, const Poly& a);  // r += a, no reduction
void poly_sub(Poly& r, const Poly& a);  // r -= a, no reduction

// NTT (Alg. 9) and inverse (Alg. 10). ntt output is reduced. basemul_acc accumulates
// a∘b (Alg. 11) times 2^-16 (Montgomery factor) into r; inv_ntt removes that factor again, and
// poly_to_mont does so for products that stay in the NTT domain.
void ntt(Poly& p);
void inv_ntt(Poly& p);
void basemul_acc(Poly& r, const Poly& a, const Poly& b);
void poly_to_mont(Poly& p);

// SampleNTT (Alg. 7): rejection sampling from SHAKE128(rho ‖ j ‖ i). rho must be public.
void sample_ntt(Poly& p, std::span<const uint8_t, 32> rho, uint8_t j, uint8_t i);
// The k×k matrix Â in row-major order: a[i*k + j] = SampleNTT(rho ‖ j ‖ i) (Alg. 13 line 6),
// or with `transposed` a[i*k + j] = Â[j][i] = SampleNTT(rho ‖ i ‖ j) (Alg. 14 line 6, used for
// Âᵀ). Uses the 4-way AVX2 Keccak when available; same output either way.
void sample_matrix(std::span<Poly> a, size_t k, std::span<const uint8_t, 32> rho, bool transposed);
// SamplePolyCBD_eta(PRF_eta(sigma, n)) (Alg. 8 with the PRF of section 4.1), eta in {2, 3}.
void sample_cbd(Poly& p, std::span<const uint8_t, 32> sigma, uint8_t n, int eta);

// ByteEncode_12 / ByteDecode_12 (Alg. 5, 6) of one polynomial (384 bytes). Input to encode must
// be canonical. decode12 does not reduce: use it on checked keys or reduce afterwards.
void encode12(std::span<uint8_t, 384> out, const Poly& p);
void decode12(Poly& p, std::span<const uint8_t, 384> in);
// Compress_d then ByteEncode_d (d in 1, 4, 5, 10, 11; 32*d bytes); input canonical.
void compress_encode(std::span<uint8_t> out, const Poly& p, int d);
// ByteDecode_d then Decompress_d.
void decode_decompress(Poly& p, std::span<const uint8_t> in, int d);

}  // namespace x0::pqc::detail::mlkem
