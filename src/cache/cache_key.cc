// Key construction, host normalisation, hashing and the Vary helpers of cache_key.h.
#include "cache/cache_key.h"

#include <algorithm>

namespace x0::cache {
namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

uint64_t hash64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

CacheKey::CacheKey(std::string_view method, std::string_view host, std::string_view target) {
  std::string_view h = host;
  text_.reserve(method.size() + h.size() + target.size() + 2);
  text_.append(method).push_back(' ');
  text_.append(h).push_back(' ');
  text_.append(target);
  method_len_ = method.size();
  target_pos_ = method.size() + h.size() + 2;
  hash_ = hash64(text_);
}

CacheKey CacheKey::from_text(std::string_view text) {
  size_t a = text.find(' ');
  if (a == std::string_view::npos || a == 0) return {};
  size_t b = text.find(' ', a + 1);
  if (b == std::string_view::npos) return {};
  std::string_view host = text.substr(a + 1, b - a - 1);
  std::string_view target = text.substr(b + 1);
  // A canonical authority has no upper case and no trailing dot; it is empty for an HTTP/1.0
  // request without Host.
  bool canonical = (host.empty() || host.back() != '.') &&
                   std::none_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (target.empty() || !canonical) return {};
  return CacheKey(text.substr(0, a), host, target);
}

VaryNames parse_vary(Headers response_headers) {
  VaryNames out;
  for (const Header& h : response_headers) {
    if (!iequals(h.name, "vary")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view item = trim(v.substr(0, comma));
      v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
      if (item.empty()) continue;
      if (item == "*") {
        out.star = true;
        continue;
      }
      std::string name(item);
      std::transform(name.begin(), name.end(), name.begin(), lower);
      if (std::find(out.names.begin(), out.names.end(), name) == out.names.end())
        out.names.push_back(std::move(name));
    }
  }
  return out;
}

std::string request_header_value(Headers request_headers, std::string_view lower_name) {
  std::string out;
  bool first = true;
  for (const Header& h : request_headers) {
    if (!iequals(h.name, lower_name)) continue;
    if (!first) out += ", ";
    out += trim(h.value);
    first = false;
  }
  return out;
}

bool request_header_equals(Headers request_headers, std::string_view lower_name,
                           std::string_view stored) {
  size_t pos = 0;
  bool first = true;
  for (const Header& h : request_headers) {
    if (!iequals(h.name, lower_name)) continue;
    if (!first) {
      if (stored.substr(pos, 2) != ", ") return false;
      pos += 2;
    }
    std::string_view v = trim(h.value);
    if (stored.substr(pos, v.size()) != v) return false;
    pos += v.size();
    first = false;
  }
  return pos == stored.size();
}

}  // namespace x0::cache
