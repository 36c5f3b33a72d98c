// Where the services this node cannot serve locally can be served across the mesh: per service,
// the peers to send its requests to, best first. The node builds it from the mesh's view
// (app/mesh_routes.h) whenever that changes and publishes it whole; workers read it only for a
// request of a `mesh_failover` service that found no available local endpoint.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/route_table.h"

namespace x0::gateway {

struct RemoteHop {
  std::string peer;  // node id
  // The peer's mesh listener (role kRemote, mesh_peer = peer): its connections are mesh links,
  // pooled per worker like any endpoint's. The same object for as long as the peer keeps its
  // address, so pools and ejections survive a republish.
  std::shared_ptr<EndpointState> endpoint;
  // The peer does not serve the service itself but has a direct link to one that does (it
  // relays); direct hops come first.
  bool relay = false;
  // The peer missed a probe and is suspect, not yet down: still a hop (SWIM's suspicion is
  // how a slow peer is told from a dead one, and it is usually refuted), after every up one,
  // relays included; a dead one fails its connects and the router moves on.
  bool suspect = false;
};

struct RemoteRoutes {
  std::string self;  // this node's id, added to X-X0-Mesh-Via of what it sends
  std::unordered_map<std::string, std::vector<RemoteHop>> services;  // by service name

  const std::vector<RemoteHop>* find(const std::string& service) const {
    auto it = services.find(service);
    return it == services.end() ? nullptr : &it->second;
  }
};

// Whether a `mesh_failover` service has a hop across the mesh that takes traffic now: while its
// local endpoints are down it is then degraded (served remotely), not down. False for a
// service without mesh_failover and when the mesh is off (null routes).
inline bool has_available_remote(const RemoteRoutes* routes, const ServiceState& service,
                                 int64_t now_ms) {
  if (routes == nullptr || !service.config.mesh_failover) return false;
  const std::vector<RemoteHop>* hops = routes->find(service.config.name);
  if (hops == nullptr) return false;
  for (const RemoteHop& hop : *hops)
    if (hop.endpoint->available(now_ms)) return true;
  return false;
}

class RemoteRoutesPublisher {
 public:
  void publish(std::shared_ptr<const RemoteRoutes> routes) { routes_.store(std::move(routes)); }
  std::shared_ptr<const RemoteRoutes> current() const { return routes_.load(); }

 private:
  std::atomic<std::shared_ptr<const RemoteRoutes>> routes_;
};

}  // namespace x0::gateway
