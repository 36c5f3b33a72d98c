// The mesh thread (see agent.h).
#include "mesh/agent.h"

#include <arpa/inet.h>

#include <algorithm>
#include <future>
#include <set>

#include "common/clock.h"
#include "common/log.h"
#include "mesh/gossip_codec.h"

namespace x0::mesh {
namespace {

constexpr size_t kClientsPerPeer = 4;
constexpr size_t kGossipPerMessage = 16;
constexpr std::string_view kJson = "application/json";

// "ip:port" with a numeric IPv4 or [IPv6] host only: addresses come from gossip, and a name
// would need a lookup (and would let a peer point us at anything a resolver answers).
std::optional<net::SocketAddress> numeric_address(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  std::string host = text.substr(0, colon);
  int port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port <= 0 || port > 65535) return std::nullopt;
  net::SocketAddress out;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) != 1)
      return std::nullopt;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    out.length = sizeof(sockaddr_in6);
    return out;
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) return std::nullopt;
  in4->sin_family = AF_INET;
  in4->sin_port = htons(static_cast<uint16_t>(port));
  out.length = sizeof(sockaddr_in);
  return out;
}

// The canonical "ip:port" of an address as getpeername() prints it (so "10.0.0.2:07946" and
// "10.0.0.2:7946" are one peer); "" when it is not a numeric address.
std::string canonical(const std::string& text) {
  auto parsed = numeric_address(text);
  return parsed ? parsed->to_string() : std::string();
}

}  // namespace

Agent::Agent(AgentOptions options, telemetry::Registry& registry)
    : options_(std::move(options)),
      acceptor_(std::make_unique<LinkAcceptor>(
          options_.contexts, options_.identity, this,
          registry.counter("mesh_connections_refused_total",
                           "Mesh listener connections closed at once: their address already "
                           "had the most links allowed still proving themselves.",
                           {{"reason", "unproven_per_address"}}))),
      connector_(std::make_shared<LinkConnector>(options_.contexts, options_.identity, this)),
      membership_(options_.identity->node_id, options_.advertise, options_.timers,
                  options_.random_seed),
      tick_timer_(loop_, net::Timer::call<&Agent::tick>(this)),
      random_(options_.random_seed) {
  std::string_view help = kHandshakesHelp;
  handshakes_ok_ = registry.counter("pqc_handshake_total", help, {{"result", "ok"}});
  handshakes_failed_ = registry.counter("pqc_handshake_total", help, {{"result", "failed"}});
  handshakes_fallback_ = registry.counter("pqc_handshake_total", help, {{"result", "fallback"}});
  static constexpr double kHandshakeBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                0.05,  0.1,    0.25,  0.5,  1.0};
  handshake_seconds_ = registry.histogram(
      "pqc_handshake_duration_seconds",
      "Mesh link set-up: TLS handshake and composite identity exchange.", kHandshakeBounds);
  static constexpr double kRttBounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                          0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
  rtt_seconds_ = registry.histogram("mesh_link_rtt_seconds",
                                    "Round trip of a probe over a mesh link.", kRttBounds);
  publish();
}

Result<std::unique_ptr<Agent>> Agent::start(AgentOptions options, telemetry::Registry& registry) {
  std::unique_ptr<Agent> agent(new Agent(std::move(options), registry));
  Agent& a = *agent;
  for (const std::string& seed : a.options_.seeds) {
    if (seed == a.options_.advertise) continue;
    Peer* peer = a.peer_at(seed);
    if (peer == nullptr)
      return fail(Errc::kConfigInvalid,
                  "mesh.peers " + seed + ": an IP address and port (ip:port) is needed");
    peer->seed = true;
  }
  // Links leave from our own address (port 0), so peers' logs and firewalls see this node.
  if (auto own = numeric_address(a.options_.advertise)) {
    if (own->storage.ss_family == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&own->storage)->sin_port = 0;
    } else {
      reinterpret_cast<sockaddr_in6*>(&own->storage)->sin6_port = 0;
    }
    a.source_ = *own;
  }
  a.last_tick_ms_ = a.now_ms();
  a.tick_timer_.arm(0);
  a.thread_ = std::thread([&a] {
    a.mesh_thread_.store(std::this_thread::get_id());
    a.loop_.run();
  });
  return agent;
}

void Agent::stop() { end_loop(); }

bool Agent::post_while_running(std::function<void()> fn) {
  std::lock_guard lock(post_mu_);
  if (stopped_.load()) return false;
  loop_.post(std::move(fn));
  return true;
}

void Agent::end_loop() {
  {
    std::lock_guard lock(post_mu_);
    if (stopped_.exchange(true)) return;
  }
  // Behind everything posted so far (posts run in order), so each membership request already
  // queued is answered; then the ping-reqs still waiting on a probe get their 503 while the
  // workers that would write them still run.
  loop_.post([this] {
    for (auto& [id, reply] : waiting_replies_)
      reply(503, R"({"error":"unavailable","detail":"leaving the mesh"})");
    waiting_replies_.clear();
    loop_.stop();
  });
  if (thread_.joinable()) thread_.join();
}

Agent::~Agent() {
  stop();
  stopping_ = true;
  // The loop has stopped: this thread may now take its objects apart. Replies still waiting
  // in the links' callbacks (a ping-req's) go with them; their workers drop the requests.
  peers_.clear();
}

void Agent::leave(int64_t timeout_ms) {
  if (!thread_.joinable()) return;
  auto left = std::make_shared<std::promise<void>>();
  std::future<void> done = left->get_future();
  loop_.post([this, left] {
    membership_.leave(now_ms());
    log_changes();
    publish();
    auto remaining = std::make_shared<size_t>(0);
    for (const Member& m : membership_.members())
      if (m.state == PeerState::kUp || m.state == PeerState::kSuspect) ++*remaining;
    if (*remaining == 0) return left->set_value();
    for (const Member& m : membership_.members()) {
      if (m.state != PeerState::kUp && m.state != PeerState::kSuspect) continue;
      Ping ping = make_ping(0, membership_.full_state());
      send(m.address, "/mesh/v1/ping", encode(ping), options_.timers.probe_timeout_ms * 2,
           [left, remaining](Result<http::ClientResponse>, const std::string&) {
             if (--*remaining == 0) left->set_value();
           });
    }
  });
  done.wait_for(std::chrono::milliseconds(timeout_ms));
  end_loop();
}

void Agent::ping_all(std::function<void(std::vector<PingResult>)> done) {
  auto run = [this, done] {
    auto results = std::make_shared<std::vector<PingResult>>();
    for (const Member& m : membership_.members())
      if (m.state == PeerState::kUp || m.state == PeerState::kSuspect)
        results->push_back({m.id, m.address, std::string(state_name(m.state)), false, 0, ""});
    if (results->empty()) return done({});
    auto waiting = std::make_shared<size_t>(results->size());
    auto finish = std::make_shared<std::function<void(std::vector<PingResult>)>>(done);
    for (size_t i = 0; i < results->size(); ++i) {
      const PingResult& r = (*results)[i];
      Ping ping = make_ping(0, membership_.gossip(kGossipPerMessage, r.id));
      auto sent = std::chrono::steady_clock::now();
      send(r.address, "/mesh/v1/ping", encode(ping), options_.timers.probe_timeout_ms * 4,
           [results, waiting, finish, i, sent](Result<http::ClientResponse> answer,
                                               const std::string& proven) {
             PingResult& out = (*results)[i];
             if (!answer) {
               out.error = answer.error().detail;
             } else if (answer->status != 200 || proven != out.id) {
               out.error = "answered " + std::to_string(answer->status) + " as " + proven;
             } else {
               out.ok = true;
               out.rtt_ms = std::chrono::duration<double, std::milli>(
                                std::chrono::steady_clock::now() - sent)
                                .count();
             }
             if (--*waiting == 0) (*finish)(std::move(*results));
           });
    }
  };
  if (!post_while_running(std::move(run))) done({});  // draining: the mesh thread is gone
}

Agent::Peer* Agent::peer_at(const std::string& address) {
  auto parsed = numeric_address(address);
  if (!parsed) return nullptr;
  std::string key = parsed->to_string();
  if (auto it = peers_.find(key); it != peers_.end()) return it->second.get();
  auto peer = std::make_unique<Peer>();
  peer->address = *parsed;
  peer->text = key;
  return peers_.emplace(key, std::move(peer)).first->second.get();
}

void Agent::send(const std::string& address, std::string_view target, std::string body,
                 int64_t timeout_ms, Reply reply) {
  Peer* peer = peer_at(address);
  http::Client* client = nullptr;
  if (peer != nullptr) {
    for (auto& c : peer->clients)
      if (!c->busy() && c->connected_to(peer->address)) client = c.get();
    if (client == nullptr)
      for (auto& c : peer->clients)
        if (!c->busy()) client = c.get();
    if (client == nullptr && peer->clients.size() < kClientsPerPeer)
      client = peer->clients.emplace_back(std::make_unique<http::Client>(loop_)).get();
  }
  if (client == nullptr) {
    loop_.defer([reply = std::move(reply), address] {
      reply(fail(Errc::kConnectFailed, "no free link to " + address), "");
    });
    return;
  }
  http::ClientRequest request;
  request.method = http::Method::kPost;
  request.method_text = "POST";
  request.target = std::string(target);
  request.host = address;
  request.headers = {{"Content-Type", std::string(kJson)}};
  request.body = std::move(body);
  http::ClientOptions client_options;
  client_options.timeout_ms = timeout_ms;
  client_options.tls = connector_;
  client_options.keep_alive = true;
  client_options.source = source_;
  std::string text = peer->text;
  client->start(peer->address, request, client_options,
                [this, text, reply = std::move(reply)](Result<http::ClientResponse> result) {
                  Peer* p = peer_at(text);
                  reply(std::move(result), p != nullptr ? p->proven_id : std::string());
                });
}

void Agent::tick() {
  int64_t now = now_ms();
  int64_t period = std::clamp<int64_t>(options_.timers.probe_interval_ms / 4, 10, 250);
  // Lifeguard's local health: a loop that runs late is this node's problem, not its peers'.
  if (now - last_tick_ms_ > period + options_.timers.probe_timeout_ms / 2)
    membership_.note_degraded(now);
  last_tick_ms_ = now;
  for (const Probe& probe : membership_.tick(now)) {
    if (probe.via.empty()) {
      run_probe(probe);
    } else {
      run_indirect_probe(probe);
    }
  }
  push_gossip(now);
  send_joins();
  // Anti-entropy: a full exchange of member lists with a random live member now and then
  // repairs what gossip's bounded retransmits missed.
  if (auto target = membership_.push_pull_target(now))
    if (Peer* peer = peer_at(target->address); peer != nullptr && !peer->join_in_flight)
      send_join(*peer);
  log_changes();
  publish();
  int64_t due = membership_.next_due_ms(now);
  if (membership_.queued() > 0) due = std::min(due, next_gossip_ms_);
  tick_timer_.arm_at(std::clamp(due, now + 1, now + period));
}

// memberlist's gossip: what is queued also goes out on its own, every gossip interval, to a
// few random live members, so a `down` verdict or a suspicion reaches every member within an
// interval or two instead of waiting for the probes it would ride on (up to n - 1 intervals).
void Agent::push_gossip(int64_t now) {
  if (membership_.queued() == 0 || now < next_gossip_ms_) return;
  next_gossip_ms_ = now + options_.timers.gossip_interval_ms;
  std::vector<Member> live;
  for (const Member& m : membership_.members()) {
    if (m.state != PeerState::kUp && m.state != PeerState::kSuspect) continue;
    // Not to a member we are already talking to: under loss, pushes must never take the last
    // free link a probe needs (a probe with no link fails, and would start a suspicion).
    if (Peer* peer = peer_at(m.address);
        peer == nullptr || std::any_of(peer->clients.begin(), peer->clients.end(),
                                       [](const auto& c) { return c->busy(); }))
      continue;
    live.push_back(m);
  }
  std::shuffle(live.begin(), live.end(), random_);
  if (live.size() > static_cast<size_t>(options_.timers.gossip_nodes))
    live.resize(static_cast<size_t>(options_.timers.gossip_nodes));
  for (const Member& m : live) {
    Ping ping = make_ping(0, membership_.gossip(kGossipPerMessage, m.id));
    send(m.address, "/mesh/v1/ping", encode(ping), options_.timers.probe_timeout_ms,
         [this, id = m.id](Result<http::ClientResponse> result, const std::string& proven) {
           if (!result || result->status != 200 || proven != id) return;  // probes judge
           if (auto ack = decode_ack(result->body); ack && ack->from == id) {
             membership_.merge(ack->updates, now_ms());
             log_changes();
             retick();
           }
         });
  }
}

void Agent::retick() {
  int64_t now = now_ms();
  int64_t due = std::max(membership_.next_due_ms(now), now + 1);
  if (!tick_timer_.armed() || due < tick_timer_.deadline_ms()) tick_timer_.arm_at(due);
}

void Agent::run_probe(const Probe& probe) {
  Ping ping = make_ping(probe.seq, membership_.gossip(kGossipPerMessage, probe.target));
  auto sent = std::chrono::steady_clock::now();
  send(probe.target_address, "/mesh/v1/ping", encode(ping), probe.timeout_ms,
       [this, seq = probe.seq, target = probe.target, sent](Result<http::ClientResponse> result,
                                                            const std::string& proven) {
         int64_t now = now_ms();
         std::optional<Ack> ack;
         if (result && result->status == 200 && proven == target) {
           if (auto decoded = decode_ack(result->body); decoded && decoded->from == target)
             ack = *std::move(decoded);
         }
         if (!ack) {
           // `direct` stays: one missed probe may be our slowness; the indirect probe tells
           // (a peer others reach and we do not is reached through them).
           membership_.on_failed(seq, now);  // the indirect probe goes out at once
           log_changes();
           retick();
           return;
         }
         double rtt =
             std::chrono::duration<double>(std::chrono::steady_clock::now() - sent).count();
         rtt_seconds_->observe(rtt);
         LinkInfo& link = links_[target];
         link.rtt_ms = rtt * 1000.0;
         link.last_seen = unix_seconds();
         link.services = ack->services;
         link.direct = true;
         membership_.merge(ack->updates, now);
         membership_.on_ack(seq, now);
         log_changes();
         retick();
       });
}

void Agent::run_indirect_probe(const Probe& probe) {
  std::vector<std::string> addresses;
  for (const Member& m : membership_.members())
    if (std::find(probe.via.begin(), probe.via.end(), m.id) != probe.via.end())
      addresses.push_back(m.address);
  if (addresses.empty()) return membership_.on_failed(probe.seq, now_ms());
  indirect_[probe.seq] = Indirect{addresses.size(), addresses.size(), false, 0};
  PingReq req{membership_.self().id, probe.seq,        probe.target,
              probe.target_address,  probe.timeout_ms, membership_.gossip(kGossipPerMessage)};
  std::string body = encode(req);
  // The helper's own ping has probe.timeout_ms; its answer needs a little more.
  int64_t timeout = probe.timeout_ms + std::max<int64_t>(probe.timeout_ms / 2, 50);
  for (const std::string& address : addresses) {
    send(address, "/mesh/v1/ping-req", body, timeout,
         [this, seq = probe.seq, target = probe.target](Result<http::ClientResponse> result,
                                                        const std::string& proven) {
           auto it = indirect_.find(seq);
           if (it == indirect_.end()) return;
           int64_t now = now_ms();
           std::optional<PingReqResult> answer;
           if (result && result->status == 200)
             if (auto decoded = decode_ping_req_result(result->body);
                 decoded && decoded->from == proven)
               answer = *std::move(decoded);
           if (answer) membership_.merge(answer->updates, now);
           Indirect& probe_state = it->second;
           if (answer && answer->ack && !probe_state.acked) {
             probe_state.acked = true;
             links_[target].direct = false;  // alive, but our own probe did not get through
             membership_.on_ack(seq, now);
           } else if (answer && !answer->ack) {
             ++probe_state.nacks;
             membership_.on_nack(seq, answer->from, now);  // all nacked: failed, says on_nack
           }
           if (--probe_state.waiting == 0) {
             if (!probe_state.acked && probe_state.nacks < probe_state.asked)
               membership_.on_failed(seq, now);
             indirect_.erase(it);
           }
           log_changes();
           retick();
         });
  }
}

void Agent::send_joins() {
  int64_t now = now_ms();
  std::set<std::string> live, down, known;
  for (const Member& m : membership_.members()) {
    std::string address = canonical(m.address);
    (m.state == PeerState::kUp || m.state == PeerState::kSuspect ? live : down).insert(address);
    known.insert(address);
  }
  for (const std::string& address : down) peer_at(address);
  for (auto it = peers_.begin(); it != peers_.end();) {
    Peer& peer = *it->second;
    // An address no member names any more (a node that came back elsewhere, one gone for
    // good) and no exchange uses: its links go, so the table stays as large as the mesh.
    bool busy = std::any_of(peer.clients.begin(), peer.clients.end(),
                            [](const auto& c) { return c->busy(); });
    if (!peer.seed && !known.contains(it->first) && !busy && !peer.join_in_flight) {
      it = peers_.erase(it);
      continue;
    }
    ++it;
    if (live.contains(peer.text) || (!peer.seed && !down.contains(peer.text))) {
      peer.join_backoff_ms = 0;
      continue;
    }
    if (peer.join_in_flight || now < peer.next_join_ms) continue;
    send_join(peer);
  }
}

void Agent::send_join(Peer& peer) {
  peer.join_in_flight = true;
  Join join{membership_.self().id, options_.advertise, membership_.full_state()};
  std::string address = peer.text;
  send(address, "/mesh/v1/join", encode(join), options_.timers.probe_timeout_ms * 4,
       [this, address](Result<http::ClientResponse> result, const std::string& proven) {
         Peer* p = peer_at(address);
         if (p == nullptr) return;
         p->join_in_flight = false;
         std::optional<Join> answer;
         if (result && result->status == 200)
           if (auto decoded = decode_join(result->body); decoded && decoded->from == proven)
             answer = *std::move(decoded);
         int64_t now = now_ms();
         if (answer) {
           links_[proven].direct = true;
           membership_.merge_state(answer->members, now);
           p->join_backoff_ms = 0;
           p->next_join_ms = now + options_.timers.probe_interval_ms;
           log_changes();
           return;
         }
         // Exponential backoff with ±25 % jitter, from one probe interval up to ten.
         int64_t base = options_.timers.probe_interval_ms;
         p->join_backoff_ms =
             std::min(p->join_backoff_ms == 0 ? base : p->join_backoff_ms * 2, base * 10);
         std::uniform_int_distribution<int64_t> jitter(-p->join_backoff_ms / 4,
                                                       p->join_backoff_ms / 4);
         p->next_join_ms = now + p->join_backoff_ms + jitter(random_);
       });
}

bool Agent::check_sender(const MeshMessage& message, const std::string& from,
                         const MeshReply& reply) {
  if (from == message.proven_id) return true;
  log::warn("SECURITY", "mesh request names another sender than its link proved: refused",
            {{"peer", message.peer_ip}, {"proven", message.proven_id}, {"claimed", from}});
  reply(403, R"({"error":"forbidden","detail":"sender is not the link's identity"})");
  return false;
}

void Agent::serve(MeshMessage message, MeshReply reply) {
  if (!post_while_running([this, message, reply] { answer(message, reply); }))
    reply(503, R"({"error":"unavailable","detail":"leaving the mesh"})");
}

void Agent::answer(const MeshMessage& message, const MeshReply& reply) {
  if (message.path == "/mesh/v1/ping") return handle_ping(message, reply);
  if (message.path == "/mesh/v1/ping-req") return handle_ping_req(message, reply);
  if (message.path == "/mesh/v1/join") return handle_join(message, reply);
  reply(404, R"({"error":"not_found"})");
}

void Agent::handle_ping(const MeshMessage& message, const MeshReply& reply) {
  auto ping = decode_ping(message.body);
  if (!ping) return reply(400, R"({"error":"bad_request"})");
  if (!check_sender(message, ping->from, reply)) return;
  membership_.merge(ping->updates, now_ms());
  LinkInfo& link = links_[ping->from];
  link.last_seen = unix_seconds();
  link.services = ping->services;
  log_changes();
  Ack ack;
  ack.from = membership_.self().id;
  ack.seq = ping->seq;
  ack.updates = membership_.gossip(kGossipPerMessage);
  if (options_.local_services) ack.services = options_.local_services();
  reply(200, encode(ack));
}

void Agent::handle_join(const MeshMessage& message, const MeshReply& reply) {
  auto join = decode_join(message.body);
  if (!join) return reply(400, R"({"error":"bad_request"})");
  if (!check_sender(message, join->from, reply)) return;
  membership_.merge_state(join->members, now_ms());
  links_[join->from].last_seen = unix_seconds();
  log_changes();
  Join answer{membership_.self().id, options_.advertise, membership_.full_state()};
  reply(200, encode(answer));
}

void Agent::handle_ping_req(const MeshMessage& message, const MeshReply& reply) {
  auto req = decode_ping_req(message.body);
  if (!req) return reply(400, R"({"error":"bad_request"})");
  if (!check_sender(message, req->from, reply)) return;
  membership_.merge(req->updates, now_ms());
  // Only a member we know, at the address we know: a peer must not make us connect anywhere.
  const Member* target = membership_.find(req->target);
  if (target == nullptr || canonical(target->address) != canonical(req->target_address)) {
    PingReqResult nack{membership_.self().id, req->seq, false,
                       membership_.gossip(kGossipPerMessage)};
    return reply(200, encode(nack));
  }
  std::string target_address = target->address;
  Ping ping = make_ping(req->seq, membership_.gossip(kGossipPerMessage));
  int64_t timeout = std::clamp<int64_t>(req->timeout_ms, 10, 10000);
  // Kept here until the probe ends, so that a stop answers it (end_loop) instead of leaving
  // the peer's request to wait out our drain.
  const uint64_t waiting = ++last_waiting_reply_;
  waiting_replies_.emplace(waiting, reply);
  send(target_address, "/mesh/v1/ping", encode(ping), timeout,
       [this, waiting, seq = req->seq, target = req->target](Result<http::ClientResponse> result,
                                                             const std::string& proven) {
         auto it = waiting_replies_.find(waiting);
         if (it == waiting_replies_.end()) return;  // answered by end_loop
         MeshReply reply = std::move(it->second);
         waiting_replies_.erase(it);
         bool ack = false;
         if (result && result->status == 200 && proven == target)
           if (auto decoded = decode_ack(result->body); decoded && decoded->from == target) {
             ack = true;
             membership_.merge(decoded->updates, now_ms());
           }
         PingReqResult answer{membership_.self().id, seq, ack,
                              membership_.gossip(kGossipPerMessage)};
         reply(200, encode(answer));
       });
}

void Agent::on_link(const LinkOutcome& outcome) {
  if (std::this_thread::get_id() == mesh_thread_.load()) return record_link(outcome);
  post_while_running([this, outcome] { record_link(outcome); });
}

void Agent::on_link_closed(const std::string& peer_id) {
  auto probe = [this, peer_id] {
    if (stopping_) return;
    membership_.probe_soon(peer_id, now_ms());
    retick();
  };
  if (std::this_thread::get_id() == mesh_thread_.load()) return probe();
  post_while_running(std::move(probe));
}

void Agent::record_link(const LinkOutcome& outcome) {
  if (stopping_) return;
  double seconds = static_cast<double>(outcome.duration_us) / 1e6;
  if (outcome.ok) {
    handshake_seconds_->observe(seconds);
    (outcome.pq ? handshakes_ok_ : handshakes_fallback_)->inc();
    (outcome.pq ? counters_.ok : counters_.fallback) += 1;
    if (outcome.role == LinkRole::kClient)
      if (auto it = peers_.find(outcome.peer_address); it != peers_.end())
        it->second->proven_id = outcome.peer.node_id;
    LinkInfo& link = links_[outcome.peer.node_id];
    link.group = outcome.group;
    link.pq = outcome.pq;
    link.at = unix_seconds();
    link.cert_not_after = outcome.peer.certificate.not_after;
    auto fields = {log::Field("peer", outcome.peer.node_id),
                   log::Field("address", outcome.peer_address),
                   log::Field("direction", outcome.role == LinkRole::kClient ? "out" : "in"),
                   log::Field("kex", outcome.group), log::Field("duration_ms", seconds * 1000.0)};
    if (outcome.pq) {
      log::info("PQC", "mesh link up: post-quantum key exchange, composite identities verified",
                fields);
    } else {
      log::warn("PQC", "mesh link up WITHOUT post-quantum key exchange (pqc fallback)", fields);
    }
  } else if (outcome.reason == RefusalReason::kClosed) {
    // A peer that went away mid-handshake (a restart, a timeout): not a refusal, no signal.
    log::debug("PQC", "mesh link closed during set-up",
               {{"peer", outcome.peer_address}, {"detail", outcome.detail}});
  } else {
    handshakes_failed_->inc();
    ++counters_.failed;
    counters_.last_failure_reason = std::string(reason_name(outcome.reason));
    counters_.last_failure_detail = outcome.detail;
    counters_.last_failure_peer = outcome.peer_address;
    counters_.last_failure_at = unix_seconds();
    tls::HandshakeOutcome logged;
    logged.group = outcome.group;
    logged.reason = std::string(reason_name(outcome.reason)) + ": " + outcome.detail;
    logged.suspicious = is_suspicious(outcome.reason);
    refusals_.record(logged, outcome.peer_address);
  }
  // Published with the next tick (at most a quarter probe interval away): a burst of link
  // outcomes, refused ones included, costs no view rebuild each.
}

Ping Agent::make_ping(uint64_t seq, std::vector<Update> updates) const {
  Ping ping;
  ping.from = membership_.self().id;
  ping.seq = seq;
  ping.updates = std::move(updates);
  if (options_.local_services) ping.services = options_.local_services();
  return ping;
}

void Agent::log_changes() {
  for (const Change& c : membership_.take_changes()) {
    auto fields = {log::Field("peer", c.id), log::Field("from", state_name(c.from)),
                   log::Field("to", state_name(c.to)), log::Field("incarnation", c.incarnation)};
    if (c.from == c.to) {
      log::info("MESH", "peer joined", fields);
    } else if (c.to == PeerState::kDown) {
      log::warn("MESH", "peer is down", fields);
    } else if (c.to == PeerState::kSuspect) {
      log::warn("MESH", "peer is suspect", fields);
    } else {
      log::info("MESH", std::string("peer is ") + std::string(state_name(c.to)), fields);
    }
  }
}

void Agent::publish() {
  auto view = std::make_shared<MeshView>();
  view->node_id = membership_.self().id;
  view->address = options_.advertise;
  view->pqc_mode = std::string(pqc_mode_name(options_.contexts->mode()));
  int64_t now_mono = now_ms();
  auto now_wall = std::chrono::system_clock::now();
  for (const Member& m : membership_.members()) {
    PeerView p;
    p.id = m.id;
    p.address = m.address;
    p.state = std::string(state_name(m.state));
    p.since = std::chrono::floor<std::chrono::seconds>(
        now_wall - std::chrono::milliseconds(now_mono - m.since_ms));
    if (auto it = links_.find(m.id); it != links_.end()) {
      const LinkInfo& link = it->second;
      p.linked = link.at.time_since_epoch().count() != 0;
      p.pqc = link.pq;
      p.kex_group = link.group;
      p.pq_identity_verified = p.linked;  // a link is up only after both identity checks
      p.last_handshake = link.at;
      p.last_seen = link.last_seen;
      p.cert_not_after = link.cert_not_after;
      p.rtt_ms = link.rtt_ms;
      p.services = link.services;
      p.direct = link.direct;
      if (m.state == PeerState::kUp && p.linked && !p.pqc) view->fallback_enabled = true;
    }
    if (m.state == PeerState::kUp) ++view->peers_up;
    view->peers.push_back(std::move(p));
  }
  view->known = membership_.known();
  view->reachable = membership_.reachable();
  view->quorum = view->known / 2 + 1;
  view->partitioned = membership_.partitioned();
  view->local_health = membership_.local_health();
  view->links = counters_;
  if (options_.on_view) options_.on_view(*view, connector_);
  view_.store(std::move(view));
}

}  // namespace x0::mesh
