// ML-KEM (FIPS 203): K-PKE (Alg. 13-15) and the ML-KEM internal and external algorithms
// (Alg. 16-21), plus the section 7 input checks; instantiated for the three parameter sets.
// Secret-dependent steps use only arithmetic and masks (tests/pqc/constant_time/ct_kem.cc).
#include "pqc/ml_kem.h"

#include <string>

#include "pqc/ml_kem_poly.h"
#include "pqc/xof.h"

namespace x0::pqc {
namespace {

using detail::mlkem::Poly;
namespace pl = detail::mlkem;

template <size_t K>
using PolyVec = std::array<Poly, K>;

template <class T>
void wipe(T& value) {
  secure_wipe(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&value), sizeof value));
}

// G(x) = SHA3-512(x) split into two 32-byte halves (section 4.1).
void hash_g(std::span<const uint8_t> a, std::span<const uint8_t> b, std::span<uint8_t, 32> first,
            std::span<uint8_t, 32> second) {
  detail::Sha3 g(detail::Sha3::Kind::k512);
  g.absorb(a);
  g.absorb(b);
  uint8_t out[64];
  g.finish(out);
  for (size_t i = 0; i < 32; ++i) {
    first[i] = out[i];
    second[i] = out[32 + i];
  }
  secure_wipe(out);
}

template <class P>
struct Kpke {
  static constexpr size_t kK = P::kK;
  static constexpr size_t kPolyVecBytes = 384 * kK;
  static constexpr size_t kC1Bytes = 32 * P::kDu * kK;
  static constexpr size_t kC2Bytes = 32 * P::kDv;

  // Alg. 13. ek_out: 384k + 32 bytes, dk_out: 384k bytes.
  static void keygen(std::span<const uint8_t, 32> d, std::span<uint8_t> ek_out,
                     std::span<uint8_t> dk_out) {
    uint8_t rho[32], sigma[32];
    const uint8_t k_byte = static_cast<uint8_t>(kK);
    hash_g(d, std::span<const uint8_t>(&k_byte, 1), rho, sigma);
    // rho is published as the tail of ek; SampleNTT may branch on it.
    detail::declassify(rho, sizeof rho);
    PolyVec<kK> s, e, t;
    uint8_t n = 0;
    for (auto& p : s) pl::sample_cbd(p, sigma, n++, P::kEta1);
    for (auto& p : e) pl::sample_cbd(p, sigma, n++, P::kEta1);
    for (auto& p : s) pl::ntt(p);
    for (auto& p : e) pl::ntt(p);
    std::array<Poly, kK * kK> a;
    pl::sample_matrix(a, kK, rho, false);
    for (size_t i = 0; i < kK; ++i) {
      t[i] = Poly{};
      for (size_t j = 0; j < kK; ++j) pl::basemul_acc(t[i], a[i * kK + j], s[j]);
      pl::poly_to_mont(t[i]);
      pl::poly_add(t[i], e[i]);
      pl::poly_canonical(t[i]);
      pl::poly_canonical(s[i]);
      pl::encode12(ek_out.subspan(384 * i).template first<384>(), t[i]);
      pl::encode12(dk_out.subspan(384 * i).template first<384>(), s[i]);
    }
    for (size_t i = 0; i < 32; ++i) ek_out[kPolyVecBytes + i] = rho[i];
    wipe(s);
    wipe(e);
    secure_wipe(sigma);
  }

  // Alg. 14. ek is checked (coefficients < q).
  static void encrypt(std::span<const uint8_t> ek, std::span<const uint8_t, 32> m,
                      std::span<const uint8_t, 32> r, std::span<uint8_t> c_out) {
    std::span<const uint8_t, 32> rho = ek.subspan(kPolyVecBytes).template first<32>();
    PolyVec<kK> y, u;
    Poly e2, v, mu;
    std::array<Poly, kK * kK> at;  // Âᵀ
    pl::sample_matrix(at, kK, rho, true);
    uint8_t n = 0;
    for (auto& p : y) pl::sample_cbd(p, r, n++, P::kEta1);
    for (auto& p : u) pl::sample_cbd(p, r, n++, P::kEta2);  // e1, added after inv_ntt
    pl::sample_cbd(e2, r, n++, P::kEta2);
    for (auto& p : y) pl::ntt(p);
    for (size_t i = 0; i < kK; ++i) {
      Poly acc{};
      for (size_t j = 0; j < kK; ++j) pl::basemul_acc(acc, at[i * kK + j], y[j]);
      pl::inv_ntt(acc);
      pl::poly_add(u[i], acc);
      pl::poly_canonical(u[i]);
      pl::compress_encode(c_out.subspan(32 * P::kDu * i, 32 * P::kDu), u[i], P::kDu);
    }
    v = Poly{};
    for (size_t j = 0; j < kK; ++j) {
      Poly t_hat;
      pl::decode12(t_hat, ek.subspan(384 * j).template first<384>());
      pl::basemul_acc(v, t_hat, y[j]);
    }
    pl::inv_ntt(v);
    pl::decode_decompress(mu, m, 1);
    pl::poly_add(v, e2);
    pl::poly_add(v, mu);
    pl::poly_canonical(v);
    pl::compress_encode(c_out.subspan(kC1Bytes, kC2Bytes), v, P::kDv);
    wipe(y);
    wipe(e2);
    wipe(mu);
    wipe(v);
  }

  // Alg. 15. dk_pke: 384k bytes, m_out: 32 bytes.
  static void decrypt(std::span<const uint8_t> dk_pke, std::span<const uint8_t> c,
                      std::span<uint8_t, 32> m_out) {
    Poly w, s, u;
    w = Poly{};
    for (size_t i = 0; i < kK; ++i) {
      pl::decode_decompress(u, c.subspan(32 * P::kDu * i, 32 * P::kDu), P::kDu);
      pl::ntt(u);
      pl::decode12(s, dk_pke.subspan(384 * i).template first<384>());
      pl::basemul_acc(w, s, u);
    }
    pl::inv_ntt(w);
    Poly v;
    pl::decode_decompress(v, c.subspan(kC1Bytes, kC2Bytes), P::kDv);
    pl::poly_sub(v, w);
    pl::poly_canonical(v);
    pl::compress_encode(m_out, v, 1);
    wipe(w);
    wipe(s);
    wipe(v);
  }
};

}  // namespace

template <class P>
Result<typename MlKem<P>::EncapsulationKey> MlKem<P>::EncapsulationKey::from_bytes(
    std::span<const uint8_t> bytes) {
  if (bytes.size() != kEncapsulationKeySize)
    return fail(Errc::kWrongSize, std::string(kName) + " encapsulation key must be " +
                                      std::to_string(kEncapsulationKeySize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  // Section 7.2 modulus check: ByteEncode12(ByteDecode12(ek)) == ek, i.e. every coefficient < q.
  for (size_t i = 0; i < 384 * kK; i += 3) {
    const unsigned a = bytes[i] | ((bytes[i + 1] & 0x0Fu) << 8);
    const unsigned b = (bytes[i + 1] >> 4) | (unsigned{bytes[i + 2]} << 4);
    if (a >= unsigned(pl::kQ) || b >= unsigned(pl::kQ))
      return fail(Errc::kInvalidKey,
                  std::string(kName) + " encapsulation key has a coefficient >= q (FIPS 203 7.2)");
  }
  EncapsulationKey ek;
  for (size_t i = 0; i < kEncapsulationKeySize; ++i) ek.bytes_[i] = bytes[i];
  return ek;
}

template <class P>
Result<typename MlKem<P>::DecapsulationKey> MlKem<P>::DecapsulationKey::from_bytes(
    std::span<const uint8_t> bytes) {
  if (bytes.size() != kDecapsulationKeySize)
    return fail(Errc::kWrongSize, std::string(kName) + " decapsulation key must be " +
                                      std::to_string(kDecapsulationKeySize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  // Section 7.3 hash check: H(dk[384k : 768k+32]) == dk[768k+32 : 768k+64].
  uint8_t h[32];
  detail::sha3_256(bytes.subspan(384 * kK, 384 * kK + 32), h);
  if (!ct_equal(h, bytes.subspan(768 * kK + 32, 32)))
    return fail(Errc::kInvalidKey,
                std::string(kName) + " decapsulation key fails the H(ek) check (FIPS 203 7.3)");
  DecapsulationKey dk;
  for (size_t i = 0; i < kDecapsulationKeySize; ++i) dk.bytes_[i] = bytes[i];
  return dk;
}

template <class P>
typename MlKem<P>::EncapsulationKey MlKem<P>::DecapsulationKey::encapsulation_key() const {
  EncapsulationKey ek;
  for (size_t i = 0; i < kEncapsulationKeySize; ++i) ek.bytes_[i] = bytes_[384 * kK + i];
  return ek;
}

template <class P>
Result<typename MlKem<P>::Ciphertext> MlKem<P>::Ciphertext::from_bytes(
    std::span<const uint8_t> bytes) {
  if (bytes.size() != kCiphertextSize)
    return fail(Errc::kWrongSize, std::string(kName) + " ciphertext must be " +
                                      std::to_string(kCiphertextSize) + " bytes, got " +
                                      std::to_string(bytes.size()));
  Ciphertext c;
  for (size_t i = 0; i < kCiphertextSize; ++i) c.bytes_[i] = bytes[i];
  return c;
}

template <class P>
typename MlKem<P>::KeyPair MlKem<P>::keygen_internal(std::span<const uint8_t, kSeedSize> d,
                                                     std::span<const uint8_t, kSeedSize> z) {
  KeyPair kp;
  auto dk = kp.decapsulation_key.bytes_.span();
  auto& ek = kp.encapsulation_key.bytes_;
  Kpke<P>::keygen(d, ek, dk.first(384 * kK));
  for (size_t i = 0; i < kEncapsulationKeySize; ++i) dk[384 * kK + i] = ek[i];
  detail::sha3_256(ek, dk.subspan(768 * kK + 32).template first<32>());
  for (size_t i = 0; i < 32; ++i) dk[768 * kK + 64 + i] = z[i];
  return kp;
}

template <class P>
typename MlKem<P>::KeyPair MlKem<P>::generate() {
  SecretBytes<32> d, z;
  random_bytes(d.span());
  random_bytes(z.span());
  return keygen_internal(d.span(), z.span());
}

template <class P>
typename MlKem<P>::Encapsulation MlKem<P>::encapsulate_internal(
    const EncapsulationKey& ek, std::span<const uint8_t, kSeedSize> m) {
  uint8_t h[32];
  detail::sha3_256(ek.bytes_, h);
  Encapsulation out;
  SecretBytes<32> r;
  hash_g(m, h, out.shared_secret.span(), r.span());
  Kpke<P>::encrypt(ek.bytes_, m, r.span(), out.ciphertext.bytes_);
  return out;
}

template <class P>
typename MlKem<P>::Encapsulation MlKem<P>::encapsulate(const EncapsulationKey& ek) {
  SecretBytes<32> m;
  random_bytes(m.span());
  return encapsulate_internal(ek, m.span());
}

template <class P>
typename MlKem<P>::SharedSecret MlKem<P>::decapsulate(const DecapsulationKey& dk,
                                                      const Ciphertext& c) {
  // Alg. 18.
  const auto bytes = dk.bytes_.span();
  const auto dk_pke = bytes.first(384 * kK);
  const auto ek_pke = bytes.subspan(384 * kK, kEncapsulationKeySize);
  const auto h = bytes.subspan(768 * kK + 32, 32);
  const auto z = bytes.subspan(768 * kK + 64, 32);

  SecretBytes<32> m_prime, r_prime;
  SharedSecret k_prime, k_bar;
  Kpke<P>::decrypt(dk_pke, c.bytes_, m_prime.span());
  hash_g(m_prime.span(), h, k_prime.span(), r_prime.span());
  detail::Shake j(detail::Shake::Kind::k256);  // J(s) = SHAKE256(s, 32)
  j.absorb(z);
  j.absorb(c.bytes_);
  j.squeeze(k_bar.span());

  std::array<uint8_t, kCiphertextSize> c_prime;
  Kpke<P>::encrypt(ek_pke, m_prime.span(), r_prime.span(), c_prime);

  // Constant-time select: mask = 0xFF if c != c', else 0x00.
  uint32_t diff = 0;
  for (size_t i = 0; i < kCiphertextSize; ++i) diff |= uint32_t{c.bytes_[i]} ^ c_prime[i];
  const uint8_t mask = static_cast<uint8_t>(0u - ((0u - diff) >> 31));
  SharedSecret out;
  for (size_t i = 0; i < kSharedSecretSize; ++i)
    out[i] = static_cast<uint8_t>(k_prime[i] ^ (mask & (k_prime[i] ^ k_bar[i])));
  secure_wipe(c_prime);
  return out;
}

template class MlKem<detail::MlKem512Params>;
template class MlKem<detail::MlKem768Params>;
template class MlKem<detail::MlKem1024Params>;

}  // namespace x0::pqc
