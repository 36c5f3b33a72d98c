// Small writers for HTTP/1.1 heads (status line, header fields) that append to a std::string,
// plus the header predicates a proxy needs (hop-by-hop fields, case-insensitive names).
// No allocation beyond the string's own growth.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/chars.h"
#include "http/message.h"

namespace x0::http {

// ASCII case-insensitive equality (header names, tokens). No locale.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (detail::ascii_lower(a[i]) != detail::ascii_lower(b[i])) return false;
  }
  return true;
}

// Standard reason phrase ("Not Found"); "Unknown" for codes without one.
std::string_view reason_phrase(int status);

// "HTTP/1.<minor> <status> <reason>\r\n". status must be 100..999.
void append_status_line(std::string& out, int status, int version_minor = 1);

// "<name>: <value>\r\n". The caller guarantees name is a token and value has no CR/LF.
void append_header(std::string& out, std::string_view name, std::string_view value);

// True for fields that apply to one connection only and must not be forwarded: Connection,
// Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Authenticate,
// Proxy-Authorization, and any field named in a Connection header of hdrs (RFC 9110 7.6.1).
bool is_hop_by_hop(std::string_view name, const HeaderList& hdrs);

// True if any Connection header of hdrs lists token (case-insensitive), e.g. "close".
// Value of `key` in a query string ("a=1&b=2"), undecoded; nullopt when absent.
std::optional<std::string_view> query_param(std::string_view query, std::string_view key);

bool connection_has_token(const HeaderList& hdrs, std::string_view token);
// True if a Connection header of hdrs lists a field that is not hop-by-hop anyway (i.e. other
// than close, keep-alive and the standard hop-by-hop fields): a field the client hides from
// the next hop, so the next hop answers a different request than the one received.
bool connection_hides_fields(const HeaderList& hdrs);
// True if any Connection header of hdrs lists one of names (case-insensitive); one pass.
bool connection_names_any(const HeaderList& hdrs, std::span<const std::string_view> names);

}  // namespace x0::http
