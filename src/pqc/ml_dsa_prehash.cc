// HashML-DSA message framing (FIPS 204 Alg. 4 / 5): M' = 0x01 || |ctx| || ctx || OID(PH) ||
// PH(M). The digest comes from OpenSSL EVP; the OIDs are the DER encodings of the NIST hash
// algorithm identifiers 2.16.840.1.101.3.4.2.x (FIPS 204 section 5.4.1).
#include <openssl/evp.h>

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace x0::pqc::detail::dsa {
namespace {

struct PreHash {
  std::string_view acvp_name;
  const char* openssl_name;
  uint8_t oid_last;      // last byte of 06 09 60 86 48 01 65 03 04 02 xx
  size_t xof_out_bytes;  // output length for SHAKE, 0 for fixed-length digests
};

constexpr std::array<PreHash, 12> kPreHashes{{
    {"SHA2-256", "SHA256", 0x01, 0},
    {"SHA2-384", "SHA384", 0x02, 0},
    {"SHA2-512", "SHA512", 0x03, 0},
    {"SHA2-224", "SHA224", 0x04, 0},
    {"SHA2-512/224", "SHA512-224", 0x05, 0},
    {"SHA2-512/256", "SHA512-256", 0x06, 0},
    {"SHA3-224", "SHA3-224", 0x07, 0},
    {"SHA3-256", "SHA3-256", 0x08, 0},
    {"SHA3-384", "SHA3-384", 0x09, 0},
    {"SHA3-512", "SHA3-512", 0x0A, 0},
    {"SHAKE-128", "SHAKE128", 0x0B, 32},
    {"SHAKE-256", "SHAKE256", 0x0C, 64},
}};

}  // namespace

Result<std::vector<uint8_t>> prehash_message(std::span<const uint8_t> message,
                                             std::span<const uint8_t> context,
                                             std::string_view hash_alg) {
  if (context.size() > 255) {
    return fail(Errc::kContextTooLong, "ML-DSA context must be at most 255 bytes");
  }
  const PreHash* ph = nullptr;
  for (const auto& candidate : kPreHashes) {
    if (candidate.acvp_name == hash_alg) ph = &candidate;
  }
  if (ph == nullptr) {
    return fail(Errc::kUnknownHash, "HashML-DSA does not support " + std::string(hash_alg));
  }
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
      EVP_MD_fetch(nullptr, ph->openssl_name, nullptr), &EVP_MD_free);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  size_t digest_size = ph->xof_out_bytes;
  bool ok = md && ctx && EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx.get(), message.data(), message.size()) == 1;
  if (ok && digest_size != 0) {
    ok = EVP_DigestFinalXOF(ctx.get(), digest.data(), digest_size) == 1;
  } else if (ok) {
    unsigned int n = 0;
    ok = EVP_DigestFinal_ex(ctx.get(), digest.data(), &n) == 1;
    digest_size = n;
  }
  if (!ok) return fail(Errc::kCryptoError, "OpenSSL digest failed for " + std::string(hash_alg));

  std::vector<uint8_t> m_prime{0x01, static_cast<uint8_t>(context.size())};
  m_prime.insert(m_prime.end(), context.begin(), context.end());
  const uint8_t oid[11] = {0x06, 0x09, 0x60, 0x86, 0x48,        0x01,
                           0x65, 0x03, 0x04, 0x02, ph->oid_last};
  m_prime.insert(m_prime.end(), std::begin(oid), std::end(oid));
  m_prime.insert(m_prime.end(), digest.begin(), digest.begin() + static_cast<long>(digest_size));
  return m_prime;
}

}  // namespace x0::pqc::detail::dsa
