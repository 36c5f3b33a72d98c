// Authority syntax and canonical form (see authority.h).
#include "http/authority.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "http/chars.h"

namespace x0::http {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '~';
}

// Labels separated by single dots, none empty; one trailing dot allowed (the DNS root).
bool valid_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  if (name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return false;
  char previous = 0;
  for (char c : name) {
    if (c == '.') {
      if (previous == '.') return false;
    } else if (!is_name_char(c)) {
      return false;
    }
    previous = c;
  }
  return previous != '.';
}

bool valid_ipv6_literal(std::string_view bracketed) {
  if (bracketed.size() < 4 || bracketed.size() > 48) return false;  // "[::]" .. max text form
  std::array<char, 48> text{};
  std::memcpy(text.data(), bracketed.data() + 1, bracketed.size() - 2);
  in6_addr address{};
  return ::inet_pton(AF_INET6, text.data(), &address) == 1;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value <= 65535;
}

}  // namespace

bool parse_authority(std::string_view text, Authority* out) {
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (!valid_port(port)) return false;
    }
    if (!valid_ipv6_literal(host)) return false;
  } else {
    size_t colon = text.find(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
      if (!valid_port(port)) return false;  // also refuses a second ':'
    }
    if (!valid_name(host)) return false;  // IPv4 literals are names of digits and dots
  }
  if (out != nullptr) *out = Authority{host, port};
  return true;
}

void canonical_authority(std::string_view text, uint16_t default_port, std::string& out) {
  out.clear();
  Authority a;
  if (!parse_authority(text, &a)) return;
  std::string_view host = a.host;
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  out.reserve(host.size() + 6);
  for (char c : host) out += detail::ascii_lower(c);
  std::string_view port = a.port;
  while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);  // "080" is port 80
  unsigned value = 0;
  for (char c : port) value = value * 10 + static_cast<unsigned>(c - '0');  // digits: parsed above
  if (!port.empty() && value != default_port) {
    out += ':';
    out += port;
  }
}

}  // namespace x0::http
