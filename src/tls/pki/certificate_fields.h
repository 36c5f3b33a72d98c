// What a mesh certificate says, independent of who signs it: the node's Ed25519 certificate and
// its composite certificate are written from the same CertificateFields, so their subject,
// serial, validity and extensions are the same bytes (SPEC section 9, "Identities").
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "tls/pki/der_writer.h"

namespace x0::tls::pki {

struct CertificateFields {
  std::string subject_cn;
  std::array<uint8_t, 16> serial{};
  std::chrono::sys_seconds not_before{}, not_after{};
  bool is_ca = false;
  std::vector<std::string> dns_names;  // subjectAltName dNSName
  std::vector<Bytes> ip_addresses;     // subjectAltName iPAddress, 4 or 16 bytes
};

// 16 random bytes from OpenSSL's DRBG, top bit clear (a positive INTEGER, RFC 5280 4.1.2.2) and
// the next bit set, so every serial has the same length on screen.
Result<std::array<uint8_t, 16>> random_serial();

// Name ::= SEQUENCE { SET { SEQUENCE { id-at-commonName, UTF8String cn } } }.
Bytes name_der(std::string_view cn);

struct Extension {
  std::span<const uint8_t> oid;  // content octets
  bool critical;
  Bytes value;  // the DER inside extnValue
};

// basicConstraints (critical; cA TRUE for a CA), keyUsage (critical; keyCertSign|cRLSign for a
// CA, digitalSignature for a node; the composite draft allows no other bits), subjectAltName
// when there are names.
std::vector<Extension> profile_extensions(const CertificateFields& fields);

// Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }.
Bytes extension_der(const Extension& ext);

// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, for the key identifiers.
Result<Bytes> key_identifier(std::span<const uint8_t> public_key_bits);
// subjectKeyIdentifier and authorityKeyIdentifier { [0] keyIdentifier } extensions.
Extension subject_key_identifier(Bytes key_id);
Extension authority_key_identifier(std::span<const uint8_t> key_id);

// OID content octets the PKI writes.
namespace oids {
inline constexpr std::array<uint8_t, 3> kCommonName = {0x55, 0x04, 0x03};        // 2.5.4.3
inline constexpr std::array<uint8_t, 3> kSubjectKeyId = {0x55, 0x1d, 0x0e};      // 2.5.29.14
inline constexpr std::array<uint8_t, 3> kKeyUsage = {0x55, 0x1d, 0x0f};          // 2.5.29.15
inline constexpr std::array<uint8_t, 3> kSubjectAltName = {0x55, 0x1d, 0x11};    // 2.5.29.17
inline constexpr std::array<uint8_t, 3> kBasicConstraints = {0x55, 0x1d, 0x13};  // 2.5.29.19
inline constexpr std::array<uint8_t, 3> kAuthorityKeyId = {0x55, 0x1d, 0x23};    // 2.5.29.35
}  // namespace oids

}  // namespace x0::tls::pki
