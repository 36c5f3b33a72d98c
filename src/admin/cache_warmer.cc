// Warm GETs over http::Client (see cache_warmer.h).
#include "admin/cache_warmer.h"

#include <limits>

namespace x0::admin {
namespace {

bool clean(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

constexpr size_t kMaxHeadBytes = 64 * 1024;

}  // namespace

Result<WarmTarget> parse_warm_url(std::string_view url) {
  if (url.empty() || !clean(url))
    return fail(Errc::kBadRequest, "bad warm URL: '" + std::string(url) + "'");
  WarmTarget out;
  if (url.front() == '/') {
    out.target = std::string(url);
    return out;
  }
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return fail(Errc::kBadRequest, "warm URL must be \"/path\" or \"http://host[:port]/path\": '" +
                                       std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return fail(Errc::kBadRequest, "warm URL has no usable host: '" + std::string(url) + "'");
  }
  out.host = std::string(authority);
  if (slash == std::string_view::npos) out.target = "/";
  else if (rest[slash] == '?') out.target = "/" + std::string(rest.substr(slash));
  else out.target = std::string(rest.substr(slash));
  size_t hash = out.target.find('#');
  if (hash != std::string::npos) out.target.resize(hash);
  return out;
}

Result<ListenerName> parse_listener(std::string_view listener) {
  size_t colon = listener.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= listener.size()) {
    return fail(Errc::kBadRequest,
                "data listener '" + std::string(listener) + "' is not host:port");
  }
  std::string host(listener.substr(0, colon));
  int port = 0;
  for (char c : listener.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535)
      return fail(Errc::kBadRequest, "bad data listener port");
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return fail(Errc::kBadRequest, "bad data listener port");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "::") host = "::1";
  return ListenerName{std::move(host), static_cast<uint16_t>(port)};
}

Result<net::SocketAddress> resolve_listener(std::string_view listener) {
  auto name = parse_listener(listener);
  if (!name) return std::unexpected(name.error());
  return net::resolve(name->host, name->port);
}

void warm_fetch(http::Client& client, const net::SocketAddress& listener, const WarmTarget& target,
                int timeout_ms, WarmDone done) {
  http::ClientRequest request;
  request.target = target.target;
  request.host = target.host;
  request.headers = {{"User-Agent", "x0tta6bl4-cache-warm"}, {"Accept", "*/*"}};
  http::ClientOptions options;
  options.timeout_ms = timeout_ms;
  options.max_header_bytes = kMaxHeadBytes;
  // Counted, not kept: the body's size costs nothing here, and the deadline bounds its time.
  options.max_body_bytes = std::numeric_limits<uint64_t>::max();
  options.body = http::ClientBody::kCount;
  client.start(listener, request, options,
               [done = std::move(done)](Result<http::ClientResponse> r) {
                 if (!r) return done(fail(Errc::kWarmFailed, r.error().detail));
                 WarmFetch out;
                 out.status = r->status;
                 out.x_cache = std::string(r->header("X-Cache"));
                 out.body_bytes = r->body_bytes;
                 done(std::move(out));
               });
}

}  // namespace x0::admin
