// Cache warming's HTTP side: a GET through the node's own data listener, so the request takes
// the normal proxy path (routing, upstream, storing) and fills the cache. The GET is one
// http::Client exchange on an event loop (CacheAdmin's warm thread runs one of its own), with one
// deadline; nothing here blocks. The one blocking step, the listener's name lookup
// (resolve_listener), runs on the warm thread before its loop starts, never on a loop that
// serves traffic.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/client.h"
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
// wildcard address (0.0.0.0, [::]) is reached through loopback.
struct ListenerName {
  std::string host;  // without brackets
  uint16_t port = 0;
};
// Syntax only, no lookup: "bad_request" when it is not host:port.
Result<ListenerName> parse_listener(std::string_view listener);
// parse_listener, then the name lookup. Blocking: call it off every event loop.
Result<net::SocketAddress> resolve_listener(std::string_view listener);

struct WarmFetch {
  int status = 0;
  std::string x_cache;  // the X-Cache header answered (HIT, MISS, STALE) or ""
  uint64_t body_bytes = 0;
};
// Starts a GET on `client` (on its loop's thread; the client must be idle): Connection: close,
// the whole response read (Content-Length, chunked end or close) and counted, not kept, so the
// proxy finishes storing it. `done` is called once, later, on the loop thread (never if the
// client is destroyed first). Errors: "warm_failed" (connect, send, timeout, bad answer).
using WarmDone = std::function<void(Result<WarmFetch>)>;
void warm_fetch(http::Client& client, const net::SocketAddress& listener, const WarmTarget& target,
                int timeout_ms, WarmDone done);

}  // namespace x0::admin
