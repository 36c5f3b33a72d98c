// Writes an X.509 v3 certificate signed with id-MLDSA65-Ed25519-SHA512
// (draft-ietf-lamps-pq-composite-sigs, "Encoding to DER"): OpenSSL 3.0 cannot sign with the
// composite algorithm, so the TBSCertificate is written with der_writer and signed by
// pqc::CompositeSignature (empty context) over its DER.
#pragma once

#include <span>

#include "common/result.h"
#include "pqc/composite_signature.h"
#include "tls/pki/certificate_fields.h"

namespace x0::tls::pki {

// SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier(composite, no parameters),
// BIT STRING (ML-DSA-65 pk || Ed25519 pk) }.
Bytes composite_public_key_info(const pqc::CompositeSignature::PublicKey& key);

// issuer_name is the DER Name of the issuing CA's subject (the subject's own for a self-signed
// CA); issuer_key signs. Carries the profile extensions plus subject and authority key ids.
Result<Bytes> issue_composite_certificate(const CertificateFields& fields,
                                          const pqc::CompositeSignature::PublicKey& subject_key,
                                          std::span<const uint8_t> issuer_name,
                                          const pqc::CompositeSignature::SecretKey& issuer_key);

}  // namespace x0::tls::pki
