// Cache warming's HTTP side: one blocking GET through the node's own data listener, so the
// request takes the normal proxy path (routing, upstream, storing) and fills the cache. Used by
// CacheAdmin's warm thread only (never on a worker: it blocks up to its timeout).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "net/socket.h"

namespace x0::admin {

// What to ask for: the Host header value and the origin-form target.
struct WarmTarget {
  std::string host = "localhost";
  std::string target = "/";
};
// "/path?q" (Host: localhost) or "http://host[:port]/path?q" (Host: host[:port]). Anything
// else (https://, no leading '/', spaces or control bytes) is a "bad_request" error.
Result<WarmTarget> parse_warm_url(std::string_view url);

// The data listener's "host:port" ("127.0.0.1:8080", "[::1]:8080", "localhost:8080"); a
// wildcard address (0.0.0.0, [::]) is reached through loopback. Blocking (name lookup).
Result<net::SocketAddress> resolve_listener(std::string_view listener);

struct WarmFetch {
  int status = 0;
  std::string x_cache;  // the X-Cache header answered (HIT, MISS, STALE) or ""
  uint64_t body_bytes = 0;
};
// GET with Connection: close; reads the whole response (Content-Length, chunked end or close)
// so the proxy finishes storing it. Errors: "warm_failed" (connect, send, timeout, bad answer).
Result<WarmFetch> warm_fetch(const net::SocketAddress& listener, const WarmTarget& target,
                             int timeout_ms);

}  // namespace x0::admin
