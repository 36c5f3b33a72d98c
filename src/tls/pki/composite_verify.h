// Reads and verifies composite (id-MLDSA65-Ed25519-SHA512) certificates. OpenSSL parses the DER;
// the signature is checked by pqc::CompositeSignature over the TBSCertificate bytes exactly as
// they appear in the certificate (empty context), since OpenSSL 3.0 knows no composite algorithm.
#pragma once

#include <chrono>
#include <span>

#include "common/result.h"
#include "pqc/composite_signature.h"
#include "tls/pki/certificate_info.h"
#include "tls/pki/der_writer.h"

namespace x0::tls::pki {

struct CompositeCertificate {
  X509Ptr x509;
  CertificateInfo info;
  Bytes tbs;  // the signed bytes
  pqc::CompositeSignature::PublicKey public_key;
  pqc::CompositeSignature::Signature signature;
};

// Checks the form only: canonical DER (OpenSSL re-encodes it to the same bytes, so what was
// parsed is what was signed), the composite AlgorithmIdentifier with parameters absent in
// signatureAlgorithm, in the TBS signature field and in SubjectPublicKeyInfo, no padding bits,
// the key and signature sizes, extensions OpenSSL can read. "bad_request" for a malformed
// certificate, "unsupported" for another algorithm.
Result<CompositeCertificate> read_composite_certificate(std::span<const uint8_t> der);

// `cert` verifies when the CA certificate `ca` is a CA (basicConstraints cA, keyUsage
// keyCertSign), cert's issuer is ca's subject ("conflict" otherwise), ca's composite key verifies
// cert's signature ("crypto_error" otherwise), and both are valid at `now` ("invalid_state").
// A self-signed CA verifies against itself.
Result<CertificateInfo> verify_composite_certificate(std::span<const uint8_t> cert,
                                                     std::span<const uint8_t> ca,
                                                     std::chrono::sys_seconds now);

}  // namespace x0::tls::pki
