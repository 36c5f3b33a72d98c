// The mesh listener's cap on connections that have not proved themselves yet, per address.
// A server link spends up to LinkTransport::kServerSetupTimeoutMs in TLS and the identity
// exchange; a client that opens connections and never finishes them would hold each that long
// and, unchecked, take the listener's whole budget from the mesh's real peers. So at most
// kMaxPerAddress links from one IPv4 address or IPv6 /64 may be setting up at once; a proven link
// stops counting (a peer keeps as many links as its traffic needs). Shared by every worker's
// acceptor: thread-safe. Tickets hold it by shared_ptr because the transports holding them live
// in the workers' connections, which may outlast the mesh agent and its acceptor at shutdown.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace x0::mesh {

class UnprovenLinks : public std::enable_shared_from_this<UnprovenLinks> {
 public:
  // Far above what a node opens at once (4 membership links and its workers' pools filling
  // up), far below a listener's budget.
  static constexpr int kMaxPerAddress = 64;

  // One connection's place while it sets up; given back when destroyed or released.
  class Ticket {
   public:
    Ticket(std::shared_ptr<UnprovenLinks> owner, std::string ip)
        : owner_(std::move(owner)), ip_(std::move(ip)) {}
    Ticket(Ticket&& other) noexcept = default;
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { release(); }
    void release();

   private:
    std::shared_ptr<UnprovenLinks> owner_;
    std::string ip_;
  };

  // A place for a connection from `ip`, or none when kMaxPerAddress are setting up already.
  std::optional<Ticket> take(const std::string& ip);
  int in_setup(const std::string& ip) const;

 private:
  void give_back(const std::string& ip);
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> by_ip_;  // only addresses with connections in set-up
};

}  // namespace x0::mesh
