// The failed TLS handshakes of one side of the node (a listener, or the upstream connections):
// how many, the last one's reason and peer (for /security/pqc/status), and one log line each
// under PQC, plus SECURITY when it looks like an attack (a bad key share, a tampered flight, a
// certificate that does not verify). At most 10 lines a second across the workers: a flood of
// bad handshakes must not become a flood of log lines; the next line counts the ones left out.
// Any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "tls/tls_transport.h"

namespace x0::tls {

class HandshakeFailures {
 public:
  // `side` names where in logs: "https" (a listener's name), "upstream" or "mesh"; `what` is
  // what failed, in the log line ("TLS handshake", "mesh link").
  explicit HandshakeFailures(std::string side, std::string what = "TLS handshake")
      : side_(std::move(side)), what_(std::move(what)) {}

  void record(const HandshakeOutcome& outcome, const std::string& peer);

  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  struct Last {
    std::string reason, peer;
  };
  Last last() const;

 private:
  const std::string side_;
  const std::string what_;
  std::atomic<uint64_t> count_{0};
  mutable std::mutex last_mu_;
  Last last_;
  std::atomic<int64_t> window_start_ms_{0};
  std::atomic<int> logged_in_window_{0}, suppressed_{0};
};

// The peer's address of a connected socket, for log lines ("unknown" if the socket has none).
std::string peer_of(int fd);

}  // namespace x0::tls
