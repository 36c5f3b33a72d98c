// Cache keys. The primary key is method + authority + target (path?query), where the authority
// and path are the request's canonical ones (lower case, no trailing dot, default port removed,
// other ports kept; dot-segments removed), computed once per request by the data plane so that
// the key, routing and the forwarded Host can never disagree;
// a primary key holds up to kMaxVariants variants told apart by the request's values of the
// headers the stored response names in `Vary` (RFC 9111 4.1). The 64-bit hash picks the shard.
// The cache never sees the HTTP parser's types: headers come in as string_view pairs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace x0::cache {

struct Header {
  std::string_view name;  // any case
  std::string_view value;
};
using Headers = std::span<const Header>;

// 64-bit hash of a byte string (FNV-1a with a murmur-style finaliser): stable across runs.
uint64_t hash64(std::string_view s);

class CacheKey {
 public:
  CacheKey() = default;
  // Taken as given: method (case-sensitive), authority (canonical, see above), target
  // ("/path?query", normalised path).
  CacheKey(std::string_view method, std::string_view host, std::string_view target);
  // Rebuild from text() (snapshots). Returns an empty key if text is malformed.
  static CacheKey from_text(std::string_view text);

  const std::string& text() const { return text_; }  // "GET example.com /a?b=1"
  uint64_t hash() const { return hash_; }
  std::string_view method() const { return std::string_view(text_).substr(0, method_len_); }
  std::string_view target() const { return std::string_view(text_).substr(target_pos_); }
  bool empty() const { return text_.empty(); }
  bool operator==(const CacheKey& o) const { return text_ == o.text_; }

 private:
  std::string text_;
  uint64_t hash_ = 0;
  size_t method_len_ = 0, target_pos_ = 0;
};

// The `Vary` field value(s) of a response, parsed: lower-case names, or star (never cached).
struct VaryNames {
  bool star = false;
  std::vector<std::string> names;  // lower case, deduplicated, in order of appearance
};
// Accumulates every `Vary` line in headers.
VaryNames parse_vary(Headers response_headers);

// The request's value for one header name: all lines with that name joined with ", ", each
// trimmed of surrounding whitespace; empty if absent.
std::string request_header_value(Headers request_headers, std::string_view lower_name);
// Same comparison without allocating: does request_header_value(h, name) == stored?
bool request_header_equals(Headers request_headers, std::string_view lower_name,
                           std::string_view stored);

// ASCII case-insensitive equality, and trimming of spaces/tabs.
bool iequals(std::string_view a, std::string_view b);
std::string_view trim(std::string_view s);

}  // namespace x0::cache
