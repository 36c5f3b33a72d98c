// Everything one worker thread owns for proxying: its loop, upstream pool, cached route table,
// balancer cursors and request-id generator. Never shared between threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/cache_key.h"
#include "cache/coalescer.h"
#include "cache/response_store.h"
#include "gateway/rate_limiter.h"
#include "gateway/route_table.h"
#include "gateway/upstream_pool.h"
#include "gateway/remote_routes.h"
#include "http/message.h"
#include "telemetry/metrics.h"
#include "net/event_loop.h"

namespace x0::gateway {

struct WorkerContext {
  WorkerContext(net::EventLoop& event_loop, const RouteTablePublisher& publisher, int worker_index);

  net::EventLoop& loop;
  UpstreamPool pool;
  RouteTableReader routes;
  int index;
  std::vector<uint32_t> round_robin;  // by ServiceState::index * 3 + role
  uint64_t rng;                       // xorshift state for balancing choices
  uint64_t next_request_id;
  std::string request_id_prefix;      // random per worker, so ids are unique across nodes
  int64_t passive_eject_ms = 30000;   // how long a passively ejected endpoint sits out
  // Proxied requests in progress (queue depth). Written only by this worker; read by scrapes.
  std::atomic<uint64_t> in_flight{0};
  // While set, only loopback clients are served (the security runbook's "isolate"). Owned by
  // the node; may be null in tests.
  const std::atomic<bool>* isolated = nullptr;
  // Refused credentials, node-wide (the policy's auth_failures signal); the jwt filter adds its
  // 401s. Owned by the node; may be null in tests.
  std::atomic<uint64_t>* auth_failures = nullptr;
  // The node's response cache, shared by all workers (null: [cache] enabled = false), and this
  // worker's coalescing of concurrent misses (single-threaded, no locks).
  cache::ResponseStore* cache = nullptr;
  cache::Coalescer coalescer;
  // The node's rate-limit buckets, shared by all workers (thread-safe; null in tests without).
  RateLimiter* rate_limiter = nullptr;
  // Bytes of response bodies being copied for the cache right now, and the most this worker may
  // hold (the node sets [cache] max_bytes / 4 / workers): many large cacheable downloads at once
  // must not multiply into gigabytes of copies. Beyond it, responses pass through uncopied.
  size_t capture_bytes = 0;
  size_t capture_budget = 64u * 1024 * 1024;
  // Reused views of header lists in the cache library's type (no allocation per request).
  std::vector<cache::Header> request_headers, response_headers;

  // Where services are served across the mesh (null: the mesh is off), and this node's id in it.
  const RemoteRoutesPublisher* remote = nullptr;
  // mesh_forwarded_requests_total{service,peer,direction}: looked up once per label set.
  telemetry::Counter* mesh_forwarded(std::string_view service, std::string_view peer,
                                     std::string_view direction);
  std::unordered_map<std::string, telemetry::Counter*> mesh_forwarded_counters;

  uint64_t random();
  // 32 hex characters: 16 of worker-random prefix, 16 of a counter.
  void new_request_id(std::string& out);
};

// Picks an available endpoint of one of the service's sets, skipping `exclude`. nullptr when
// none is available.
const std::shared_ptr<EndpointState>* pick_endpoint(WorkerContext& worker,
                                                    const ServiceState& service, EndpointRole role,
                                                    const std::vector<const EndpointState*>& exclude);

// The hop to send a request of `service` to across the mesh when no local endpoint is
// available: a peer that serves it (chosen at random among those available), else one that
// relays to such a peer, skipping `exclude` and the nodes in `via`. A request that has made
// `hops` mesh hops may take a direct hop while hops < kMaxMeshHops, a relay (two more) only
// when hops == 0. nullptr when there is none.
const RemoteHop* pick_remote(WorkerContext& worker, const RemoteRoutes& routes,
                             const std::string& service, int hops, std::string_view via,
                             const std::vector<const EndpointState*>& exclude);

// The set a request goes to first: the candidate during a release when the request carries the
// override header, when the release has switched to it, or by weight; otherwise the stable set.
EndpointRole choose_side(WorkerContext& worker, const ServiceState& service,
                         const http::HeaderList& headers);

}  // namespace x0::gateway
