// Blocking smoke GET (see smoke_check.h).
#include "app/smoke_check.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "net/event_loop.h"
#include "net/socket.h"

namespace x0::app {
namespace {

Result<int> get_status(const config::Endpoint& endpoint, const release::Release& r, int timeout_ms) {
  int64_t deadline = net::EventLoop::monotonic_ms() + timeout_ms;
  auto address = net::resolve(endpoint.host, endpoint.port);
  if (!address) return std::unexpected(address.error());
  auto fd = net::connect_tcp(*address);
  if (!fd) return std::unexpected(fd.error());
  if (!net::poll_until(fd->get(), POLLOUT, deadline) || net::connect_result(fd->get()) != 0) {
    return fail("smoke_failed", "cannot connect to " + endpoint.to_string());
  }
  std::string request = "GET " + r.spec.smoke.path + " HTTP/1.1\r\nHost: " + endpoint.to_string() +
                        "\r\nUser-Agent: x0tta6bl4-smoke\r\nConnection: close\r\n";
  if (!r.spec.header_name.empty()) request += r.spec.header_name + ": " + r.spec.header_value + "\r\n";
  request += "\r\n";
  if (::send(fd->get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    return fail("smoke_failed", "cannot send the smoke request to " + endpoint.to_string());
  }
  std::string response;
  char buf[256];
  while (response.size() < 12 && net::poll_until(fd->get(), POLLIN, deadline)) {
    ssize_t n = ::recv(fd->get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  if (response.size() < 12 || !response.starts_with("HTTP/1.")) {
    return fail("smoke_failed", "no HTTP answer from " + endpoint.to_string() + " in time");
  }
  return std::atoi(response.substr(9, 3).c_str());
}

}  // namespace

Result<void> smoke_check(const release::Release& release, int timeout_ms) {
  for (const config::Endpoint& endpoint : release.spec.candidate) {
    auto status = get_status(endpoint, release, timeout_ms);
    if (!status) return std::unexpected(status.error());
    if (*status != release.spec.smoke.expect_status) {
      return fail("smoke_failed", "GET " + release.spec.smoke.path + " on " + endpoint.to_string() +
                                      " answered " + std::to_string(*status) + ", expected " +
                                      std::to_string(release.spec.smoke.expect_status));
    }
  }
  return {};
}

}  // namespace x0::app
