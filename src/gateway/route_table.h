// The immutable routing snapshot: services, their endpoints and the rules that pick a service
// for a request. Built off the hot path (start-up, reload, release changes), published whole
// through RouteTablePublisher; workers read it without locks.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_policy.h"
#include "common/address_ranges.h"
#include "common/result.h"
#include "config/config.h"
#include "gateway/rate_limiter.h"
#include "gateway/service_stats.h"
#include "gateway/jwt_route.h"
#include "gateway/traffic_split.h"
#include "http/path_normalize.h"
#include "net/socket.h"
#include "net/transport.h"

namespace x0::gateway {

// Shared by every worker and the health checker; survives reloads when the address is unchanged.
// Written with relaxed atomics: health is advisory and a stale read costs at most one retry.
// Which set of a service an endpoint belongs to; kRemote: a mesh peer's listener that serves
// the service for us (gateway/remote_routes.h), never in a route table's sets.
enum class EndpointRole { kStable, kCandidate, kFallback, kRemote };

struct EndpointState {
  std::string name;       // as configured: "host:port", or "https://host:port"
  std::string authority;  // "host:port": the Host of a request that came without one
  net::SocketAddress address;
  // How its connections are wrapped: TLS for https:// (set anew by every route build, so a
  // reload re-reads the CA file); null for plain TCP.
  std::atomic<std::shared_ptr<net::ClientTransportFactory>> transports;
  EndpointRole role = EndpointRole::kStable;
  bool fallback = false;  // role == kFallback
  std::string mesh_peer;  // role == kRemote: the node id its link must prove
  // role == kRemote: the address links leave from (the node's advertised IP), as the mesh
  // agent's own do, so peers' firewalls and logs see one address per node.
  std::optional<net::SocketAddress> source;
  std::atomic<bool> healthy{true};  // active health check verdict
  std::atomic<int64_t> ejected_until_ms{
      0};  // passive ejection (monotonic ms); a passing check ends it
  // Ejected by an autopilot rule (monotonic ms). Health checks leave it alone: the rule fired
  // because the endpoint fails real requests while its health check may well pass.
  std::atomic<int64_t> policy_ejected_until_ms{0};
  std::atomic<int> consecutive_failures{0};
  std::atomic<int64_t> last_check_ms{0};
  std::atomic<int> last_check_status{0};  // HTTP status, or 0 when the check could not connect
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> failures{0};

  bool available(int64_t now_ms) const {
    return healthy.load(std::memory_order_relaxed) &&
           ejected_until_ms.load(std::memory_order_relaxed) <= now_ms &&
           policy_ejected_until_ms.load(std::memory_order_relaxed) <= now_ms;
  }
  bool ejected(int64_t now_ms) const {
    return ejected_until_ms.load(std::memory_order_relaxed) > now_ms ||
           policy_ejected_until_ms.load(std::memory_order_relaxed) > now_ms;
  }
};

struct ServiceState {
  config::Service config;
  size_t index = 0;  // position in the table; workers key their per-service state by it
  std::vector<std::shared_ptr<EndpointState>> primary;    // the stable set
  std::vector<std::shared_ptr<EndpointState>> candidate;  // during a release
  std::vector<std::shared_ptr<EndpointState>> fallback;
  bool in_release = false;
  TrafficSplit split;                  // meaningful when in_release
  ServiceStats* stats = nullptr;       // process-lifetime, see service_stats.h
  cache::RouteCacheRules cache_rules;  // [cache] + the service's cache / cache_ttl_s
  std::shared_ptr<const JwtRoute> jwt;  // the route's token check; null: open
  RateLimitRule rate_limit;            // [security] + the service's rate_limit_* keys

  const std::vector<std::shared_ptr<EndpointState>>& set(EndpointRole role) const {
    return role == EndpointRole::kStable      ? primary
           : role == EndpointRole::kCandidate ? candidate
                                              : fallback;
  }
  // Endpoints that take regular traffic now: the candidate set alone once the release has
  // switched to it, else the stable set.
  const std::vector<std::shared_ptr<EndpointState>>& active() const {
    return in_release && split.candidate_only ? candidate : primary;
  }
  bool has_available_primary(int64_t now_ms) const;
  // How many of active() are available (healthy and not ejected) now.
  size_t available_in_active(int64_t now_ms) const;
  bool has_available_fallback(int64_t now_ms) const;
};

// The data plane's request rules from [api_gateway], published with the table so a reload
// changes them atomically with the routes.
struct ProxyPolicy {
  http::PathPolicy path;
  AddressRanges trusted_proxies;
  bool allow_trace = false;
  bool status_page = true;  // [status] enabled: /status and /status.json are the node's
};

// Where a request goes, computed once by the data plane and used by routing, the cache key and
// the forwarded head alike (docs/SECURITY.md).
struct RequestTarget {
  std::string_view path;        // normalised (http/path_normalize.h)
  std::string_view authority;   // canonical (http/authority.h); empty for HTTP/1.0 without Host
  bool client_trusted = false;  // the peer is one of [api_gateway] trusted_proxies
  // A request a mesh peer forwarded (0: a client's): the mesh hops it has made so far and the
  // node ids it went through, comma-separated (gateway/mesh_forwarding.h).
  int mesh_hops = 0;
  std::string_view mesh_via;
  int mesh_budget_ms = 0;  // how long the sending node waits (0: it did not say)
};

class RouteTable {
 public:
  // How a build learns the address of an endpoint named by host name (IP literals need none).
  using AddressLookup = std::function<Result<net::SocketAddress>(const config::Endpoint&)>;
  // How a build gets the transports of an https:// endpoint (the node's upstream TLS). Without
  // one, a build with an https:// endpoint fails.
  using UpstreamTls = std::function<Result<std::shared_ptr<net::ClientTransportFactory>>(
      const config::Service&, const config::Endpoint&)>;

  // Builds a table from config. Endpoint states of `previous` with the same service, set and
  // "host:port" are carried over (address included), so health survives a reload and an
  // unchanged name is not looked up again. Other names go to `lookup`; without one they are
  // resolved with net::resolve, which blocks: start-up (before the other threads run) and tests
  // only. The control thread looks names up ahead on its net::Resolver (names_to_resolve) and
  // passes what it found (gateway/route_builds.h).
  static Result<std::shared_ptr<const RouteTable>> build(
      const config::Config& config, const TrafficSplits& splits, const RouteTable* previous,
      uint64_t version, const AddressLookup& lookup = {}, const UpstreamTls& upstream_tls = {});
  // The endpoints a build from these inputs would hand to its lookup: named by host name and
  // not carried over from `previous`, each "host:port" once. Empty: the build needs no DNS.
  static std::vector<config::Endpoint> names_to_resolve(const config::Config& config,
                                                        const TrafficSplits& splits,
                                                        const RouteTable* previous);

  // The service for a request, or nullptr. host is the canonical authority (its port is
  // ignored for matching), path the normalised path. A prefix matches on segment boundaries:
  // "/public" takes "/public" and "/public/x", never "/publicXYZ"; "/api/" takes "/api/x".
  const ServiceState* route(std::string_view host, std::string_view path) const;
  const ProxyPolicy& policy() const { return policy_; }
  const std::vector<std::shared_ptr<ServiceState>>& services() const { return services_; }
  const ServiceState* find(std::string_view name) const;
  uint64_t version() const { return version_; }

 private:
  struct Rule {
    std::string host;  // "" any, "*.x" wildcard, else exact (lower case)
    std::string prefix;
    const ServiceState* service;
    int host_rank;  // 2 exact, 1 wildcard, 0 any
  };
  std::vector<std::shared_ptr<ServiceState>> services_;
  std::vector<Rule> rules_;  // most specific first
  ProxyPolicy policy_;
  uint64_t version_ = 0;
};

// One atomic slot holding the current table. Readers cache the pointer and re-load only when
// the version moved, so the hot path costs one relaxed load.
class RouteTablePublisher {
 public:
  void publish(std::shared_ptr<const RouteTable> table);
  std::shared_ptr<const RouteTable> current() const { return table_.load(); }
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  std::atomic<std::shared_ptr<const RouteTable>> table_;
  std::atomic<uint64_t> version_{0};
};

// A worker's cached view of the published table.
class RouteTableReader {
 public:
  explicit RouteTableReader(const RouteTablePublisher& publisher) : publisher_(publisher) {}
  const RouteTable& get() {
    uint64_t v = publisher_.version();
    if (v != seen_ || !cached_) {
      cached_ = publisher_.current();
      seen_ = v;
    }
    return *cached_;
  }
  // The table get() returned, shared: an in-flight request keeps it alive across a publish.
  const std::shared_ptr<const RouteTable>& shared() const { return cached_; }

 private:
  const RouteTablePublisher& publisher_;
  std::shared_ptr<const RouteTable> cached_;
  uint64_t seen_ = ~0ull;
};

}  // namespace x0::gateway
