// Blocking warm GETs (see cache_warmer.h). Same shape as app/smoke_check.cc: a non-blocking
// socket and poll() against one deadline per request.
#include "admin/cache_warmer.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "http/message.h"
#include "net/event_loop.h"

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
  if (url.empty() || !clean(url)) return fail("bad_request", "bad warm URL: '" + std::string(url) + "'");
  WarmTarget out;
  if (url.front() == '/') {
    out.target = std::string(url);
    return out;
  }
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return fail("bad_request", "warm URL must be \"/path\" or \"http://host[:port]/path\": '" +
                                   std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos) {
    return fail("bad_request", "warm URL has no usable host: '" + std::string(url) + "'");
  }
  out.host = std::string(authority);
  if (slash == std::string_view::npos) out.target = "/";
  else if (rest[slash] == '?') out.target = "/" + std::string(rest.substr(slash));
  else out.target = std::string(rest.substr(slash));
  size_t hash = out.target.find('#');
  if (hash != std::string::npos) out.target.resize(hash);
  return out;
}

Result<net::SocketAddress> resolve_listener(std::string_view listener) {
  size_t colon = listener.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= listener.size()) {
    return fail("bad_request", "data listener '" + std::string(listener) + "' is not host:port");
  }
  std::string host(listener.substr(0, colon));
  int port = 0;
  for (char c : listener.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return fail("bad_request", "bad data listener port");
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return fail("bad_request", "bad data listener port");
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "::") host = "::1";
  return net::resolve(host, static_cast<uint16_t>(port));
}

Result<WarmFetch> warm_fetch(const net::SocketAddress& listener, const WarmTarget& target,
                             int timeout_ms) {
  int64_t deadline = net::EventLoop::monotonic_ms() + timeout_ms;
  std::string where = listener.to_string();
  auto fd = net::connect_tcp(listener);
  if (!fd) return fail("warm_failed", "connect " + where + ": " + fd.error().detail);
  if (!net::poll_until(fd->get(), POLLOUT, deadline)) return fail("warm_failed", "connect " + where + ": timeout");
  if (int err = net::connect_result(fd->get()); err != 0) {
    return fail("warm_failed", "connect " + where + ": " + std::strerror(err));
  }
  std::string request = "GET " + target.target + " HTTP/1.1\r\nHost: " + target.host +
                        "\r\nUser-Agent: x0tta6bl4-cache-warm\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    if (!net::poll_until(fd->get(), POLLOUT, deadline)) return fail("warm_failed", "send: timeout");
    ssize_t n = ::send(fd->get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) return fail("warm_failed", std::string("send: ") + std::strerror(errno));
    sent += static_cast<size_t>(n);
  }

  // Read the head, then the body until its end is known (length, last chunk) or the close.
  std::string head;
  http::ResponseHead parsed;
  bool have_head = false;
  WarmFetch out;
  std::string tail;  // last bytes of a chunked body, to spot "0\r\n\r\n"
  char buf[16 * 1024];
  for (;;) {
    if (have_head && parsed.body_kind == http::BodyKind::kNone) break;
    if (have_head && parsed.body_kind == http::BodyKind::kContentLength &&
        out.body_bytes >= parsed.content_length) break;
    if (have_head && parsed.body_kind == http::BodyKind::kChunked && tail.ends_with("0\r\n\r\n")) break;
    if (!net::poll_until(fd->get(), POLLIN, deadline)) {
      return fail("warm_failed", have_head ? "timeout reading the body" : "no HTTP answer in time");
    }
    ssize_t n = ::recv(fd->get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) return fail("warm_failed", std::string("recv: ") + std::strerror(errno));
    if (n == 0) {
      if (!have_head) return fail("warm_failed", "connection closed before a response head");
      if (parsed.body_kind == http::BodyKind::kUntilClose) break;
      return fail("warm_failed", "connection closed inside the body");
    }
    std::string_view chunk(buf, static_cast<size_t>(n));
    if (!have_head) {
      head.append(chunk);
      http::ParseError err{};
      auto st = http::parse_response_head(head, http::Limits{}, http::Method::kGet, &parsed, &err);
      if (st == http::ParseStatus::kError) return fail("warm_failed", "malformed response head");
      if (st == http::ParseStatus::kIncomplete) {
        if (head.size() > kMaxHeadBytes) return fail("warm_failed", "response head too large");
        continue;
      }
      have_head = true;
      // 1xx interim responses are not expected: the request sends no Expect.
      out.status = parsed.status;
      out.x_cache = std::string(parsed.headers.find("X-Cache"));
      chunk = std::string_view(head).substr(parsed.head_bytes);
    }
    out.body_bytes += chunk.size();
    tail.append(chunk);
    if (tail.size() > 16) tail.erase(0, tail.size() - 16);
  }
  return out;
}

}  // namespace x0::admin
