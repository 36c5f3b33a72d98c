// Per-worker proxy state and endpoint selection (see worker_context.h).
#include "gateway/worker_context.h"

#include <sys/random.h>

#include <algorithm>
#include <cstdio>

#include "gateway/mesh_forwarding.h"

namespace x0::gateway {

WorkerContext::WorkerContext(net::EventLoop& event_loop, const RouteTablePublisher& publisher,
                             int worker_index)
    : loop(event_loop), pool(event_loop), routes(publisher), index(worker_index) {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = 0x9e3779b97f4a7c15ull;
  rng = seed | 1;
  next_request_id = 0;
  char prefix[17];
  std::snprintf(prefix, sizeof prefix, "%016llx", static_cast<unsigned long long>(random()));
  request_id_prefix = prefix;
}

uint64_t WorkerContext::random() {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

void WorkerContext::new_request_id(std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out = request_id_prefix;
  uint64_t n = ++next_request_id;
  char digits[16];
  for (int i = 15; i >= 0; --i) {
    digits[i] = kHex[n & 0xf];
    n >>= 4;
  }
  out.append(digits, 16);
}

const std::shared_ptr<EndpointState>* pick_endpoint(
    WorkerContext& worker, const ServiceState& service, EndpointRole role,
    const std::vector<const EndpointState*>& exclude) {
  const auto& set = service.set(role);
  if (set.empty()) return nullptr;
  int64_t now = worker.loop.now_ms();
  auto usable = [&](const EndpointState* e) {
    return e->available(now) && std::find(exclude.begin(), exclude.end(), e) == exclude.end();
  };
  size_t slot = service.index * 3 + static_cast<size_t>(role);
  if (worker.round_robin.size() <= slot) worker.round_robin.resize(slot + 1, 0);
  uint32_t& cursor = worker.round_robin[slot];
  size_t n = set.size();

  if (service.config.balance == config::Balance::kLeastRequest && n > 1) {
    // Power of two choices over this worker's in-flight counts (Envoy's default).
    const auto* a = &set[worker.random() % n];
    const auto* b = &set[worker.random() % n];
    bool ua = usable(a->get());
    bool ub = usable(b->get());
    if (ua && ub) return worker.pool.in_flight(a->get()) <= worker.pool.in_flight(b->get()) ? a : b;
    if (ua) return a;
    if (ub) return b;
    // Both unusable: fall through to a full scan.
  }
  for (size_t i = 0; i < n; ++i) {
    const auto* e = &set[(cursor + i) % n];
    if (usable(e->get())) {
      cursor = static_cast<uint32_t>((cursor + i + 1) % n);
      return e;
    }
  }
  return nullptr;
}

}  // namespace x0::gateway

namespace x0::gateway {

EndpointRole choose_side(WorkerContext& worker, const ServiceState& service,
                         const http::HeaderList& headers) {
  if (!service.in_release) return EndpointRole::kStable;
  const TrafficSplit& split = service.split;
  if (split.candidate_only) return EndpointRole::kCandidate;
  if (!split.header_name.empty()) {
    std::string_view value = headers.find(split.header_name);
    if (!value.empty() && value == split.header_value) return EndpointRole::kCandidate;
  }
  if (split.weight_bp <= 0) return EndpointRole::kStable;
  return static_cast<int>(worker.random() % 10000) < split.weight_bp ? EndpointRole::kCandidate
                                                                     : EndpointRole::kStable;
}

const RemoteHop* pick_remote(WorkerContext& worker, const RemoteRoutes& routes,
                             const std::string& service, int hops, std::string_view via,
                             const std::vector<const EndpointState*>& exclude) {
  const std::vector<RemoteHop>* hops_of = routes.find(service);
  if (hops_of == nullptr || hops >= kMaxMeshHops) return nullptr;
  int64_t now = worker.loop.now_ms();
  auto usable = [&](const RemoteHop& hop) {
    return hop.endpoint->available(now) && !via_contains(via, hop.peer) &&
           std::find(exclude.begin(), exclude.end(), hop.endpoint.get()) == exclude.end();
  };
  // Tiers in the order mesh_routes sorts them: up before suspect, then direct before relay.
  for (bool suspect : {false, true}) {
    for (bool relay : {false, true}) {
      if (relay && hops != 0) continue;
      auto in_tier = [&](const RemoteHop& hop) {
        return hop.suspect == suspect && hop.relay == relay && usable(hop);
      };
      size_t usable_count = 0;
      for (const RemoteHop& hop : *hops_of) usable_count += in_tier(hop);
      if (usable_count == 0) continue;
      size_t chosen = worker.random() % usable_count;
      for (const RemoteHop& hop : *hops_of)
        if (in_tier(hop) && chosen-- == 0) return &hop;
    }
  }
  return nullptr;
}

telemetry::Counter* WorkerContext::mesh_forwarded(std::string_view service, std::string_view peer,
                                                  std::string_view direction) {
  std::string key;
  key.append(service).append("\n").append(peer).append("\n").append(direction);
  auto it = mesh_forwarded_counters.find(key);
  if (it != mesh_forwarded_counters.end()) return it->second;
  telemetry::Counter* counter = telemetry::default_registry().counter(
      "mesh_forwarded_requests_total",
      "Requests forwarded over mesh links: out (this node sent them to the peer) or in (the peer "
      "sent them here).",
      {{"service", std::string(service)},
       {"peer", std::string(peer)},
       {"direction", std::string(direction)}});
  return mesh_forwarded_counters.emplace(std::move(key), counter).first->second;
}

}  // namespace x0::gateway
