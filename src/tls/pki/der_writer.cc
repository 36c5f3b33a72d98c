// DER encodings (see der_writer.h).
#include "tls/pki/der_writer.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace x0::tls::pki::der {
namespace {

constexpr uint8_t kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03, kOctetString = 0x04,
                  kOid = 0x06, kUtf8String = 0x0c, kPrintableString = 0x13, kUtcTime = 0x17,
                  kGeneralizedTime = 0x18, kSequence = 0x30, kSet = 0x31;

Bytes concat(std::span<const Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::span<const uint8_t> text_bytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

Bytes tlv(uint8_t tag, std::span<const uint8_t> content) {
  Bytes out{tag};
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else {
    // Long form (X.690 8.1.3.5): 0x80 | count, then the length in the fewest bytes.
    uint8_t count = 0;
    for (size_t rest = n; rest != 0; rest >>= 8) ++count;
    out.push_back(static_cast<uint8_t>(0x80 | count));
    for (int i = count - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes sequence(std::span<const Bytes> parts) { return tlv(kSequence, concat(parts)); }

Bytes sequence(std::initializer_list<Bytes> parts) {
  return sequence(std::span<const Bytes>(parts.begin(), parts.size()));
}

Bytes set_of(std::vector<Bytes> parts) {
  // Lexicographic on the encodings, as X.690 11.6 asks (the element encodings are TLVs, so one is
  // never a prefix of another).
  std::ranges::sort(parts, [](const Bytes& a, const Bytes& b) {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  });
  return tlv(kSet, concat(parts));
}

Bytes integer(std::span<const uint8_t> big_endian) {
  auto first = std::ranges::find_if(big_endian, [](uint8_t b) { return b != 0; });
  Bytes content(first, big_endian.end());
  if (content.empty() || (content.front() & 0x80) != 0) content.insert(content.begin(), 0x00);
  return tlv(kInteger, content);
}

Bytes integer(uint64_t value) {
  Bytes be(8);
  for (int i = 7; i >= 0; --i, value >>= 8)
    be[static_cast<size_t>(i)] = static_cast<uint8_t>(value);
  return integer(be);
}

Bytes boolean(bool value) {
  const uint8_t content = value ? 0xff : 0x00;  // DER: TRUE is all ones (X.690 11.1)
  return tlv(kBoolean, {&content, 1});
}

Bytes oid(std::span<const uint8_t> content) { return tlv(kOid, content); }

Bytes bit_string(std::span<const uint8_t> bits, uint8_t unused_bits) {
  Bytes content{static_cast<uint8_t>(bits.empty() ? 0 : unused_bits & 7)};
  content.insert(content.end(), bits.begin(), bits.end());
  return tlv(kBitString, content);
}

Bytes octet_string(std::span<const uint8_t> content) { return tlv(kOctetString, content); }

Bytes utf8_string(std::string_view text) { return tlv(kUtf8String, text_bytes(text)); }

Bytes printable_string(std::string_view text) { return tlv(kPrintableString, text_bytes(text)); }

Bytes time(std::chrono::sys_seconds t) {
  const time_t secs = static_cast<time_t>(t.time_since_epoch().count());
  struct tm tm {};
  gmtime_r(&secs, &tm);
  const int year = tm.tm_year + 1900;
  char text[32];
  if (year >= 1950 && year < 2050) {
    std::snprintf(text, sizeof text, "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return tlv(kUtcTime, text_bytes(text));
  }
  std::snprintf(text, sizeof text, "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return tlv(kGeneralizedTime, text_bytes(text));
}

Bytes explicit_tag(uint8_t n, std::span<const uint8_t> inner) {
  return tlv(static_cast<uint8_t>(0xa0 | n), inner);
}

Bytes implicit_primitive(uint8_t n, std::span<const uint8_t> content) {
  return tlv(static_cast<uint8_t>(0x80 | n), content);
}

}  // namespace x0::tls::pki::der
