// The mesh certificate profile (see certificate_fields.h).
#include "tls/pki/certificate_fields.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace x0::tls::pki {

Result<std::array<uint8_t, 16>> random_serial() {
  std::array<uint8_t, 16> serial{};
  if (RAND_bytes(serial.data(), static_cast<int>(serial.size())) != 1)
    return fail(Errc::kCryptoError, "OpenSSL's random generator failed");
  serial[0] = static_cast<uint8_t>((serial[0] & 0x7f) | 0x40);
  return serial;
}

Bytes name_der(std::string_view cn) {
  return der::sequence(
      {der::set_of({der::sequence({der::oid(oids::kCommonName), der::utf8_string(cn)})})});
}

std::vector<Extension> profile_extensions(const CertificateFields& fields) {
  std::vector<Extension> out;
  // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }: DER leaves FALSE out.
  out.push_back({oids::kBasicConstraints, true,
                 fields.is_ca ? der::sequence({der::boolean(true)}) : der::sequence({})});
  // KeyUsage named bits, trailing zero bits dropped (X.690 11.2.2): digitalSignature is bit 0
  // (10000000, 7 unused); keyCertSign and cRLSign are bits 5 and 6 (00000110, 1 unused).
  const uint8_t usage = fields.is_ca ? 0x06 : 0x80;
  out.push_back({oids::kKeyUsage, true, der::bit_string({&usage, 1}, fields.is_ca ? 1 : 7)});
  std::vector<Bytes> names;
  for (const std::string& dns : fields.dns_names)
    names.push_back(der::implicit_primitive(
        2, {reinterpret_cast<const uint8_t*>(dns.data()), dns.size()}));  // dNSName [2] IA5String
  for (const Bytes& ip : fields.ip_addresses)
    names.push_back(der::implicit_primitive(7, ip));  // iPAddress [7] OCTET STRING
  if (!names.empty()) out.push_back({oids::kSubjectAltName, false, der::sequence(names)});
  return out;
}

Bytes extension_der(const Extension& ext) {
  if (ext.critical)
    return der::sequence({der::oid(ext.oid), der::boolean(true), der::octet_string(ext.value)});
  return der::sequence({der::oid(ext.oid), der::octet_string(ext.value)});
}

Result<Bytes> key_identifier(std::span<const uint8_t> public_key_bits) {
  Bytes id(20);
  unsigned int len = 0;
  if (EVP_Digest(public_key_bits.data(), public_key_bits.size(), id.data(), &len, EVP_sha1(),
                 nullptr) != 1 ||
      len != id.size())
    return fail(Errc::kCryptoError, "OpenSSL SHA-1 failed");
  return id;
}

Extension subject_key_identifier(Bytes key_id) {
  return {oids::kSubjectKeyId, false, der::octet_string(key_id)};
}

Extension authority_key_identifier(std::span<const uint8_t> key_id) {
  return {oids::kAuthorityKeyId, false, der::sequence({der::implicit_primitive(0, key_id)})};
}

}  // namespace x0::tls::pki
