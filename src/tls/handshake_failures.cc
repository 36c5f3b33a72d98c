// Failed-handshake accounting and logging (see handshake_failures.h).
#include "tls/handshake_failures.h"

#include <sys/socket.h>

#include "common/log.h"
#include "net/event_loop.h"
#include "net/socket.h"

namespace x0::tls {
namespace {

constexpr int kLinesPerSecond = 10;

}  // namespace

void HandshakeFailures::record(const HandshakeOutcome& outcome, const std::string& peer) {
  count_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(last_mu_);
    last_ = {outcome.reason, peer};
  }
  int64_t now = net::EventLoop::monotonic_ms();
  int64_t start = window_start_ms_.load(std::memory_order_relaxed);
  if (now - start >= 1000 &&
      window_start_ms_.compare_exchange_strong(start, now, std::memory_order_relaxed)) {
    logged_in_window_.store(0, std::memory_order_relaxed);
  }
  if (logged_in_window_.fetch_add(1, std::memory_order_relaxed) >= kLinesPerSecond) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  int suppressed = suppressed_.exchange(0, std::memory_order_relaxed);
  log::warn("PQC", what_ + " failed",
            {{"side", side_},
             {"peer", peer},
             {"reason", outcome.reason},
             {"suppressed_since_last", suppressed}});
  if (outcome.suspicious)
    log::warn("SECURITY",
              what_ + " refused: malformed or tampered handshake, certificate or identity",
              {{"side", side_}, {"peer", peer}, {"reason", outcome.reason}});
}

HandshakeFailures::Last HandshakeFailures::last() const {
  std::lock_guard lock(last_mu_);
  return last_;
}

std::string peer_of(int fd) {
  sockaddr_storage peer{};
  socklen_t len = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return "unknown";
  return net::peer_ip(peer);
}

}  // namespace x0::tls
