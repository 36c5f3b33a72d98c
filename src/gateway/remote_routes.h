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
};

struct RemoteRoutes {
  std::string self;  // this node's id, added to X-X0-Mesh-Via of what it sends
  std::unordered_map<std::string, std::vector<RemoteHop>> services;  // by service name

  const std::vector<RemoteHop>* find(const std::string& service) const {
    auto it = services.find(service);
    return it == services.end() ? nullptr : &it->second;
  }
};

class RemoteRoutesPublisher {
 public:
  void publish(std::shared_ptr<const RemoteRoutes> routes) { routes_.store(std::move(routes)); }
  std::shared_ptr<const RemoteRoutes> current() const { return routes_.load(); }

 private:
  std::atomic<std::shared_ptr<const RemoteRoutes>> routes_;
};

}  // namespace x0::gateway
