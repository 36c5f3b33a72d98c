// A DER writer (X.690) for the few types a certificate and a PKCS#8 key need. OpenSSL 3.0 cannot
// sign with the composite algorithm, so the composite certificate's TBSCertificate is written
// here and signed by pqc::CompositeSignature. Each function returns one complete TLV; composite
// values are built from the TLVs of their parts.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace x0::tls::pki {
using Bytes = std::vector<uint8_t>;
}  // namespace x0::tls::pki

namespace x0::tls::pki::der {

// tag || definite length (short form below 128, else the minimal long form) || content.
Bytes tlv(uint8_t tag, std::span<const uint8_t> content);

Bytes sequence(std::span<const Bytes> parts);
Bytes sequence(std::initializer_list<Bytes> parts);
// SET OF with its elements sorted by encoding (X.690 11.6); our names have one element per SET.
Bytes set_of(std::vector<Bytes> parts);

// A non-negative INTEGER from big-endian bytes: leading zeros dropped, a 00 put in front when
// the high bit is set (so a serial is never negative), 0 for empty input.
Bytes integer(std::span<const uint8_t> big_endian);
Bytes integer(uint64_t value);
Bytes boolean(bool value);
// An OBJECT IDENTIFIER from its content octets (the bytes after 06 len).
Bytes oid(std::span<const uint8_t> content);
// BIT STRING whose last `unused_bits` bits (0..7) are padding.
Bytes bit_string(std::span<const uint8_t> bits, uint8_t unused_bits = 0);
Bytes octet_string(std::span<const uint8_t> content);
Bytes utf8_string(std::string_view text);
Bytes printable_string(std::string_view text);
// RFC 5280 4.1.2.5: UTCTime (YYMMDDHHMMSSZ) for 1950..2049, GeneralizedTime (YYYYMMDDHHMMSSZ)
// from 2050, seconds always present, always Z.
Bytes time(std::chrono::sys_seconds t);
// [n] EXPLICIT: a constructed context tag around a complete TLV (A0 | n).
Bytes explicit_tag(uint8_t n, std::span<const uint8_t> inner);
// [n] IMPLICIT on a primitive type: context tag 80 | n with the type's content octets.
Bytes implicit_primitive(uint8_t n, std::span<const uint8_t> content);

}  // namespace x0::tls::pki::der
