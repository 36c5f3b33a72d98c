// Who this node is on its mesh links and how a peer proves who it is (SPEC section 9,
// docs/TLS.md "Mesh links"). TLS authenticates the Ed25519 certificates against the mesh CA;
// then each side sends an identity frame: its composite certificate and a composite signature
// over the TLS exporter (label EXPORTER-x0tta6bl4-mesh-identity, context = SHA-256 of the
// client's TLS certificate || SHA-256 of the server's), with the signer's role as the composite
// signature's context, so a frame can neither be replayed on another connection nor reflected.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mesh/identity_frame.h"
#include "pqc/composite_signature.h"
#include "tls/pki/certificate_info.h"

namespace x0::mesh {

inline constexpr std::string_view kExporterLabel = "EXPORTER-x0tta6bl4-mesh-identity";
inline constexpr size_t kExporterSize = 64;

// What `x0tta6bl4 pki issue` wrote into [mesh] cert_dir, checked to be one valid identity.
struct LocalIdentity {
  std::string node_id;  // the certificates' subject CN
  std::string dir;
  std::string tls_certificate_file, tls_key_file, ca_file;  // Ed25519, for the TLS contexts
  std::vector<uint8_t> composite_certificate;               // node.composite.crt, DER
  std::vector<uint8_t> ca_composite_certificate;            // ca.composite.crt, DER
  std::unique_ptr<pqc::CompositeSignature::SecretKey> composite_key;
  std::chrono::sys_seconds not_after{};
};

// Errors name the file and what is wrong with it (the same checks as /security/pqc/status).
Result<std::shared_ptr<const LocalIdentity>> load_local_identity(const std::string& dir,
                                                                 std::chrono::sys_seconds now);

// Why a peer was refused, as counted and logged (pqc_handshake_total's failures by reason).
enum class RefusalReason {
  kTls,                   // the TLS handshake failed (another CA, expired, no PQ group, ...)
  kMalformedFrame,        // not an identity frame
  kReflectedFrame,        // the frame carries our own role
  kUntrustedComposite,    // the composite certificate's signature or issuer does not verify
  kExpiredComposite,      // outside its validity
  kIdentityMismatch,      // the composite and TLS certificates are not one identity
  kBadExporterSignature,  // the signature over this connection's exporter does not verify
  kClassicalRefused,      // [pqc] mode = required and the group is not X25519MLKEM768
  kClosed,                // the peer left (or timed out) before the exchange ended
};
std::string_view reason_name(RefusalReason reason);
// The frame and certificate problems an attacker would cause (logged under SECURITY).
bool is_suspicious(RefusalReason reason);

struct Refusal {
  RefusalReason reason;
  std::string detail;
};

struct PeerIdentity {
  std::string node_id;
  tls::pki::CertificateInfo certificate;  // the composite one (same subject and dates as TLS's)
};

// Our frame for the finished handshake on `ssl`: signs the exporter. Fails only if OpenSSL does.
Result<std::string> make_identity_frame(SSL* ssl, const LocalIdentity& self, LinkRole role);

// Checks the peer's frame on the finished handshake `ssl` (whose TLS certificate OpenSSL has
// verified against the mesh CA).
std::expected<PeerIdentity, Refusal> verify_identity_frame(SSL* ssl, const LocalIdentity& self,
                                                           LinkRole our_role,
                                                           std::span<const uint8_t> frame,
                                                           std::chrono::sys_seconds now);

}  // namespace x0::mesh
