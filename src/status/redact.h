// What the public status page must not show of incident text (docs/ONCALL.md, "Status page"):
// internal addresses. Operators and the autopilot write timeline text for each other ("ejected
// 10.0.3.7:8080", "see http://grafana.internal/d/x"); the page replaces each URL with "[url]"
// and each IP literal or host:port with "[address]", unless [status] show_addresses = true.
#pragma once

#include <string>
#include <string_view>

namespace x0::status {

// Word by word (words split at whitespace; punctuation around a word is kept): a word with
// "://" is a URL; an IPv4 literal (optionally with :port or /prefix), an IPv6 literal (two or
// more colons of hex, optionally in brackets with a port) or a name with a letter followed by
// :port is an address. "10:30" (a time) and "SEV-1:" stay.
std::string redact_addresses(std::string_view text);

}  // namespace x0::status
