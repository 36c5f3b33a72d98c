// The mesh thread: one event loop that owns this node's mesh listener, its links to peers and
// the membership (SWIM with Lifeguard's refinements, membership.h), and publishes a MeshView.
//  - Listener: listeners.mesh, every connection a server LinkTransport (nothing is answered
//    before the peer proved its identity); HTTP/1.1 under /mesh/v1/ (join, ping, ping-req),
//    each request's `from` checked against the identity the link proved.
//  - Links: per peer address a few keep-alive http::Clients over client LinkTransports.
//  - Joins: every seed not yet a live member, and every `down` member's address, is sent a
//    join (push-pull of the member lists) with exponential backoff and jitter, so a restarted
//    node, a late seed and a healed partition all come back.
// Other threads only call view() (an atomic snapshot) and the start/stop functions.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "http/client.h"
#include "http/server.h"
#include "mesh/link_transport.h"
#include "mesh/membership.h"
#include "mesh/mesh_view.h"
#include "net/event_loop.h"
#include "net/timer.h"
#include "telemetry/metrics.h"
#include "tls/handshake_failures.h"

namespace x0::mesh {

struct AgentOptions {
  net::SocketAddress listen;       // listeners.mesh
  std::string advertise;           // "ip:port" peers reach us at (gossiped)
  std::vector<std::string> seeds;  // [mesh] peers, "ip:port"
  // This node's services and their health, advertised on every ping and ack; called on the
  // mesh thread (reads published snapshots only). Empty: none.
  std::function<std::vector<ServiceHealth>()> local_services;
  Timers timers;
  std::shared_ptr<const LocalIdentity> identity;
  std::shared_ptr<const LinkContexts> contexts;
  uint64_t random_seed = 0;
};

class Agent final : public LinkObserver, public http::RequestHandler, public MeshApi {
 public:
  // Binds the listener (errors name the address) and starts the mesh thread.
  static Result<std::unique_ptr<Agent>> start(AgentOptions options, telemetry::Registry& registry);
  ~Agent() override;  // stops the thread (without leaving: use leave() first on a drain)

  // Any thread: gossips `left` to the live members and waits up to timeout_ms for them to take
  // it, then stops the mesh thread.
  void leave(int64_t timeout_ms);
  std::shared_ptr<const MeshView> view() const override { return view_.load(); }
  void ping_all(std::function<void(std::vector<PingResult>)> done) override;  // any thread

  void on_link(const LinkOutcome& outcome) override;  // mesh thread
  void handle(http::ServerConnection& conn, const http::Request& request) override;

 private:
  using Reply = std::function<void(Result<http::ClientResponse>, const std::string& peer_id)>;
  // An address we talk to: a seed, or where a member said it listens.
  struct Peer {
    net::SocketAddress address;
    std::string text;
    bool seed = false;
    std::vector<std::unique_ptr<http::Client>> clients;  // at most kClientsPerPeer
    std::string proven_id;  // who the last link to this address proved to be
    int64_t next_join_ms = 0;
    int64_t join_backoff_ms = 0;
    bool join_in_flight = false;
  };
  // The last link set up with a peer id, either direction.
  struct LinkInfo {
    std::string group;
    bool pq = false;
    std::chrono::sys_seconds at{}, cert_not_after{};
    std::chrono::sys_seconds last_seen{};
    std::optional<double> rtt_ms;
    std::vector<ServiceHealth> services;
  };

  Agent(AgentOptions options, telemetry::Registry& registry);
  void tick();
  void run_probe(const Probe& probe);
  void run_indirect_probe(const Probe& probe);
  void send_joins();
  void send_join(Peer& peer);
  void send(const std::string& address, std::string_view target, std::string body,
            int64_t timeout_ms, Reply reply);
  Peer* peer_at(const std::string& address);
  void handle_ping(http::ServerConnection& conn, const http::Request& request);
  void handle_ping_req(http::ServerConnection& conn, const http::Request& request);
  void handle_join(http::ServerConnection& conn, const http::Request& request);
  bool check_sender(http::ServerConnection& conn, const std::string& from);
  void log_changes();
  Ping make_ping(uint64_t seq, std::vector<Update> updates) const;
  void publish();
  int64_t now_ms() const { return net::EventLoop::monotonic_ms(); }
  bool stopping_ = false;  // the destructor runs: transports closing report to no one
  std::atomic<bool> stopped_{false};  // the mesh thread no longer runs (drained or destroyed)

  AgentOptions options_;
  net::EventLoop loop_;
  http::ServerLimits limits_;
  http::ConnectionBudget budget_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<LinkAcceptor> acceptor_;
  std::shared_ptr<LinkConnector> connector_;
  std::optional<net::SocketAddress> source_;  // our advertised IP, port 0
  Membership membership_;
  net::Timer tick_timer_;
  int64_t last_tick_ms_ = 0;
  std::mt19937_64 random_;
  std::map<std::string, std::unique_ptr<Peer>> peers_;  // by address
  std::unordered_map<std::string, LinkInfo> links_;     // by peer id
  struct Indirect {
    size_t asked = 0, waiting = 0;
    bool acked = false;
    size_t nacks = 0;
  };
  std::unordered_map<uint64_t, Indirect> indirect_;
  LinkCounters counters_;
  tls::HandshakeFailures refusals_{"mesh", "mesh link"};  // logs them, at most 10 lines a second
  telemetry::Counter* handshakes_ok_;
  telemetry::Counter* handshakes_failed_;
  telemetry::Counter* handshakes_fallback_;
  telemetry::Histogram* handshake_seconds_;
  telemetry::Histogram* rtt_seconds_;
  std::atomic<std::shared_ptr<const MeshView>> view_;
  std::thread thread_;
};

}  // namespace x0::mesh
