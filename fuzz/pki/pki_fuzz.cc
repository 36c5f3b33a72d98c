// libFuzzer target: the node PKI's decoders. The first byte picks the mode: raw bytes as a
// composite certificate (nothing but the two fixed certificates may verify), as a composite
// private key (what decodes must encode back to the same bytes), a patch XORed into a valid node
// certificate (any change must fail: the reader accepts only canonical DER and both signature
// halves are strongly unforgeable), or text as PEM and bytes as any X.509 certificate to describe.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "tls/pki/composite_certificate.h"
#include "tls/pki/composite_key.h"
#include "tls/pki/composite_verify.h"
#include "tls/pki/pem.h"

namespace {

namespace pki = x0::tls::pki;
using Composite = x0::pqc::CompositeSignature;

const std::chrono::sys_seconds kNow{std::chrono::seconds(1'800'000'000)};

struct Fixed {
  std::vector<uint8_t> ca, node;
};

const Fixed& fixed() {
  static const Fixed f = [] {
    const auto ca_key = *Composite::SecretKey::from_bytes(std::array<uint8_t, 64>{7});
    const auto node_key = *Composite::SecretKey::from_bytes(std::array<uint8_t, 64>{9});
    pki::CertificateFields ca;
    ca.subject_cn = "fuzz CA";
    ca.serial = {0x40, 1};
    ca.is_ca = true;
    ca.not_before = kNow - std::chrono::days(1);
    ca.not_after = kNow + std::chrono::days(1);
    pki::CertificateFields node = ca;
    node.subject_cn = "node-1";
    node.is_ca = false;
    node.dns_names = {"node-1"};
    node.ip_addresses = {{127, 0, 0, 1}};
    const auto issuer = pki::name_der(ca.subject_cn);
    Fixed out;
    out.ca = *pki::issue_composite_certificate(ca, ca_key.public_key(), issuer, ca_key);
    out.node = *pki::issue_composite_certificate(node, node_key.public_key(), issuer, ca_key);
    if (!pki::verify_composite_certificate(out.node, out.ca, kNow)) std::abort();
    return out;
  }();
  return f;
}

bool same(std::span<const uint8_t> a, const std::vector<uint8_t>& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void raw_certificate(std::span<const uint8_t> in) {
  const auto& f = fixed();
  if (auto cert = pki::read_composite_certificate(in))
    (void)pki::describe_certificate(cert->x509.get());
  const bool ok = pki::verify_composite_certificate(in, f.ca, kNow).has_value();
  if (ok && !same(in, f.node) && !same(in, f.ca)) std::abort();  // a forgery
  (void)pki::verify_composite_certificate(f.node, in, kNow);     // the input as the CA
}

void raw_private_key(std::span<const uint8_t> in) {
  const auto key = pki::decode_composite_private_key(in);
  if (key && !same(pki::encode_composite_private_key(*key).span(),
                   std::vector<uint8_t>(in.begin(), in.end())))
    std::abort();
}

// in = offset (2 bytes) || XOR patch, applied to the node certificate, wrapping around.
void patched_certificate(std::span<const uint8_t> in) {
  if (in.size() < 2) return;
  const auto& f = fixed();
  std::vector<uint8_t> cert = f.node;
  size_t pos = (static_cast<size_t>(in[0]) << 8 | in[1]) % cert.size();
  for (uint8_t b : in.subspan(2)) {
    cert[pos] ^= b;
    pos = (pos + 1) % cert.size();
  }
  const bool ok = pki::verify_composite_certificate(cert, f.ca, kNow).has_value();
  if (ok != (cert == f.node)) std::abort();
}

void pem_and_x509(std::span<const uint8_t> in) {
  const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  (void)pki::pem_decode(pki::kPemCertificate, text);
  (void)pki::pem_decode(pki::kPemPrivateKey, text);
  if (auto cert = pki::parse_certificate(in)) (void)pki::describe_certificate(cert->get());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> in(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      raw_certificate(in);
      break;
    case 1:
      raw_private_key(in);
      break;
    case 2:
      patched_certificate(in);
      break;
    default:
      pem_and_x509(in);
      break;
  }
  return 0;
}
