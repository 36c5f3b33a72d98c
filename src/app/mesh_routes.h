// The node's remote routes (gateway/remote_routes.h), derived from every view the mesh thread
// publishes: per service, the peers that are up, answered our last direct exchange and take
// the service's forwarded requests, those that serve it first and those that only relay it
// after. One EndpointState per peer and address is kept across views, so the workers' pooled
// links and a passive ejection carry over; a peer that comes back up starts un-ejected.
// Mesh thread only (mesh::AgentOptions::on_view).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "gateway/remote_routes.h"
#include "mesh/mesh_view.h"
#include "net/transport.h"

namespace x0::app {

class MeshRoutes {
 public:
  explicit MeshRoutes(gateway::RemoteRoutesPublisher& out) : out_(out) {}
  // `links`: the client side of the workers' mesh links (mesh::Agent::connector()).
  void update(const mesh::MeshView& view, const std::shared_ptr<net::ClientTransportFactory>& links);

 private:
  struct Known {
    std::shared_ptr<gateway::EndpointState> endpoint;
    bool was_routable = false;
  };
  gateway::RemoteRoutesPublisher& out_;
  std::unordered_map<std::string, Known> peers_;  // by node id
};

}  // namespace x0::app
