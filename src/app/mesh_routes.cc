// Remote routes from the mesh view (see mesh_routes.h).
#include "app/mesh_routes.h"

#include <algorithm>
#include <set>

#include "config/config.h"
#include "net/resolver.h"

namespace x0::app {

void MeshRoutes::update(const mesh::MeshView& view,
                        const std::shared_ptr<net::ClientTransportFactory>& links) {
  auto routes = std::make_shared<gateway::RemoteRoutes>();
  routes->self = view.node_id;
  std::set<std::string> present;
  for (const mesh::PeerView& peer : view.peers) {
    present.insert(peer.id);
    bool routable = peer.state == "up" && peer.direct;
    Known& known = peers_[peer.id];
    if (!known.endpoint || known.endpoint->authority != peer.address) {
      // Gossip gives numeric "ip:port" addresses only (the agent refuses names): no lookup.
      auto hp = config::parse_host_port(peer.address);
      std::optional<net::SocketAddress> address;
      if (hp) address = net::numeric_address(hp->first, hp->second);
      if (!address) {
        peers_.erase(peer.id);
        continue;
      }
      auto endpoint = std::make_shared<gateway::EndpointState>();
      endpoint->name = "mesh://" + peer.id + "@" + peer.address;
      endpoint->authority = peer.address;
      endpoint->address = *address;
      endpoint->role = gateway::EndpointRole::kRemote;
      endpoint->mesh_peer = peer.id;
      endpoint->transports.store(links);
      known = Known{std::move(endpoint), false};
    }
    if (routable && !known.was_routable) {
      // Back (or new): what failed while it was away says nothing about it now.
      known.endpoint->ejected_until_ms.store(0, std::memory_order_relaxed);
      known.endpoint->consecutive_failures.store(0, std::memory_order_relaxed);
    }
    known.was_routable = routable;
    if (!routable) continue;
    for (const mesh::ServiceHealth& service : peer.services) {
      if (!service.mesh_failover || !(service.healthy || service.relays)) continue;
      routes->services[service.name].push_back({peer.id, known.endpoint, !service.healthy});
    }
  }
  std::erase_if(peers_, [&](const auto& entry) { return !present.contains(entry.first); });
  for (auto& [name, hops] : routes->services)
    std::stable_sort(hops.begin(), hops.end(),
                     [](const auto& a, const auto& b) { return !a.relay && b.relay; });
  out_.publish(std::move(routes));
}

}  // namespace x0::app
