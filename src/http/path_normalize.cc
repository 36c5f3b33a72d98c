// Path normalisation (see path_normalize.h).
#include "http/path_normalize.h"

#include "http/chars.h"

namespace x0::http {
namespace {

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void append_encoded(std::string& out, unsigned char byte) {
  static constexpr char kHexDigits[] = "0123456789ABCDEF";
  out += '%';
  out += kHexDigits[byte >> 4];
  out += kHexDigits[byte & 15];
}

// Step 1: decode unreserved, upper-case the other escapes, apply the policy.
const char* decode(std::string_view path, const PathPolicy& policy, std::string& out) {
  out.clear();
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '\\') {
      if (!policy.allow_backslash) return "backslash in path";
      append_encoded(out, '\\');
      continue;
    }
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= path.size()) return "truncated percent-encoding";
    if (!detail::is_class(path[i + 1], detail::kHex) || !detail::is_class(path[i + 2], detail::kHex)) {
      return "invalid percent-encoding";
    }
    auto byte = static_cast<unsigned char>(detail::hex_value(path[i + 1]) * 16 +
                                           detail::hex_value(path[i + 2]));
    i += 2;
    if (byte == 0) return "NUL in path";
    if (byte == '/' && !policy.allow_encoded_slash) return "encoded slash in path";
    if (byte == '\\' && !policy.allow_backslash) return "encoded backslash in path";
    if (is_unreserved(static_cast<char>(byte))) {
      out += static_cast<char>(byte);
    } else {
      append_encoded(out, byte);
    }
  }
  return nullptr;
}

// Step 2: RFC 3986 5.2.4 remove_dot_segments, on a path that starts with '/'. Works segment by
// segment: "." is dropped, ".." drops the previous segment (never above the root).
void remove_dot_segments(std::string_view in, std::string& out) {
  out.clear();
  size_t i = 0;
  while (i < in.size()) {
    // in[i] == '/': the segment runs to the next '/'.
    size_t end = in.find('/', i + 1);
    if (end == std::string_view::npos) end = in.size();
    std::string_view segment = in.substr(i + 1, end - i - 1);
    bool last = end == in.size();
    if (segment == ".") {
      if (last) out += '/';  // "/a/." -> "/a/"
    } else if (segment == "..") {
      size_t cut = out.rfind('/');
      out.resize(cut == std::string::npos ? 0 : cut);
      if (last) out += '/';  // "/a/b/.." -> "/a/"
    } else {
      out += '/';
      out += segment;
    }
    i = end;
  }
  if (out.empty()) out = "/";
}

// "..;x" and ".;x": Tomcat, Jetty and Spring drop the ";params" of a segment and then resolve
// what is left, so such a segment is a dot-segment for them and an ordinary name for us.
bool has_dot_segment_with_params(std::string_view path) {
  for (size_t at = path.find(';'); at != std::string_view::npos; at = path.find(';', at + 1)) {
    size_t start = path.rfind('/', at);
    std::string_view before = path.substr(start + 1, at - start - 1);
    if (before == "." || before == "..") return true;
  }
  return false;
}

}  // namespace

const char* normalize_path(std::string_view path, const PathPolicy& policy, std::string& out) {
  if (path.empty() || path.front() != '/') return "path does not start with '/'";
  // Nearly every path is already normal: no escape, no backslash, no dot-segment.
  if (path.find_first_of("%\\") == std::string_view::npos &&
      path.find("/.") == std::string_view::npos) {
    out.assign(path);
    return nullptr;
  }
  thread_local std::string decoded;
  if (const char* refused = decode(path, policy, decoded)) return refused;
  if (has_dot_segment_with_params(decoded)) return "dot-segment with parameters in path";
  remove_dot_segments(decoded, out);
  return nullptr;
}

}  // namespace x0::http
