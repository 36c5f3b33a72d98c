// The Ed25519 certificates TLS presents, made with OpenSSL's own X.509 API (OpenSSL signs and
// verifies them; stock `openssl verify` checks the chain). Subject, serial, validity and the
// profile extensions come from the same CertificateFields as the composite certificate's.
#pragma once

#include "common/result.h"
#include "tls/pki/certificate_fields.h"
#include "tls/pki/certificate_info.h"
#include "tls/pki/openssl_ptr.h"

namespace x0::tls::pki {

Result<PkeyPtr> generate_ed25519_key();

// Signed by issuer_key, issued by `issuer`'s subject; issuer == nullptr makes a self-signed
// certificate (issuer_key is then the subject's key).
Result<X509Ptr> issue_ed25519_certificate(const CertificateFields& fields, EVP_PKEY* subject_key,
                                          X509* issuer, EVP_PKEY* issuer_key);

// OpenSSL's own chain verification (X509_verify_cert, as TLS does it) of `cert` with `ca` as
// the only trust anchor, at `now`; "crypto_error" with OpenSSL's reason otherwise.
Result<CertificateInfo> verify_ed25519_certificate(X509* cert, X509* ca,
                                                   std::chrono::sys_seconds now);

}  // namespace x0::tls::pki
