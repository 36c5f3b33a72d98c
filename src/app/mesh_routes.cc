// Remote routes from the mesh view (see mesh_routes.h).
#include "app/mesh_routes.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "config/config.h"
#include "net/resolver.h"

namespace x0::app {
namespace {

// "ip:port" from gossip (numeric only: the agent refuses names), without a lookup.
std::optional<net::SocketAddress> numeric(const std::string& text,
                                          std::optional<uint16_t> port = {}) {
  auto hp = config::parse_host_port(text);
  if (!hp) return std::nullopt;
  return net::numeric_address(hp->first, port.value_or(hp->second));
}

}  // namespace

void MeshRoutes::update(const mesh::MeshView& view,
                        const std::shared_ptr<net::ClientTransportFactory>& links) {
  auto routes = std::make_shared<gateway::RemoteRoutes>();
  routes->self = view.node_id;
  std::optional<net::SocketAddress> source = numeric(view.address, 0);
  std::set<std::string> present;
  for (const mesh::PeerView& peer : view.peers) {
    // A suspect peer still takes traffic, after the up ones: see RemoteHop::suspect.
    bool suspect = peer.state == "suspect";
    bool alive = peer.state == "up" || suspect;
    bool came_back = alive && !was_alive_[peer.id];
    was_alive_[peer.id] = alive;
    std::optional<net::SocketAddress> address = numeric(peer.address);
    if (!address) continue;
    for (const mesh::ServiceHealth& service : peer.services) {
      if (!service.mesh_failover) continue;
      // One endpoint per peer and service, kept while the peer advertises it (routable or
      // not), so a link flap keeps the pool and the ejection; a peer failing one service's
      // requests is ejected for that service only.
      std::string key = peer.id + "\n" + service.name;
      present.insert(key);
      auto& endpoint = endpoints_[key];
      if (!endpoint || endpoint->authority != peer.address) {
        endpoint = std::make_shared<gateway::EndpointState>();
        endpoint->name = "mesh://" + peer.id + "@" + peer.address;
        endpoint->authority = peer.address;
        endpoint->address = *address;
        endpoint->source = source;
        endpoint->role = gateway::EndpointRole::kRemote;
        endpoint->mesh_peer = peer.id;
        endpoint->transports.store(links);
      } else if (came_back) {
        // Back after it was down: what failed while it was away says nothing about it now.
        endpoint->ejected_until_ms.store(0, std::memory_order_relaxed);
        endpoint->consecutive_failures.store(0, std::memory_order_relaxed);
      }
      if (alive && peer.direct && (service.healthy || service.relays))
        routes->services[service.name].push_back({peer.id, endpoint, !service.healthy, suspect});
    }
  }
  std::erase_if(endpoints_, [&](const auto& entry) { return !present.contains(entry.first); });
  std::erase_if(was_alive_, [&](const auto& entry) {
    return std::none_of(view.peers.begin(), view.peers.end(),
                        [&](const mesh::PeerView& p) { return p.id == entry.first; });
  });
  for (auto& [name, hops] : routes->services)
    std::stable_sort(hops.begin(), hops.end(), [](const auto& a, const auto& b) {
      return std::tie(a.suspect, a.relay) < std::tie(b.suspect, b.relay);
    });
  out_.publish(std::move(routes));
}

}  // namespace x0::app
