// The authority of a request (RFC 3986 3.2.2, RFC 9110 4.2.3, RFC 9112 3.2): a strict syntax
// check for Host values and absolute-form authorities, and the one canonical form that routing,
// the cache key and the forwarded Host all use, so that no two of them can disagree on which
// site a request is for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace x0::http {

struct Authority {
  std::string_view host;  // reg-name, IPv4 literal, or "[IPv6]" with its brackets
  std::string_view port;  // digits without the ':', empty when absent
};

// Strict: host is a DNS-style name (letters, digits, '-', '_', '~', dots between non-empty
// labels, at most one trailing dot), an IPv4 literal, or a bracketed IPv6 literal without a
// zone; port is 1..5 digits no larger than 65535. Everything else ("a:1:2", "[::1:38080",
// "", "h:", "h%41", "user@h") is refused: parsers that disagree on an authority are a
// Host-confusion vector.
bool parse_authority(std::string_view text, Authority* out);

// Lower case, the trailing dot of a name removed, the port dropped when it is default_port
// (80 for http, 443 for https) and kept otherwise. text must have passed parse_authority;
// an empty text gives an empty result.
void canonical_authority(std::string_view text, uint16_t default_port, std::string& out);

}  // namespace x0::http
