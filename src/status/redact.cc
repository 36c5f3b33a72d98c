// Address redaction for the status page (see redact.h). A hand-written scanner, not std::regex:
// incident text can be long, and libstdc++'s regex recurses per character.
#include "status/redact.h"

#include <algorithm>
#include <cctype>

namespace x0::status {
namespace {

constexpr size_t kMaxAddressWord = 128;
constexpr size_t kMaxPunct = 4;

bool digits(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool ipv4(std::string_view s) {
  for (int part = 0; part < 4; ++part) {
    size_t dot = s.find('.');
    if ((part < 3) != (dot != std::string_view::npos)) return false;
    std::string_view octet = s.substr(0, dot);
    if (!digits(octet, 3) || std::stoi(std::string(octet)) > 255) return false;
    s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  }
  return true;
}

bool hex_or_colon(char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'; }

bool ipv6(std::string_view s) {
  if (s.starts_with('[')) {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && digits(rest.substr(1), 5))) return false;
    s = s.substr(1, close - 1);
  }
  if (size_t pct = s.find('%'); pct != std::string_view::npos) s = s.substr(0, pct);  // zone
  if (std::count(s.begin(), s.end(), ':') < 2) return false;
  // An IPv4-mapped tail ("::ffff:10.0.0.1") is allowed after the last colon.
  size_t last = s.rfind(':');
  std::string_view tail = s.substr(last + 1);
  std::string_view head = s.substr(0, last + 1);
  if (!std::all_of(head.begin(), head.end(), hex_or_colon)) return false;
  return std::all_of(tail.begin(), tail.end(), hex_or_colon) || ipv4(tail);
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

// "10.0.0.1", "10.0.0.1:80", "10.0.0.0/8", "[::1]:80", "fe80::1", "db-1.internal:5432".
bool address(std::string_view w) {
  if (ipv6(w)) return true;
  std::string_view host = w;
  size_t cut = w.find_first_of(":/");
  if (cut != std::string_view::npos) {
    std::string_view rest = w.substr(cut + 1);
    if (!digits(rest, 5)) return false;
    host = w.substr(0, cut);
    if (w[cut] == '/') return ipv4(host);
  }
  if (ipv4(host)) return true;
  if (cut == std::string_view::npos || host.empty()) return false;
  bool letter = std::any_of(host.begin(), host.end(),
                            [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  return letter && std::all_of(host.begin(), host.end(), host_char);
}

bool edge_punct(char c) {
  return c == '(' || c == ')' || c == ',' || c == ';' || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '.' || c == '!' || c == '?' || c == '[' || c == ']' || c == ':';
}

// One whitespace-free word, with the punctuation around it kept.
std::string redact_word(std::string_view word) {
  if (word.find("://") != std::string_view::npos) {
    size_t start = 0;
    while (start < word.size() && edge_punct(word[start])) ++start;
    size_t end = word.size();
    while (end > start && (word[end - 1] == ')' || word[end - 1] == ',' || word[end - 1] == '.' ||
                           word[end - 1] == ';' || word[end - 1] == '"' || word[end - 1] == '\''))
      --end;
    return std::string(word.substr(0, start)) + "[url]" + std::string(word.substr(end));
  }
  // No address is this long; the bound keeps the search below linear in the text.
  if (word.size() > kMaxAddressWord) return std::string(word);
  // Try the word with less and less punctuation around it (at most kMaxPunct characters each
  // side); a bracketed IPv6 keeps its brackets, so those are tried first.
  for (size_t start = 0; start < word.size() && start <= kMaxPunct; ++start) {
    for (size_t end = word.size(); end > start && word.size() - end <= kMaxPunct; --end) {
      if (address(word.substr(start, end - start)))
        return std::string(word.substr(0, start)) + "[address]" + std::string(word.substr(end));
      if (!edge_punct(word[end - 1])) break;
    }
    if (!edge_punct(word[start])) break;
  }
  return std::string(word);
}

}  // namespace

std::string redact_addresses(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      out += text[i++];
      continue;
    }
    size_t end = i;
    while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end]))) ++end;
    out += redact_word(text.substr(i, end - i));
    i = end;
  }
  return out;
}

}  // namespace x0::status
