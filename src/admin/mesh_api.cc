// Mesh operator views (see mesh_api.h).
#include "admin/mesh_api.h"

#include "tls/pki/certificate_info.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

json time_or_null(std::chrono::sys_seconds t) {
  if (t.time_since_epoch().count() == 0) return nullptr;
  return tls::pki::rfc3339(t);
}

json services_json(const std::vector<mesh::ServiceHealth>& services) {
  json out = json::array();
  for (const mesh::ServiceHealth& s : services)
    out.push_back({{"name", s.name},
                   {"healthy", s.healthy},
                   {"healthy_endpoints", s.healthy_endpoints},
                   {"mesh_failover", s.mesh_failover},
                   {"relays", s.relays}});
  return out;
}

size_t count_state(const mesh::MeshView& view, std::string_view state) {
  size_t n = 0;
  for (const mesh::PeerView& p : view.peers) n += p.state == state ? 1 : 0;
  return n;
}

}  // namespace

json mesh_peers_json(const mesh::MeshView* view) {
  json peers = json::array();
  if (view == nullptr) return peers;
  for (const mesh::PeerView& p : view->peers) {
    peers.push_back({{"id", p.id},
                     {"address", p.address},
                     {"state", p.state},
                     {"since", time_or_null(p.since)},
                     {"rtt_ms", p.rtt_ms ? json(*p.rtt_ms) : json(nullptr)},
                     {"pqc", p.pqc},
                     {"kex_group", p.linked ? json(p.kex_group) : json(nullptr)},
                     {"signature", "id-MLDSA65-Ed25519-SHA512"},
                     {"algorithms",
                      {{"kex", p.linked ? json(p.kex_group) : json(nullptr)},
                       {"signature", "ML-DSA-65+Ed25519"}}},
                     {"pq_identity_verified", p.pq_identity_verified},
                     {"last_handshake", time_or_null(p.last_handshake)},
                     {"last_seen", time_or_null(p.last_seen)},
                     {"cert_not_after", time_or_null(p.cert_not_after)},
                     {"services", services_json(p.services)}});
  }
  return peers;
}

json mesh_status_json(const mesh::MeshView* view, const config::Config& config, json routes) {
  if (view == nullptr)
    return {{"node_id", config.mesh.node_id},
            {"enabled", false},
            {"peers_total", 0},
            {"peers_up", 0},
            {"partitioned", false},
            {"quorum", nullptr},
            {"routes", json::array()}};
  return {{"node_id", view->node_id},
          {"enabled", true},
          {"address", view->address},
          {"pqc_mode", view->pqc_mode},
          {"peers_total", view->peers.size()},
          {"peers_up", view->peers_up},
          {"peers",
           {{"up", count_state(*view, "up")},
            {"suspect", count_state(*view, "suspect")},
            {"down", count_state(*view, "down")},
            {"left", count_state(*view, "left")}}},
          {"partitioned", view->partitioned},
          {"quorum",
           {{"known", view->known}, {"reachable", view->reachable}, {"needed", view->quorum}}},
          {"local_health", view->local_health},
          {"fallback_enabled", view->fallback_enabled},
          {"routes", std::move(routes)}};
}

json mesh_routes_json(const gateway::RouteTable* table, const gateway::RemoteRoutes* remote,
                      int64_t now_ms) {
  json out = json::array();
  if (table == nullptr) return out;
  for (const auto& service : table->services()) {
    if (!service->config.mesh_failover) continue;
    uint32_t local = 0;
    for (auto role : {gateway::EndpointRole::kStable, gateway::EndpointRole::kCandidate})
      for (const auto& e : service->set(role)) local += e->available(now_ms) ? 1 : 0;
    json hops = json::array();
    json next = nullptr;
    const auto* remote_hops = remote != nullptr ? remote->find(service->config.name) : nullptr;
    if (remote_hops != nullptr)
      for (const gateway::RemoteHop& hop : *remote_hops) {
        bool available = hop.endpoint->available(now_ms);
        json entry = {{"peer", hop.peer},
                      {"address", hop.endpoint->authority},
                      {"via", hop.relay ? "relay" : "direct"},
                      {"suspect", hop.suspect},
                      {"available", available}};
        if (next.is_null() && available) {
          next = std::move(entry);
        } else {
          hops.push_back(std::move(entry));
        }
      }
    std::string serving = local > 0                                 ? "local"
                          : !next.is_null()                         ? "mesh"
                          : service->has_available_fallback(now_ms) ? "fallback"
                                                                    : "none";
    out.push_back({{"service", service->config.name},
                   {"local_healthy_endpoints", local},
                   {"serving", serving},
                   {"next_hop", std::move(next)},
                   {"alternatives", std::move(hops)}});
  }
  return out;
}

json mesh_links_json(const mesh::MeshView* view) {
  if (view == nullptr)
    return {{"enabled", false},
            {"handshakes", {{"ok", 0}, {"failed", 0}, {"fallback", 0}}},
            {"last_failure", nullptr},
            {"links", 0}};
  size_t linked = 0;
  for (const mesh::PeerView& p : view->peers) linked += p.linked && p.state == "up" ? 1 : 0;
  const mesh::LinkCounters& c = view->links;
  json last_failure = nullptr;
  if (!c.last_failure_reason.empty())
    last_failure = {{"reason", c.last_failure_reason},
                    {"detail", c.last_failure_detail},
                    {"peer", c.last_failure_peer},
                    {"at", time_or_null(c.last_failure_at)}};
  return {{"enabled", true},
          {"handshakes", {{"ok", c.ok}, {"failed", c.failed}, {"fallback", c.fallback}}},
          {"last_failure", last_failure},
          {"links", linked}};
}

json mesh_health(const mesh::MeshView* view, const config::Config& config,
                 telemetry::Status* status) {
  *status = telemetry::Status::kHealthy;
  if (view == nullptr)
    return {{"status", "healthy"},
            {"enabled", false},
            {"peers_total", 0},
            {"detail", config.mesh.enabled ? "the mesh did not start (see the log)"
                                           : "[mesh] enabled = false"}};
  size_t down = count_state(*view, "down"), suspect = count_state(*view, "suspect");
  std::string detail = "all peers up";
  if (view->partitioned) {
    detail = "partitioned: " + std::to_string(view->reachable) + " of " +
             std::to_string(view->known) + " members reachable";
  } else if (down + suspect > 0) {
    detail = std::to_string(down) + " peer(s) down, " + std::to_string(suspect) + " suspect";
  } else if (view->peers.empty()) {
    detail = "no peers known yet";
  }
  if (view->partitioned || down + suspect > 0) *status = telemetry::Status::kDegraded;
  return {{"status", std::string(telemetry::to_string(*status))},
          {"enabled", true},
          {"peers_total", view->peers.size()},
          {"peers_up", view->peers_up},
          {"partitioned", view->partitioned},
          {"detail", detail}};
}

json pqc_health(const mesh::MeshView* view, const config::Config& config,
                telemetry::Status* status) {
  bool fallback = view != nullptr && view->fallback_enabled;
  bool disabled = config.pqc.mode == "disabled";
  *status = fallback || disabled ? telemetry::Status::kDegraded : telemetry::Status::kHealthy;
  json links = mesh_links_json(view);
  return {{"status", std::string(telemetry::to_string(*status))},
          {"mode", config.pqc.mode},
          {"fallback_enabled", fallback},
          {"links", links["links"]},
          {"detail", disabled   ? "pqc.mode = disabled: mesh links run without post-quantum "
                                  "key exchange by the operator's choice"
                     : fallback ? "a mesh link runs without post-quantum key exchange"
                                : "mesh links post-quantum"}};
}

}  // namespace x0::admin
