// A deterministic simulated mesh for Membership tests: N nodes whose agents are emulated here
// (ping, ping-req relays with nacks, joins, reconnect joins to down members), messages encoded
// and decoded with the real codec, delivered after a seeded random latency, dropped by seeded
// loss, kills and partitions. Simulated time only: a minute of cluster life runs in milliseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "mesh/gossip_codec.h"
#include "mesh/membership.h"

namespace x0::mesh::testing {

struct SimOptions {
  Timers timers = Timers::test();
  uint64_t seed = 1;
  int64_t min_latency_ms = 1;
  int64_t max_latency_ms = 20;   // one way; below probe_timeout / 2, as detection_bound_ms assumes
  int64_t tick_ms = 10;          // the agent's tick period
  size_t max_gossip = 16;        // updates piggybacked per message
  bool push_pull = true;         // the agent's anti-entropy joins (push_pull_target())
  int64_t start_ms = 1'000'000;  // monotonic clocks do not start at 0
};

class SimCluster {
 public:
  struct Event {
    int64_t at;
    size_t node;  // the observer
    Change change;
  };

  explicit SimCluster(SimOptions o = {}) : o_(o), rng_(o.seed), now_(o.start_ms) {}

  size_t add(const std::string& id, const std::string& address) {
    nodes_.push_back(Node{});
    start(nodes_.size() - 1, id, address);
    return nodes_.size() - 1;
  }
  // A new instance under the same id (incarnation 0), possibly on a new address; not joined.
  void restart(size_t i, const std::string& address) { start(i, nodes_[i].id, address); }
  void kill(size_t i) { nodes_[i].alive = false; }
  void set_loss(double p) { loss_ = p; }
  void partition(std::set<size_t> side) { side_ = std::move(side); }
  void heal() { side_.clear(); }

  void join(size_t i, size_t seed) {
    Node& a = nodes_[i];
    Join j{a.id, a.address, a.m->full_state()};
    send(i, nodes_[seed].address, encode(j), [this, i](size_t s, const std::string& body) {
      auto in = decode_join(body);
      if (!in) throw std::runtime_error("join: " + in.error().detail);
      nodes_[s].m->merge_state(in->members, now_);
      Join answer{nodes_[s].id, nodes_[s].address, nodes_[s].m->full_state()};
      reply(s, i, encode(answer), [this](size_t a_idx, const std::string& b) {
        nodes_[a_idx].m->merge_state(decode_join(b).value().members, now_);
      });
    });
  }

  void run_for(int64_t ms) {
    const int64_t end = now_ + ms;
    while (now_ < end) step();
  }
  // Runs until pred() holds (checked every tick) or max_ms pass; returns whether it held.
  bool run_until(const std::function<bool()>& pred, int64_t max_ms) {
    const int64_t end = now_ + max_ms;
    while (now_ < end) {
      step();
      if (pred()) return true;
    }
    return pred();
  }

  int64_t now() const { return now_; }
  Membership& node(size_t i) { return *nodes_[i].m; }
  bool alive(size_t i) const { return nodes_[i].alive; }
  size_t size() const { return nodes_.size(); }
  const std::vector<Event>& events() const { return events_; }
  // What observer thinks of subject (kLeft when it has never heard of it).
  PeerState view(size_t observer, size_t subject) const {
    const Member* m = nodes_[observer].m->find(nodes_[subject].id);
    return m ? m->state : PeerState::kLeft;
  }
  // Verdicts `to` reached by any node about another (self changes excluded).
  size_t count(PeerState to) const {
    size_t n = 0;
    for (const Event& e : events_)
      n += e.change.to == to && e.change.from != to && e.change.id != nodes_[e.node].id;
    return n;
  }

 private:
  struct Node {
    std::string id, address;
    std::unique_ptr<Membership> m;
    bool alive = true;
    uint64_t generation = 0;  // callbacks for an instance that was restarted are dropped
    uint64_t relay_seq = 0;
  };
  using Handler = std::function<void(size_t to, const std::string& body)>;
  struct Pending {
    int64_t at;
    uint64_t order;
    std::function<void()> fn;
    bool operator>(const Pending& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  void start(size_t i, const std::string& id, const std::string& address) {
    Node& n = nodes_[i];
    n.id = id;
    n.address = address;
    n.m = std::make_unique<Membership>(id, address, o_.timers, rng_());
    n.alive = true;
    ++n.generation;
  }

  void at(int64_t when, std::function<void()> fn) { queue_.push({when, order_++, std::move(fn)}); }

  // Runs fn later if node i is still the same live instance.
  void later(size_t i, int64_t when, std::function<void()> fn) {
    const uint64_t gen = nodes_[i].generation;
    at(when, [this, i, gen, fn = std::move(fn)] {
      if (nodes_[i].alive && nodes_[i].generation == gen) {
        fn();
        drain(i);
      }
    });
  }

  bool dropped(size_t from, size_t to) {
    if (!side_.empty() && side_.contains(from) != side_.contains(to)) return true;
    return std::uniform_real_distribution<double>(0, 1)(rng_) < loss_;
  }

  int64_t latency() {
    return std::uniform_int_distribution<int64_t>(o_.min_latency_ms, o_.max_latency_ms)(rng_);
  }

  // A request to whoever listens on `address` now.
  void send(size_t from, const std::string& address, std::string body, Handler h) {
    for (size_t to = 0; to < nodes_.size(); ++to) {
      if (nodes_[to].address != address) continue;
      if (!nodes_[from].alive || dropped(from, to)) return;
      later(to, now_ + latency(), [to, body = std::move(body), h = std::move(h)] { h(to, body); });
      return;
    }
  }
  // The answer on the same link, to the instance that asked.
  void reply(size_t from, size_t to, std::string body, Handler h) {
    if (dropped(from, to)) return;
    later(to, now_ + latency(), [to, body = std::move(body), h = std::move(h)] { h(to, body); });
  }

  void probe(size_t i, const Probe& p) {
    if (p.via.empty()) return ping(i, p);
    for (const std::string& via : p.via) {
      const Member* v = nodes_[i].m->find(via);
      if (!v) continue;
      PingReq req{nodes_[i].id,     p.seq,        p.target,
                  p.target_address, p.timeout_ms, nodes_[i].m->gossip(o_.max_gossip, via)};
      send(i, v->address, encode(req),
           [this, i](size_t r, const std::string& body) { relay(r, i, body); });
    }
    later(i, now_ + 2 * p.timeout_ms,
          [this, i, seq = p.seq] { nodes_[i].m->on_failed(seq, now_); });
  }

  void ping(size_t i, const Probe& p) {
    Ping ping{nodes_[i].id, p.seq, nodes_[i].m->gossip(o_.max_gossip, p.target), {}};
    send(i, p.target_address, encode(ping), [this, i](size_t t, const std::string& body) {
      Ping in = decode_ping(body).value();
      nodes_[t].m->merge(in.updates, now_);
      Ack ack{nodes_[t].id, in.seq, nodes_[t].m->gossip(o_.max_gossip, in.from), {}};
      reply(t, i, encode(ack), [this](size_t a, const std::string& b) {
        Ack got = decode_ack(b).value();
        nodes_[a].m->merge(got.updates, now_);
        nodes_[a].m->on_ack(got.seq, now_);
      });
    });
    later(i, now_ + p.timeout_ms, [this, i, seq = p.seq] { nodes_[i].m->on_failed(seq, now_); });
  }

  // A via's agent: ping the target with its own seq, answer ack or nack, once.
  void relay(size_t r, size_t requester, const std::string& body) {
    PingReq req = decode_ping_req(body).value();
    nodes_[r].m->merge(req.updates, now_);
    auto done = std::make_shared<bool>(false);
    auto answer = [this, r, requester, done, req](bool ack) {
      if (*done) return;
      *done = true;
      PingReqResult res{nodes_[r].id, req.seq, ack,
                        nodes_[r].m->gossip(o_.max_gossip, nodes_[requester].id)};
      reply(r, requester, encode(res), [this](size_t a, const std::string& b) {
        PingReqResult got = decode_ping_req_result(b).value();
        nodes_[a].m->merge(got.updates, now_);
        if (got.ack) {
          nodes_[a].m->on_ack(got.seq, now_);
        } else {
          nodes_[a].m->on_nack(got.seq, got.from, now_);
        }
      });
    };
    Ping ping{nodes_[r].id, ++nodes_[r].relay_seq, nodes_[r].m->gossip(o_.max_gossip, req.target), {}};
    send(r, req.target_address, encode(ping), [this, r, answer](size_t t, const std::string& b) {
      Ping in = decode_ping(b).value();
      nodes_[t].m->merge(in.updates, now_);
      Ack ack{nodes_[t].id, in.seq, nodes_[t].m->gossip(o_.max_gossip, in.from), {}};
      reply(t, r, encode(ack), [this, answer](size_t v, const std::string& body2) {
        nodes_[v].m->merge(decode_ack(body2).value().updates, now_);
        answer(true);
      });
    });
    later(r, now_ + req.timeout_ms, [answer] { answer(false); });
  }

  void join_address(size_t i, const std::string& address) {
    for (size_t s = 0; s < nodes_.size(); ++s)
      if (nodes_[s].address == address) return join(i, s);
  }

  void drain(size_t i) {
    for (Change& c : nodes_[i].m->take_changes()) events_.push_back({now_, i, std::move(c)});
  }

  void step() {
    const int64_t next = now_ + o_.tick_ms;
    while (!queue_.empty() && queue_.top().at <= next) {
      Pending p = queue_.top();
      queue_.pop();
      now_ = p.at;
      p.fn();
    }
    now_ = next;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (!nodes_[i].alive) continue;
      for (const Probe& p : nodes_[i].m->tick(now_)) probe(i, p);
      if (o_.push_pull)
        if (auto peer = nodes_[i].m->push_pull_target(now_)) join_address(i, peer->address);
      if (auto peer = nodes_[i].m->reconnect_target(now_)) join_address(i, peer->address);
      drain(i);
    }
  }

  SimOptions o_;
  std::mt19937_64 rng_;
  int64_t now_;
  double loss_ = 0;
  std::set<size_t> side_;
  std::vector<Node> nodes_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
  uint64_t order_ = 0;
  std::vector<Event> events_;
};

}  // namespace x0::mesh::testing
