// `pki init` and `pki issue` (see mesh_ca.h).
#include "tls/pki/mesh_ca.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "tls/pki/composite_certificate.h"
#include "tls/pki/composite_key.h"
#include "tls/pki/composite_verify.h"
#include "tls/pki/ed25519_certificate.h"
#include "tls/pki/pem.h"
#include "tls/pki/pki_files.h"

namespace x0::tls::pki {
namespace {

using Composite = pqc::CompositeSignature;

std::string join(const std::string& dir, std::string_view name) {
  return (std::filesystem::path(dir) / name).string();
}

Result<CertificateFields> fields_for(std::string cn, bool is_ca, int days,
                                     std::chrono::sys_seconds now) {
  if (days < 1 || days > 36500) return fail(Errc::kBadRequest, "--days must be 1..36500");
  auto serial = random_serial();
  if (!serial) return std::unexpected(serial.error());
  CertificateFields f;
  f.subject_cn = std::move(cn);
  f.serial = *serial;
  f.is_ca = is_ca;
  f.not_before = now - kBackdate;
  f.not_after = now + std::chrono::days(days);
  return f;
}

std::string ed25519_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return "";
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string out(data, static_cast<size_t>(len));
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return out;
}

std::string certificate_pem(X509* cert) {
  const Bytes der = to_der([&](uint8_t** p) { return i2d_X509(cert, p); });
  return der.empty() ? "" : pem_encode(kPemCertificate, der);
}

// The four files of one identity, written only after all are built.
struct Identity {
  std::string ed25519_key, ed25519_cert, composite_key, composite_cert;  // PEM
  bool fill(EVP_PKEY* ed_key, X509* ed_cert, const Composite::SecretKey& comp_key,
            const Bytes& comp_cert) {
    ed25519_key = ed25519_key_pem(ed_key);
    ed25519_cert = certificate_pem(ed_cert);
    composite_key = pem_encode(kPemPrivateKey, encode_composite_private_key(comp_key).span());
    composite_cert = pem_encode(kPemCertificate, comp_cert);
    return !ed25519_key.empty() && !ed25519_cert.empty() && !composite_key.empty() &&
           !composite_cert.empty();
  }
  ~Identity() {
    OPENSSL_cleanse(ed25519_key.data(), ed25519_key.size());
    OPENSSL_cleanse(composite_key.data(), composite_key.size());
  }
};

Result<void> write_identity(const Identity& id, const std::vector<std::string>& paths, bool force,
                            Issued* issued) {
  const std::string* contents[] = {&id.ed25519_key, &id.ed25519_cert, &id.composite_key,
                                   &id.composite_cert};
  for (size_t i = 0; i < 4; ++i) {
    const mode_t mode = i % 2 == 0 ? kKeyMode : kCertificateMode;
    if (auto w = write_new_file(paths[i], *contents[i], mode, force); !w) return w;
    issued->files.push_back(paths[i]);
  }
  return {};
}

struct Ca {
  PkeyPtr ed25519_key;
  X509Ptr ed25519_cert;
  std::string ed25519_cert_pem, composite_cert_pem;
  Bytes composite_cert_der;
  std::optional<Composite::SecretKey> composite_key;
  std::chrono::sys_seconds not_after{};  // of the composite CA (the Ed25519 one has the same)
};

Result<Ca> load_ca(const std::string& dir, std::chrono::sys_seconds now) {
  Ca ca;
  const std::string ed_key = join(dir, kCaEd25519Key), ed_cert = join(dir, kCaEd25519Cert);
  auto key_der = read_pem_file(ed_key, kPemPrivateKey);
  auto cert_der = read_pem_file(ed_cert, kPemCertificate);
  if (!key_der) return std::unexpected(key_der.error());
  if (!cert_der) return std::unexpected(cert_der.error());
  const uint8_t* p = key_der->data();
  ca.ed25519_key.reset(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(key_der->size())));
  OPENSSL_cleanse(key_der->data(), key_der->size());
  auto cert = parse_certificate(*cert_der);
  if (!ca.ed25519_key || EVP_PKEY_is_a(ca.ed25519_key.get(), "ED25519") != 1)
    return fail(Errc::kInvalidKey, ed_key + " is not an Ed25519 private key");
  if (!cert) return fail(cert.error().code, ed_cert + ": " + cert.error().detail);
  if (X509_check_private_key(cert->get(), ca.ed25519_key.get()) != 1)
    return fail(Errc::kInvalidKey, ed_key + " does not belong to " + ed_cert);
  ca.ed25519_cert = std::move(*cert);
  ca.ed25519_cert_pem = certificate_pem(ca.ed25519_cert.get());

  const std::string comp_key = join(dir, kCaCompositeKey), comp_cert = join(dir, kCaCompositeCert);
  auto ckey_der = read_pem_file(comp_key, kPemPrivateKey);
  auto ccert_der = read_pem_file(comp_cert, kPemCertificate);
  if (!ckey_der) return std::unexpected(ckey_der.error());
  if (!ccert_der) return std::unexpected(ccert_der.error());
  auto ckey = decode_composite_private_key(*ckey_der);
  OPENSSL_cleanse(ckey_der->data(), ckey_der->size());
  if (!ckey) return fail(ckey.error().code, comp_key + ": " + ckey.error().detail);
  // The CA must verify itself, which also proves the key file belongs to it.
  auto self = verify_composite_certificate(*ccert_der, *ccert_der, now);
  if (!self) return fail(self.error().code, comp_cert + ": " + self.error().detail);
  auto parsed = read_composite_certificate(*ccert_der);
  if (!parsed || !(parsed->public_key == ckey->public_key()))
    return fail(Errc::kInvalidKey, comp_key + " does not belong to " + comp_cert);
  ca.composite_key.emplace(std::move(*ckey));
  ca.not_after = self->not_after;
  ca.composite_cert_der = std::move(*ccert_der);
  ca.composite_cert_pem = pem_encode(kPemCertificate, ca.composite_cert_der);
  return ca;
}

Result<std::vector<Bytes>> parse_addresses(const std::vector<std::string>& addresses) {
  std::vector<Bytes> out;
  for (const std::string& text : addresses) {
    Bytes v4(4), v6(16);
    if (inet_pton(AF_INET, text.c_str(), v4.data()) == 1) {
      out.push_back(v4);
    } else if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) {
      out.push_back(v6);
    } else {
      return fail(Errc::kBadRequest, "not an IP address: " + text);
    }
  }
  return out;
}

// The CA certificates to copy next to the node's: none into the CA directory itself, none where
// the same bytes are already there; a different one there is refused unless force.
Result<std::vector<std::pair<std::string, std::string>>> ca_copies(const Ca& ca,
                                                                   const NodeOptions& o) {
  std::vector<std::pair<std::string, std::string>> out;
  std::error_code ec;
  if (std::filesystem::equivalent(o.out_dir, o.ca_dir, ec)) return out;
  const std::pair<std::string_view, const std::string*> certs[] = {
      {kCaEd25519Cert, &ca.ed25519_cert_pem}, {kCaCompositeCert, &ca.composite_cert_pem}};
  for (const auto& [name, pem] : certs) {
    const std::string path = join(o.out_dir, name);
    if (auto existing = read_small_file(path); existing && *existing == *pem) continue;
    if (auto r = refuse_existing({path}, o.force); !r) return std::unexpected(r.error());
    out.emplace_back(path, *pem);
  }
  return out;
}

}  // namespace

bool valid_node_id(std::string_view id) {
  if (id.empty() || id.size() > 253 || id.front() == '-' || id.front() == '.') return false;
  return std::ranges::all_of(id, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

Result<Issued> init_mesh_ca(const CaOptions& o, std::chrono::sys_seconds now) {
  const std::vector<std::string> paths = {join(o.dir, kCaEd25519Key), join(o.dir, kCaEd25519Cert),
                                          join(o.dir, kCaCompositeKey),
                                          join(o.dir, kCaCompositeCert)};
  if (auto r = refuse_existing(paths, o.force); !r) return std::unexpected(r.error());
  auto fields = fields_for(std::string(kCaSubject), true, o.days, now);
  if (!fields) return std::unexpected(fields.error());
  auto ed_key = generate_ed25519_key();
  if (!ed_key) return std::unexpected(ed_key.error());
  auto ed_cert = issue_ed25519_certificate(*fields, ed_key->get(), nullptr, ed_key->get());
  if (!ed_cert) return std::unexpected(ed_cert.error());
  auto comp = Composite::generate();
  if (!comp) return std::unexpected(comp.error());
  auto comp_cert = issue_composite_certificate(*fields, comp->public_key,
                                               name_der(fields->subject_cn), comp->secret_key);
  if (!comp_cert) return std::unexpected(comp_cert.error());

  Identity id;
  if (!id.fill(ed_key->get(), ed_cert->get(), comp->secret_key, *comp_cert))
    return fail(Errc::kCryptoError, "OpenSSL could not write PEM");
  Issued issued{*fields, {}};
  if (auto d = make_private_dir(o.dir); !d) return std::unexpected(d.error());
  if (auto w = write_identity(id, paths, o.force, &issued); !w) return std::unexpected(w.error());
  return issued;
}

Result<Issued> issue_node(const NodeOptions& o, std::chrono::sys_seconds now) {
  if (!valid_node_id(o.node_id))
    return fail(Errc::kBadRequest,
                "node id must be a DNS name (letters, digits, '-', '.'): " + o.node_id);
  auto addresses = parse_addresses(o.addresses);
  if (!addresses) return std::unexpected(addresses.error());
  const std::vector<std::string> paths = {
      join(o.out_dir, kNodeEd25519Key), join(o.out_dir, kNodeEd25519Cert),
      join(o.out_dir, kNodeCompositeKey), join(o.out_dir, kNodeCompositeCert)};
  if (auto r = refuse_existing(paths, o.force); !r) return std::unexpected(r.error());
  auto ca = load_ca(o.ca_dir, now);
  if (!ca) return std::unexpected(ca.error());
  auto copies = ca_copies(*ca, o);
  if (!copies) return std::unexpected(copies.error());
  auto fields = fields_for(o.node_id, false, o.days, now);
  if (!fields) return std::unexpected(fields.error());
  // A node certificate that outlives its CA would stop verifying when the CA expires.
  if (fields->not_after > ca->not_after) {
    const auto left = std::chrono::floor<std::chrono::days>(ca->not_after - now).count();
    return fail(Errc::kBadRequest, "the CA expires at " + rfc3339(ca->not_after) +
                                       ": a node certificate may have --days " +
                                       std::to_string(left) + " at most");
  }
  fields->dns_names = {o.node_id};
  fields->ip_addresses = std::move(*addresses);

  auto ed_key = generate_ed25519_key();
  if (!ed_key) return std::unexpected(ed_key.error());
  auto ed_cert = issue_ed25519_certificate(*fields, ed_key->get(), ca->ed25519_cert.get(),
                                           ca->ed25519_key.get());
  if (!ed_cert) return std::unexpected(ed_cert.error());
  auto comp = Composite::generate();
  if (!comp) return std::unexpected(comp.error());
  auto issuer_name = read_composite_certificate(ca->composite_cert_der);
  if (!issuer_name) return std::unexpected(issuer_name.error());
  const Bytes issuer = to_der([&](uint8_t** p) {
    return i2d_X509_NAME(X509_get_subject_name(issuer_name->x509.get()), p);
  });
  auto comp_cert =
      issue_composite_certificate(*fields, comp->public_key, issuer, *ca->composite_key);
  if (!comp_cert) return std::unexpected(comp_cert.error());

  Identity id;
  if (!id.fill(ed_key->get(), ed_cert->get(), comp->secret_key, *comp_cert))
    return fail(Errc::kCryptoError, "OpenSSL could not write PEM");
  Issued issued{*fields, {}};
  if (auto d = make_private_dir(o.out_dir); !d) return std::unexpected(d.error());
  if (auto w = write_identity(id, paths, o.force, &issued); !w) return std::unexpected(w.error());
  for (const auto& [path, pem] : *copies) {
    if (auto w = write_new_file(path, pem, kCertificateMode, o.force); !w)
      return std::unexpected(w.error());
    issued.files.push_back(path);
  }
  return issued;
}

}  // namespace x0::tls::pki
