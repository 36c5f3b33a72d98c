// The node's remote routes (gateway/remote_routes.h), derived from every view the mesh thread
// publishes: per service, the peers that are up, answered our last direct exchange and take
// the service's forwarded requests, those that serve it first and those that only relay it
// after. One EndpointState per peer, service and address is kept across views, so the workers'
// pooled links and a passive ejection carry over; a peer that comes back up starts un-ejected.
// Its links leave from this node's advertised IP. Mesh thread only (AgentOptions::on_view).
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
  void update(const mesh::MeshView& view,
              const std::shared_ptr<net::ClientTransportFactory>& links);

 private:
  gateway::RemoteRoutesPublisher& out_;
  // By "peer\nservice": kept while the peer routes the service.
  std::unordered_map<std::string, std::shared_ptr<gateway::EndpointState>> endpoints_;
  std::unordered_map<std::string, bool> was_alive_;  // up or suspect, by peer id
};

}  // namespace x0::app
