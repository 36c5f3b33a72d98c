// Character classes of RFC 9110/9112 as 256-entry lookup tables, shared by the HTTP parsers.
// Internal to the http module (namespace detail). Pure ASCII: no locale functions anywhere.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace x0::http::detail {

enum CharClass : uint8_t {
  kToken = 1,       // tchar (RFC 9110 5.6.2)
  kTarget = 2,      // allowed in a request-target: VCHAR except '#'
  kFieldValue = 4,  // field-vchar / SP / HTAB (RFC 9110 5.5), includes obs-text
  kHex = 8,
  kReason = 16,     // reason-phrase: HTAB / SP / VCHAR / obs-text (same set as kFieldValue)
};

constexpr std::array<uint8_t, 256> make_char_table() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    uint8_t v = 0;
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    bool tchar_punct = false;
    for (char p : {'!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~'}) {
      if (c == p) tchar_punct = true;
    }
    if (alnum || tchar_punct) v |= kToken;
    if (c > 0x20 && c < 0x7f && c != '#') v |= kTarget;
    if (c == '\t' || c == ' ' || (c > 0x20 && c != 0x7f)) v |= kFieldValue | kReason;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    t[static_cast<size_t>(c)] = v;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharTable = make_char_table();

inline bool is_class(char c, uint8_t cls) {
  return (kCharTable[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool is_token_char(char c) { return is_class(c, kToken); }
inline bool is_ows(char c) { return c == ' ' || c == '\t'; }
inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;  // caller checked kHex
}

// Word-at-a-time (SWAR) skipping for the two long runs of a head: field values and the
// request-target. Each 8-byte word is tested with exact "any byte below n / equal to v" bit
// tricks; a word that might hold a stop byte is finished one byte at a time with the table.
namespace swar {
inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHigh = 0x8080808080808080ULL;
inline uint64_t load(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}
inline uint64_t any_below(uint64_t w, uint8_t n) { return (w - kOnes * n) & ~w & kHigh; }
inline uint64_t any_equal(uint64_t w, uint8_t v) { return any_below(w ^ (kOnes * v), 1); }
}  // namespace swar

// First byte in [p, end) that is not a tchar (usually the ':' after a field name). Eight table
// lookups are ANDed without branches, so there is one branch per word instead of per byte.
inline const char* skip_token(const char* p, const char* end) {
  while (end - p >= 8) {
    auto t = [p](int i) { return kCharTable[static_cast<unsigned char>(p[i])]; };
    if ((t(0) & t(1) & t(2) & t(3) & t(4) & t(5) & t(6) & t(7) & kToken) == 0) break;
    p += 8;
  }
  while (p != end && is_token_char(*p)) ++p;
  return p;
}

// First byte in [p, end) that is not field-vchar / SP / HTAB (usually the CR ending the line).
inline const char* skip_field_value(const char* p, const char* end) {
  while (end - p >= 8) {
    uint64_t w = swar::load(p);
    if (swar::any_below(w, 0x20) | swar::any_equal(w, 0x7f)) break;
    p += 8;
  }
  while (p != end && is_class(*p, kFieldValue)) ++p;
  return p;
}

// First byte in [p, end) that may not appear in a request-target (usually the SP after it).
inline const char* skip_target(const char* p, const char* end) {
  while (end - p >= 8) {
    uint64_t w = swar::load(p);
    if (swar::any_below(w, 0x21) | (w & swar::kHigh) | swar::any_equal(w, 0x7f) |
        swar::any_equal(w, '#')) {
      break;
    }
    p += 8;
  }
  while (p != end && is_class(*p, kTarget)) ++p;
  return p;
}

}  // namespace x0::http::detail
