// Mesh identities on links (see link_identity.h).
#include "mesh/link_identity.h"

#include <openssl/sha.h>
#include <openssl/x509.h>

#include <filesystem>

#include "tls/pki/composite_key.h"
#include "tls/pki/composite_verify.h"
#include "tls/pki/mesh_ca.h"
#include "tls/pki/node_identity.h"
#include "tls/pki/pem.h"

namespace x0::mesh {
namespace {

using Composite = pqc::CompositeSignature;

std::string path_in(const std::string& dir, std::string_view name) {
  return (std::filesystem::path(dir) / name).string();
}

// The composite signature's context names the signer's role, so the client's signature is
// never a valid server signature on the same exporter (and the other way round).
std::span<const uint8_t> role_context(LinkRole role) {
  static constexpr std::string_view kClient = "x0tta6bl4 mesh link client";
  static constexpr std::string_view kServer = "x0tta6bl4 mesh link server";
  std::string_view text = role == LinkRole::kClient ? kClient : kServer;
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

bool hash_certificate(X509* cert, uint8_t* out) {
  int size = i2d_X509(cert, nullptr);
  if (size <= 0) return false;
  std::vector<uint8_t> der(static_cast<size_t>(size));
  uint8_t* p = der.data();
  if (i2d_X509(cert, &p) != size) return false;
  SHA256(der.data(), der.size(), out);
  return true;
}

// The exporter of this connection, with the two TLS certificates in its context.
Result<std::array<uint8_t, kExporterSize>> exporter(SSL* ssl, LinkRole our_role) {
  X509* ours = SSL_get_certificate(ssl);
  tls::pki::X509Ptr theirs(SSL_get1_peer_certificate(ssl));
  if (ours == nullptr || !theirs)
    return fail(Errc::kInvalidState, "the TLS handshake carried no certificate");
  X509* client = our_role == LinkRole::kClient ? ours : theirs.get();
  X509* server = our_role == LinkRole::kClient ? theirs.get() : ours;
  uint8_t context[2 * SHA256_DIGEST_LENGTH];
  if (!hash_certificate(client, context) || !hash_certificate(server, context + 32))
    return fail(Errc::kCryptoError, "cannot encode a TLS certificate");
  std::array<uint8_t, kExporterSize> out{};
  if (SSL_export_keying_material(ssl, out.data(), out.size(), kExporterLabel.data(),
                                 kExporterLabel.size(), context, sizeof context, 1) != 1)
    return fail(Errc::kCryptoError, "the TLS exporter failed");
  return out;
}

std::string common_name(X509* cert) {
  char cn[256];
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return n > 0 ? std::string(cn, static_cast<size_t>(n)) : std::string();
}

Refusal refuse(RefusalReason reason, std::string detail) { return {reason, std::move(detail)}; }

}  // namespace

std::string_view reason_name(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kTls:
      return "tls_handshake";
    case RefusalReason::kMalformedFrame:
      return "malformed_identity";
    case RefusalReason::kReflectedFrame:
      return "reflected_identity";
    case RefusalReason::kUntrustedComposite:
      return "untrusted_composite_certificate";
    case RefusalReason::kExpiredComposite:
      return "expired_composite_certificate";
    case RefusalReason::kIdentityMismatch:
      return "identity_mismatch";
    case RefusalReason::kBadExporterSignature:
      return "bad_exporter_signature";
    case RefusalReason::kClassicalRefused:
      return "classical_refused";
    case RefusalReason::kClosed:
      return "closed";
  }
  return "unknown";
}

bool is_suspicious(RefusalReason reason) {
  return reason != RefusalReason::kClosed && reason != RefusalReason::kClassicalRefused;
}

Result<std::shared_ptr<const LocalIdentity>> load_local_identity(const std::string& dir,
                                                                 std::chrono::sys_seconds now) {
  namespace pki = tls::pki;
  pki::NodeIdentity checked = pki::check_node_identity(dir, now);
  if (!checked.ok())
    return fail(Errc::kInvalidKey, "mesh identity in " + dir + ": " + checked.problem);
  auto id = std::make_shared<LocalIdentity>();
  id->dir = dir;
  id->tls_certificate_file = path_in(dir, pki::kNodeEd25519Cert);
  id->tls_key_file = path_in(dir, pki::kNodeEd25519Key);
  id->ca_file = path_in(dir, pki::kCaEd25519Cert);
  id->not_after = checked.not_after;
  auto cert = pki::read_pem_file(path_in(dir, pki::kNodeCompositeCert), pki::kPemCertificate);
  if (!cert) return std::unexpected(cert.error());
  auto ca = pki::read_pem_file(path_in(dir, pki::kCaCompositeCert), pki::kPemCertificate);
  if (!ca) return std::unexpected(ca.error());
  auto key_der = pki::read_pem_file(path_in(dir, pki::kNodeCompositeKey), pki::kPemPrivateKey);
  if (!key_der) return std::unexpected(key_der.error());
  auto key = pki::decode_composite_private_key(*key_der);
  std::fill(key_der->begin(), key_der->end(), uint8_t{0});
  if (!key)
    return fail(key.error().code, std::string(pki::kNodeCompositeKey) + ": " + key.error().detail);
  auto parsed = pki::read_composite_certificate(*cert);
  if (!parsed) return std::unexpected(parsed.error());
  if (!(parsed->public_key == key->public_key()))
    return fail(Errc::kInvalidKey, std::string(pki::kNodeCompositeKey) + " is not the key of " +
                                       std::string(pki::kNodeCompositeCert));
  id->node_id = common_name(parsed->x509.get());
  if (id->node_id.empty())
    return fail(Errc::kInvalidKey, "the node certificate in " + dir + " has no common name");
  id->composite_certificate = *std::move(cert);
  id->ca_composite_certificate = *std::move(ca);
  id->composite_key = std::make_unique<Composite::SecretKey>(*std::move(key));
  return std::shared_ptr<const LocalIdentity>(std::move(id));
}

Result<std::string> make_identity_frame(SSL* ssl, const LocalIdentity& self, LinkRole role) {
  auto secret = exporter(ssl, role);
  if (!secret) return std::unexpected(secret.error());
  auto signature = Composite::sign(*self.composite_key, *secret, role_context(role));
  if (!signature) return std::unexpected(signature.error());
  IdentityFrame frame;
  frame.role = role;
  frame.certificate = self.composite_certificate;
  frame.signature.assign(signature->bytes().begin(), signature->bytes().end());
  return encode_identity_frame(frame);
}

std::expected<PeerIdentity, Refusal> verify_identity_frame(SSL* ssl, const LocalIdentity& self,
                                                           LinkRole our_role,
                                                           std::span<const uint8_t> bytes,
                                                           std::chrono::sys_seconds now) {
  namespace pki = tls::pki;
  auto frame = decode_identity_frame(bytes);
  if (!frame) return std::unexpected(refuse(RefusalReason::kMalformedFrame, frame.error().detail));
  LinkRole peer_role = our_role == LinkRole::kClient ? LinkRole::kServer : LinkRole::kClient;
  if (frame->role != peer_role)
    return std::unexpected(
        refuse(RefusalReason::kReflectedFrame, "the peer's identity frame carries our own role"));
  auto verified =
      pki::verify_composite_certificate(frame->certificate, self.ca_composite_certificate, now);
  if (!verified) {
    RefusalReason reason = RefusalReason::kUntrustedComposite;
    if (verified.error().code == Errc::kInvalidState) reason = RefusalReason::kExpiredComposite;
    if (verified.error().code == Errc::kBadRequest || verified.error().code == Errc::kUnsupported)
      reason = RefusalReason::kMalformedFrame;
    return std::unexpected(refuse(reason, "composite certificate: " + verified.error().detail));
  }
  pki::X509Ptr tls_cert(SSL_get1_peer_certificate(ssl));
  if (!tls_cert)
    return std::unexpected(refuse(RefusalReason::kTls, "the peer sent no TLS certificate"));
  auto tls_info = pki::describe_certificate(tls_cert.get());
  if (!tls_info || tls_info->subject != verified->subject || tls_info->serial != verified->serial ||
      tls_info->not_before != verified->not_before || tls_info->not_after != verified->not_after)
    return std::unexpected(
        refuse(RefusalReason::kIdentityMismatch,
               "the composite certificate of " + verified->subject +
                   " is not the identity of the TLS certificate " +
                   (tls_info ? tls_info->subject + " (serial " + tls_info->serial + ")" : "")));
  auto parsed = pki::read_composite_certificate(frame->certificate);
  auto signature = Composite::Signature::from_bytes(frame->signature);
  auto secret = exporter(ssl, our_role);
  if (!parsed || !signature || !secret ||
      !Composite::verify(parsed->public_key, *secret, *signature, role_context(peer_role)))
    return std::unexpected(refuse(RefusalReason::kBadExporterSignature,
                                  "the composite signature of " + verified->subject +
                                      " over this connection's TLS exporter does not verify"));
  PeerIdentity peer;
  peer.node_id = common_name(tls_cert.get());
  peer.certificate = *std::move(verified);
  return peer;
}

}  // namespace x0::mesh
