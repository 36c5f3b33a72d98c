// Composite certificate reading and verification (see composite_verify.h).
#include "tls/pki/composite_verify.h"

#include <openssl/err.h>

#include <algorithm>
#include <optional>

namespace x0::tls::pki {
namespace {

using Composite = pqc::CompositeSignature;

bool is_composite_algorithm(const X509_ALGOR* alg) {
  return std::ranges::equal(to_der([&](uint8_t** p) { return i2d_X509_ALGOR(alg, p); }),
                            Composite::kAlgorithmIdentifierDer);
}

// One DER header at der[pos]: tag and definite length; returns the content's span.
std::optional<std::span<const uint8_t>> content_at(std::span<const uint8_t> der, size_t pos,
                                                   size_t* header) {
  if (pos + 2 > der.size()) return std::nullopt;
  size_t len = der[pos + 1], at = pos + 2;
  if (len & 0x80) {
    const size_t count = len & 0x7f;
    if (count == 0 || count > 4 || at + count > der.size()) return std::nullopt;
    len = 0;
    for (size_t i = 0; i < count; ++i) len = len << 8 | der[at++];
  }
  if (len > der.size() - at) return std::nullopt;
  *header = at - pos;
  return der.subspan(at, len);
}

// Certificate ::= SEQUENCE { tbsCertificate, ... }: the first element's full TLV.
std::optional<Bytes> raw_tbs(std::span<const uint8_t> der) {
  size_t outer_header = 0, tbs_header = 0;
  if (!content_at(der, 0, &outer_header)) return std::nullopt;
  auto tbs = content_at(der, outer_header, &tbs_header);
  if (!tbs) return std::nullopt;
  const auto begin = der.begin() + static_cast<ptrdiff_t>(outer_header);
  return Bytes(begin, begin + static_cast<ptrdiff_t>(tbs_header + tbs->size()));
}

bool has_padding_bits(const ASN1_BIT_STRING* bits) {
  return (bits->flags & ASN1_STRING_FLAG_BITS_LEFT) != 0 && (bits->flags & 0x07) != 0;
}

}  // namespace

Result<CompositeCertificate> read_composite_certificate(std::span<const uint8_t> der) {
  const ClearOpenSslErrors clear;
  auto cert = parse_certificate(der);
  if (!cert) return std::unexpected(cert.error());
  X509* x = cert->get();
  auto tbs = raw_tbs(der);
  if (!tbs || !std::ranges::equal(to_der([&](uint8_t** p) { return i2d_X509(x, p); }), der) ||
      *tbs != to_der([&](uint8_t** p) { return i2d_re_X509_tbs(x, p); }))
    return fail(Errc::kBadRequest, "certificate is not in canonical DER");

  const ASN1_BIT_STRING* sig_bits = nullptr;
  const X509_ALGOR* outer_alg = nullptr;
  X509_get0_signature(&sig_bits, &outer_alg, x);
  X509_ALGOR* key_alg = nullptr;
  const uint8_t* key_data = nullptr;
  int key_len = 0;
  if (X509_PUBKEY_get0_param(nullptr, &key_data, &key_len, &key_alg, X509_get_X509_PUBKEY(x)) != 1)
    return fail(Errc::kBadRequest, "certificate has no readable public key");
  if (!is_composite_algorithm(outer_alg) || !is_composite_algorithm(X509_get0_tbs_sigalg(x)) ||
      !is_composite_algorithm(key_alg))
    return fail(Errc::kUnsupported, "not an " + std::string(Composite::kName) +
                                        " certificate (algorithm or parameters differ)");
  if (has_padding_bits(sig_bits) || has_padding_bits(X509_get0_pubkey_bitstr(x)))
    return fail(Errc::kBadRequest, "signature or key has padding bits");
  auto key = Composite::PublicKey::from_bytes({key_data, static_cast<size_t>(key_len)});
  auto sig =
      Composite::Signature::from_bytes({sig_bits->data, static_cast<size_t>(sig_bits->length)});
  if (!key || !sig) return fail(Errc::kBadRequest, "composite key or signature has the wrong size");
  if (X509_get_version(x) != X509_VERSION_3 || (X509_get_extension_flags(x) & EXFLAG_INVALID))
    return fail(Errc::kBadRequest, "not a valid X.509 v3 certificate (version or extensions)");
  auto info = describe_certificate(x);
  if (!info) return std::unexpected(info.error());
  return CompositeCertificate{std::move(*cert), std::move(*info), std::move(*tbs), *key, *sig};
}

Result<CertificateInfo> verify_composite_certificate(std::span<const uint8_t> cert_der,
                                                     std::span<const uint8_t> ca_der,
                                                     std::chrono::sys_seconds now) {
  auto cert = read_composite_certificate(cert_der);
  if (!cert) return std::unexpected(cert.error());
  auto ca = read_composite_certificate(ca_der);
  if (!ca) return fail(ca.error().code, "CA certificate: " + ca.error().detail);
  if (!ca->info.is_ca || (X509_get_key_usage(ca->x509.get()) & KU_KEY_CERT_SIGN) == 0)
    return fail(Errc::kInvalidState, ca->info.subject + " is not a CA certificate");
  if (X509_NAME_cmp(X509_get_issuer_name(cert->x509.get()),
                    X509_get_subject_name(ca->x509.get())) != 0)
    return fail(Errc::kConflict, "certificate of " + cert->info.subject + " is issued by " +
                                     cert->info.issuer + ", not by " + ca->info.subject);
  if (!Composite::verify(ca->public_key, cert->tbs, cert->signature))
    return fail(Errc::kCryptoError, "signature of the certificate of " + cert->info.subject +
                                        " does not verify with the key of " + ca->info.subject);
  if (auto valid = check_validity(ca->info, now); !valid)
    return fail(valid.error().code, "CA: " + valid.error().detail);
  if (auto valid = check_validity(cert->info, now); !valid) return std::unexpected(valid.error());
  return std::move(cert->info);
}

}  // namespace x0::tls::pki
