// The node's own identity as the mesh presents it: the two certificates `pki issue` wrote into
// the certificate directory ([mesh] cert_dir), each verified against the CA certificate of its
// kind beside it (OpenSSL's chain check for Ed25519, ours for the composite one), and checked to
// be one identity (same subject, serial and validity). What /security/pqc/status.identity shows
// and the expiry policy reads.
#pragma once

#include <chrono>
#include <string>

#include "tls/pki/certificate_info.h"

namespace x0::tls::pki {

struct NodeIdentity {
  std::string dir;
  bool present = false;  // node.composite.crt or node.ed25519.crt exists in dir
  CertificateInfo tls;   // node.ed25519.crt (when readable)
  CertificateInfo pq;    // node.composite.crt (when readable)
  bool tls_verified = false;
  bool pq_verified = false;
  // Why the identity is not usable: a file missing or unreadable, a chain that does not verify,
  // two certificates that are not one identity; empty when it is.
  std::string problem;
  std::chrono::sys_seconds not_after{};  // the earlier of the two
  bool ok() const { return present && problem.empty(); }
};

NodeIdentity check_node_identity(const std::string& dir, std::chrono::sys_seconds now);

// Whole days from `now` to `not_after`, rounded down: negative once expired.
int64_t days_left(std::chrono::sys_seconds not_after, std::chrono::sys_seconds now);

}  // namespace x0::tls::pki
