// Composite certificate writer (see composite_certificate.h); RFC 5280 section 4.1 in order.
#include "tls/pki/composite_certificate.h"

namespace x0::tls::pki {
namespace {

using Composite = pqc::CompositeSignature;

Bytes algorithm_identifier() {
  return {Composite::kAlgorithmIdentifierDer.begin(), Composite::kAlgorithmIdentifierDer.end()};
}

}  // namespace

Bytes composite_public_key_info(const Composite::PublicKey& key) {
  return der::sequence({algorithm_identifier(), der::bit_string(key.bytes())});
}

Result<Bytes> issue_composite_certificate(const CertificateFields& fields,
                                          const Composite::PublicKey& subject_key,
                                          std::span<const uint8_t> issuer_name,
                                          const Composite::SecretKey& issuer_key) {
  auto subject_id = key_identifier(subject_key.bytes());
  auto issuer_id = key_identifier(issuer_key.public_key().bytes());
  if (!subject_id) return std::unexpected(subject_id.error());
  if (!issuer_id) return std::unexpected(issuer_id.error());
  std::vector<Bytes> extensions;
  for (const Extension& ext : profile_extensions(fields)) extensions.push_back(extension_der(ext));
  extensions.push_back(extension_der(subject_key_identifier(*subject_id)));
  extensions.push_back(extension_der(authority_key_identifier(*issuer_id)));

  const Bytes tbs = der::sequence({
      der::explicit_tag(0, der::integer(uint64_t{2})),  // version v3
      der::integer(fields.serial),
      algorithm_identifier(),
      Bytes(issuer_name.begin(), issuer_name.end()),
      der::sequence({der::time(fields.not_before), der::time(fields.not_after)}),
      name_der(fields.subject_cn),
      composite_public_key_info(subject_key),
      der::explicit_tag(3, der::sequence(extensions)),
  });
  auto signature = Composite::sign(issuer_key, tbs);
  if (!signature) return std::unexpected(signature.error());
  return der::sequence({tbs, algorithm_identifier(), der::bit_string(signature->bytes())});
}

}  // namespace x0::tls::pki
