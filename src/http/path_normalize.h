// Normalisation of a request path before it is matched against routes and forwarded (RFC 3986
// 6.2.2): percent-encoded unreserved characters are decoded, the remaining percent-encodings
// upper-cased, and dot-segments removed (5.2.4). Routing, the cache key and the origin then see
// the same path, so "/public/../private", "/public/%2e%2e/private" and "/public/..%2fprivate"
// cannot reach what a "/public" route does not expose.
#pragma once

#include <string>
#include <string_view>

namespace x0::http {

// What to do with characters that some origins treat as a path separator and others do not.
struct PathPolicy {
  // "%2F" inside a segment. Refused by default; when allowed it stays encoded (never a
  // separator for routing) and is forwarded as "%2F".
  bool allow_encoded_slash = false;
  // A backslash, raw or as "%5C". Refused by default (IIS, some frameworks and browsers read
  // it as '/'); when allowed it is forwarded as "%5C" and is never a separator.
  bool allow_backslash = false;
};

// Writes the normalised form of `path` (origin-form, starting with '/') to out. Returns nullptr
// on success, else a static reason for a 400: a bad or NUL percent-encoding, or a character the
// policy refuses. The result always starts with '/' and holds no "." or ".." segment.
const char* normalize_path(std::string_view path, const PathPolicy& policy, std::string& out);

}  // namespace x0::http
