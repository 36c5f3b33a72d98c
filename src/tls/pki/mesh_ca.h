// The mesh CA's two operations on directories, behind `x0tta6bl4 pki init|issue`: a CA is an
// Ed25519 X.509 CA (for TLS through OpenSSL) and a self-signed composite CA; a node gets an
// Ed25519 and a composite certificate with the same subject, serial and validity (SPEC section 9).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "tls/pki/certificate_fields.h"

namespace x0::tls::pki {

inline constexpr std::string_view kCaSubject = "x0tta6bl4 mesh CA";
inline constexpr std::string_view kCaEd25519Key = "ca.ed25519.key",
                                  kCaEd25519Cert = "ca.ed25519.crt",
                                  kCaCompositeKey = "ca.composite.key",
                                  kCaCompositeCert = "ca.composite.crt";
inline constexpr std::string_view kNodeEd25519Key = "node.ed25519.key",
                                  kNodeEd25519Cert = "node.ed25519.crt",
                                  kNodeCompositeKey = "node.composite.key",
                                  kNodeCompositeCert = "node.composite.crt";
// notBefore is this far in the past, so a peer whose clock is a little behind accepts a fresh
// certificate.
inline constexpr std::chrono::minutes kBackdate{5};

struct CaOptions {
  std::string dir;
  int days = 3650;
  bool force = false;
};

struct NodeOptions {
  std::string ca_dir, out_dir, node_id;
  std::vector<std::string> addresses;  // IPv4 or IPv6 literals, into subjectAltName
  int days = 365;
  bool force = false;
};

struct Issued {
  CertificateFields fields;
  std::vector<std::string> files;  // written, in order
};

Result<Issued> init_mesh_ca(const CaOptions& options, std::chrono::sys_seconds now);
// Refuses a node certificate that would outlive the CA. Also copies the two CA certificates into
// out_dir (unless it is the CA directory), so a node's
// directory holds what it needs to verify its peers.
Result<Issued> issue_node(const NodeOptions& options, std::chrono::sys_seconds now);

// Letters, digits, '-' and '.', 1..253 characters, not starting with '-' or '.': a DNS name, as
// subjectAltName carries it.
bool valid_node_id(std::string_view id);

}  // namespace x0::tls::pki
