// Writers for status lines and header fields, and the hop-by-hop predicate of the proxy.
#include "http/serialize.h"

#include <array>

namespace x0::http {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

void append_status_line(std::string& out, int status, int version_minor) {
  if (status < 100 || status > 999) status = 500;
  std::string_view reason = reason_phrase(status);
  std::array<char, 13> prefix = {'H', 'T', 'T', 'P', '/', '1', '.',
                                 static_cast<char>('0' + (version_minor == 0 ? 0 : 1)),
                                 ' ',
                                 static_cast<char>('0' + status / 100),
                                 static_cast<char>('0' + status / 10 % 10),
                                 static_cast<char>('0' + status % 10),
                                 ' '};
  out.reserve(out.size() + prefix.size() + reason.size() + 2);
  out.append(prefix.data(), prefix.size());
  out.append(reason);
  out.append("\r\n", 2);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.reserve(out.size() + name.size() + value.size() + 4);
  out.append(name);
  out.append(": ", 2);
  out.append(value);
  out.append("\r\n", 2);
}

namespace {

// Calls fn(token) for each non-empty comma-separated element of a list value, trimmed of OWS.
// Stops early and returns true if fn returns true.
template <class Fn>
bool any_list_token(std::string_view value, Fn fn) {
  size_t i = 0;
  while (i <= value.size()) {
    size_t comma = value.find(',', i);
    if (comma == std::string_view::npos) comma = value.size();
    std::string_view item = value.substr(i, comma - i);
    while (!item.empty() && detail::is_ows(item.front())) item.remove_prefix(1);
    while (!item.empty() && detail::is_ows(item.back())) item.remove_suffix(1);
    if (!item.empty() && fn(item)) return true;
    i = comma + 1;
  }
  return false;
}

constexpr std::array<std::string_view, 9> kHopByHop = {
    "Connection", "Keep-Alive", "Proxy-Connection", "TE",
    "Trailer", "Transfer-Encoding", "Upgrade", "Proxy-Authenticate",
    "Proxy-Authorization"};

}  // namespace

bool connection_has_token(const HeaderList& hdrs, std::string_view token) {
  for (const Header& h : hdrs) {
    if (!iequals(h.name, "connection")) continue;
    if (any_list_token(h.value, [&](std::string_view t) { return iequals(t, token); })) return true;
  }
  return false;
}

bool connection_hides_fields(const HeaderList& hdrs) {
  for (const Header& h : hdrs) {
    if (!iequals(h.name, "connection")) continue;
    bool hides = any_list_token(h.value, [&](std::string_view t) {
      if (iequals(t, "close")) return false;
      for (std::string_view hop : kHopByHop) {
        if (iequals(t, hop)) return false;
      }
      return true;
    });
    if (hides) return true;
  }
  return false;
}

bool connection_names_any(const HeaderList& hdrs, std::span<const std::string_view> names) {
  for (const Header& h : hdrs) {
    if (!iequals(h.name, "connection")) continue;
    bool found = any_list_token(h.value, [&](std::string_view t) {
      for (std::string_view n : names) {
        if (iequals(t, n)) return true;
      }
      return false;
    });
    if (found) return true;
  }
  return false;
}

bool is_hop_by_hop(std::string_view name, const HeaderList& hdrs) {
  for (std::string_view h : kHopByHop) {
    if (iequals(name, h)) return true;
  }
  return connection_has_token(hdrs, name);
}

std::optional<std::string_view> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

}  // namespace x0::http
