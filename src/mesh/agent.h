// The mesh thread: one event loop that owns this node's links to peers and the membership
// (SWIM with Lifeguard's refinements, membership.h), and publishes a MeshView.
//  - Listener: listeners.mesh is served by the data-plane workers (app/mesh_ingress.h), each
//    connection a server LinkTransport made by acceptor() (nothing is answered before the peer
//    proved its identity). Forwarded service requests stay on the worker; membership requests
//    (/mesh/v1/join, ping, ping-req) come here through serve(), each request's `from` checked
//    against the identity its link proved.
//  - Links: per peer address a few keep-alive http::Clients over client LinkTransports; the
//    workers' links to peers (forwarded requests) use connector().
//  - Joins: every seed not yet a live member, and every `down` member's address, is sent a
//    join (push-pull of the member lists) with exponential backoff and jitter, so a restarted
//    node, a late seed and a healed partition all come back.
// Other threads call view() (an atomic snapshot), serve(), on_link() (both post here) and the
// start/stop functions.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "http/client.h"
#include "mesh/link_transport.h"
#include "mesh/membership.h"
#include "mesh/mesh_view.h"
#include "net/event_loop.h"
#include "net/timer.h"
#include "telemetry/metrics.h"
#include "tls/handshake_failures.h"

namespace x0::mesh {

struct AgentOptions {
  std::string advertise;           // "ip:port" peers reach us at (gossiped)
  std::vector<std::string> seeds;  // [mesh] peers, "ip:port"
  // This node's services and their health, advertised on every ping and ack; called on the
  // mesh thread (reads published snapshots only). Empty: none.
  std::function<std::vector<ServiceHealth>()> local_services;
  Timers timers;
  std::shared_ptr<const LocalIdentity> identity;
  std::shared_ptr<const LinkContexts> contexts;
  uint64_t random_seed = 0;
  // Called with every view the agent publishes (on the mesh thread, and once in start()),
  // and the client side of the workers' links to those peers: the node derives its remote
  // routes from them. May be empty.
  std::function<void(const MeshView&, const std::shared_ptr<net::ClientTransportFactory>& links)>
      on_view;
};

// A membership request that reached the mesh listener (a worker's), as serve() takes it.
struct MeshMessage {
  std::string path;  // "/mesh/v1/ping", "/mesh/v1/ping-req" or "/mesh/v1/join"
  std::string body;
  std::string proven_id;  // the node id its link proved
  std::string peer_ip;
};
// Its answer: called once, on the mesh thread (or at once, on the caller's, when the mesh
// thread is gone).
using MeshReply = std::function<void(int status, std::string body)>;

class Agent final : public LinkObserver, public MeshApi {
 public:
  // Starts the mesh thread (the workers bind listeners.mesh with acceptor()).
  static Result<std::unique_ptr<Agent>> start(AgentOptions options, telemetry::Registry& registry);
  ~Agent() override;  // stops the thread (without leaving: use leave() first on a drain)

  // Any thread: gossips `left` to the live members and waits up to timeout_ms for them to take
  // it, then stops the mesh thread.
  void leave(int64_t timeout_ms);
  // Any thread (not the mesh thread): stops the mesh thread without leaving. Requests already
  // queued are answered and ping-reqs still waiting on their probe get a 503, on the mesh
  // thread before it ends: the node stops it before it destroys the workers, whose
  // connections these replies write to.
  void stop();
  std::shared_ptr<const MeshView> view() const override { return view_.load(); }
  void ping_all(std::function<void(std::vector<PingResult>)> done) override;  // any thread

  // Any thread: a link's outcome (the workers' links are counted and logged as the mesh
  // thread's own).
  void on_link(const LinkOutcome& outcome) override;
  // Any thread: a peer's link closed under us; membership probes it out of turn.
  void on_link_closed(const std::string& peer_id) override;
  // Any thread: answers a membership request on the mesh thread.
  void serve(MeshMessage message, MeshReply reply);
  // The server side of the mesh listener's connections, and the client side of the workers'
  // links; both report here. Thread-safe; they live as long as the agent.
  net::TransportFactory& acceptor() { return *acceptor_; }
  std::shared_ptr<net::ClientTransportFactory> connector() const { return connector_; }

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
    // Our last direct exchange with it (probe, join) was answered, or it failed but nobody
    // else reached the peer either (then it is suspect, and our slowness as likely a cause):
    // false only when another member's probe got through where ours did not.
    bool direct = false;
  };

  Agent(AgentOptions options, telemetry::Registry& registry);
  void tick();
  // Moves the tick earlier when membership has something due before it (a pending indirect
  // probe, an out-of-turn probe, a suspicion's expiry).
  void retick();
  void push_gossip(int64_t now);
  void run_probe(const Probe& probe);
  void run_indirect_probe(const Probe& probe);
  void send_joins();
  void send_join(Peer& peer);
  void send(const std::string& address, std::string_view target, std::string body,
            int64_t timeout_ms, Reply reply);
  Peer* peer_at(const std::string& address);
  void record_link(const LinkOutcome& outcome);
  void answer(const MeshMessage& message, const MeshReply& reply);
  void handle_ping(const MeshMessage& message, const MeshReply& reply);
  void handle_ping_req(const MeshMessage& message, const MeshReply& reply);
  void handle_join(const MeshMessage& message, const MeshReply& reply);
  bool check_sender(const MeshMessage& message, const std::string& from, const MeshReply& reply);
  void log_changes();
  Ping make_ping(uint64_t seq, std::vector<Update> updates) const;
  void publish();
  int64_t now_ms() const { return net::EventLoop::monotonic_ms(); }
  // Runs fn on the mesh thread; false (fn dropped) once the agent has stopped. Any thread.
  bool post_while_running(std::function<void()> fn);
  // Stops the mesh thread behind everything already posted, answering what still waits, and
  // joins it. Any thread but the mesh thread; once.
  void end_loop();
  bool stopping_ = false;             // the destructor runs: transports closing report to no one
  std::atomic<bool> stopped_{false};  // no more posts: the mesh thread is ending or gone
  std::mutex post_mu_;                // a post and the stop are ordered (post_while_running)
  // Mesh thread: ping-req answers waiting on their probe, answered 503 by end_loop.
  std::map<uint64_t, MeshReply> waiting_replies_;
  uint64_t last_waiting_reply_ = 0;

  AgentOptions options_;
  net::EventLoop loop_;
  std::atomic<std::thread::id> mesh_thread_{};  // set by the mesh thread as it starts
  std::unique_ptr<LinkAcceptor> acceptor_;
  std::shared_ptr<LinkConnector> connector_;
  std::optional<net::SocketAddress> source_;  // our advertised IP, port 0
  Membership membership_;
  net::Timer tick_timer_;
  int64_t last_tick_ms_ = 0;
  int64_t next_gossip_ms_ = 0;
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
