// What `pki show` and the verifiers report about a certificate of either kind, read through
// OpenSSL's X.509 parser (it parses a composite certificate too; only its signature is ours).
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "tls/pki/openssl_ptr.h"

namespace x0::tls::pki {

struct CertificateInfo {
  std::string subject, issuer;  // RFC 2253 text, e.g. "CN=node-1"
  std::string serial;           // upper-case hex
  std::chrono::sys_seconds not_before{}, not_after{};
  std::string algorithm;  // signature algorithm: "Ed25519", "id-MLDSA65-Ed25519-SHA512", or the OID
  bool is_ca = false;     // basicConstraints cA TRUE
  std::vector<std::string> subject_alt_names;  // "DNS:node-1", "IP:10.0.0.7"
};

inline constexpr std::string_view kEd25519Name = "Ed25519";

// d2i_X509 of exactly `der` (trailing bytes are an error): "bad_request" otherwise.
Result<X509Ptr> parse_certificate(std::span<const uint8_t> der);
Result<CertificateInfo> describe_certificate(X509* cert);
// now within [notBefore, notAfter]: "invalid_state" naming which end is crossed otherwise.
Result<void> check_validity(const CertificateInfo& info, std::chrono::sys_seconds now);
// RFC 3339 UTC, e.g. 2026-12-02T14:33:20Z.
std::string rfc3339(std::chrono::sys_seconds t);

}  // namespace x0::tls::pki
