// The node's identity check (see node_identity.h).
#include "tls/pki/node_identity.h"

#include <filesystem>

#include "tls/pki/composite_verify.h"
#include "tls/pki/ed25519_certificate.h"
#include "tls/pki/mesh_ca.h"
#include "tls/pki/pem.h"

namespace x0::tls::pki {
namespace {

std::string path_in(const std::string& dir, std::string_view name) {
  return (std::filesystem::path(dir) / name).string();
}

// The Ed25519 certificate through OpenSSL's chain check against ca.ed25519.crt.
Result<CertificateInfo> verify_tls_certificate(const std::string& dir,
                                               std::chrono::sys_seconds now) {
  auto der = read_pem_file(path_in(dir, kNodeEd25519Cert), kPemCertificate);
  if (!der) return std::unexpected(der.error());
  auto ca_der = read_pem_file(path_in(dir, kCaEd25519Cert), kPemCertificate);
  if (!ca_der) return std::unexpected(ca_der.error());
  auto cert = parse_certificate(*der);
  if (!cert) return std::unexpected(cert.error());
  auto ca = parse_certificate(*ca_der);
  if (!ca) return std::unexpected(ca.error());
  return verify_ed25519_certificate(cert->get(), ca->get(), now);
}

Result<CertificateInfo> verify_pq_certificate(const std::string& dir,
                                              std::chrono::sys_seconds now) {
  auto der = read_pem_file(path_in(dir, kNodeCompositeCert), kPemCertificate);
  if (!der) return std::unexpected(der.error());
  auto ca = read_pem_file(path_in(dir, kCaCompositeCert), kPemCertificate);
  if (!ca) return std::unexpected(ca.error());
  return verify_composite_certificate(*der, *ca, now);
}

// What a certificate says about itself, unverified (so an expired one still shows its dates).
CertificateInfo describe_file(const std::string& path) {
  auto der = read_pem_file(path, kPemCertificate);
  if (!der) return {};
  auto cert = parse_certificate(*der);
  if (!cert) return {};
  auto info = describe_certificate(cert->get());
  return info ? *info : CertificateInfo{};
}

}  // namespace

int64_t days_left(std::chrono::sys_seconds not_after, std::chrono::sys_seconds now) {
  return std::chrono::floor<std::chrono::days>(not_after - now).count();
}

NodeIdentity check_node_identity(const std::string& dir, std::chrono::sys_seconds now) {
  NodeIdentity id;
  id.dir = dir;
  std::error_code ec;
  id.present = std::filesystem::exists(path_in(dir, kNodeCompositeCert), ec) ||
               std::filesystem::exists(path_in(dir, kNodeEd25519Cert), ec);
  if (!id.present) {
    id.problem = "no node certificates in " + dir + " (x0tta6bl4 pki issue --out " + dir + ")";
    return id;
  }
  auto tls = verify_tls_certificate(dir, now);
  auto pq = verify_pq_certificate(dir, now);
  id.tls_verified = tls.has_value();
  id.pq_verified = pq.has_value();
  id.tls = tls ? *tls : describe_file(path_in(dir, kNodeEd25519Cert));
  id.pq = pq ? *pq : describe_file(path_in(dir, kNodeCompositeCert));
  if (!tls) {
    id.problem = std::string(kNodeEd25519Cert) + ": " + tls.error().detail;
  } else if (!pq) {
    id.problem = std::string(kNodeCompositeCert) + ": " + pq.error().detail;
  } else if (tls->subject != pq->subject || tls->serial != pq->serial ||
             tls->not_before != pq->not_before || tls->not_after != pq->not_after) {
    id.problem =
        "node.ed25519.crt and node.composite.crt are not one identity (subject, serial "
        "or validity differ)";
  }
  id.not_after = std::min(id.tls.not_after, id.pq.not_after);
  if (id.tls.not_after == std::chrono::sys_seconds{}) id.not_after = id.pq.not_after;
  if (id.pq.not_after == std::chrono::sys_seconds{}) id.not_after = id.tls.not_after;
  return id;
}

}  // namespace x0::tls::pki
