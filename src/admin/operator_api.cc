// Operator endpoints (see operator_api.h).
#include "admin/operator_api.h"

#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "admin/alerts_api.h"
#include "admin/cache_api.h"
#include "admin/control_thread.h"
#include "admin/health_report.h"
#include "admin/incident_api.h"
#include "admin/isolation.h"
#include "admin/mesh_api.h"
#include "admin/release_api.h"
#include "admin/status_api.h"
#include "common/log.h"
#include "gateway/reserved_paths.h"
#include "incident/incident_metrics.h"
#include "net/event_loop.h"
#include "telemetry/metrics.h"
#include "tls/server_transports.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;
using telemetry::Status;

void respond_json(http::ServerConnection& conn, int status, const json& body) {
  conn.respond(status, "application/json", body.dump(2) + "\n");
}

// {"open": total, "by_severity": {"SEV-1": n, ...}} from the store's in-memory counts.
json open_incidents(const IncidentServices& incidents) {
  if (incidents.store == nullptr || incidents.metrics == nullptr) {
    return {{"open", nullptr},
            {"detail",
             incidents.unavailable.empty() ? "incident store not open" : incidents.unavailable}};
  }
  incident::OpenCounts counts = incidents.metrics->open_counts();
  json by_severity = json::object();
  int64_t total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    by_severity["SEV-" + std::to_string(i + 1)] = counts[i];
    total += counts[i];
  }
  return {{"open", total}, {"by_severity", by_severity}};
}

}  // namespace

void respond_error(http::ServerConnection& conn, int status, std::string_view error,
                   std::string_view detail) {
  respond_json(conn, status, json{{"error", error}, {"detail", detail}});
}

void OperatorApi::handle(http::ServerConnection& conn, const http::Request& request) {
  using E = gateway::OperatorEndpoint;
  // The data plane passes only the paths it reserved (for release paths: of a configured
  // service); on the health, metrics or operator listener any well-shaped service name is
  // taken, and the release controller answers 404 for one it does not know.
  E endpoint = gateway::reserved_endpoint(request.head.path, [](std::string_view) { return true; });
  bool read_only =
      request.head.method == http::Method::kGet || request.head.method == http::Method::kHead;
  if (endpoint == E::kMetrics) {
    if (!read_only) return respond_error(conn, 405, "method_not_allowed", "use GET");
    return metrics(conn);
  }
  if (scope_ == Scope::kMetricsPort) {
    return respond_error(conn, 404, "not_found", "this listener serves /metrics only");
  }
  bool probe = endpoint == E::kHealth || endpoint == E::kHealthLive ||
               endpoint == E::kHealthReady || endpoint == E::kHealthStartup;
  if (probe && !read_only) return respond_error(conn, 405, "method_not_allowed", "use GET");
  if (scope_ == Scope::kHealthPort && !probe) {
    return respond_error(conn, 404, "not_found", "this listener serves /health* and /metrics");
  }
  // Cache and data administration change or read node state whatever the method; the others
  // change it only when written to (SPEC section 1).
  bool mutating = endpoint == E::kCacheAdmin || endpoint == E::kDataVerify ||
                  (!read_only && (endpoint == E::kIncidents || endpoint == E::kReleases ||
                                  endpoint == E::kAlertmanager || endpoint == E::kIsolate));
  // Isolated: an outside client learns nothing of the node either (its incidents, releases,
  // mesh) without the admin token, and every such call is audited; the probes stay open for
  // orchestrators (and /metrics, answered above, for Prometheus).
  bool outsider_while_isolated =
      node_.isolated.load(std::memory_order_relaxed) && !conn.peer_is_loopback() && !probe;
  if ((mutating || outsider_while_isolated) && !authorized(conn, request)) return;
  switch (endpoint) {
    case E::kHealth:
      return health(conn, request);
    case E::kHealthLive:
      return live(conn);
    case E::kHealthReady:
      return ready(conn);
    case E::kHealthStartup:
      return startup(conn);
    case E::kStatus:
      return status(conn);
    case E::kPqcStatus:
      return pqc_status(conn);
    case E::kMeshPeers:
      return mesh_peers(conn);
    case E::kMeshStatus:
      return mesh_status(conn);
    case E::kMeshRoutes:
      return mesh_routes(conn);
    case E::kMeshPing:
      return mesh_ping(conn);
    // Each area gets its own services, nothing else of the node.
    case E::kReleases:
      return handle_releases(node_.releases, node_.control, conn, request);
    case E::kIncidents:
      return handle_incidents(node_.incidents, node_.control, conn, request);
    case E::kAlertmanager:
      return handle_alertmanager(node_.incidents, node_.control, conn, request);
    case E::kCacheAdmin:
      return handle_cache_admin(node_.cache, conn, request);
    case E::kDataVerify:
      return handle_data_verify(node_.cache, node_.incidents, node_.control, conn, request);
    case E::kIsolate:
      return handle_isolate(node_, conn, request);
    case E::kStatusPage:
      return handle_status_page(node_, conn, request);
    case E::kMetrics:  // answered above
    case E::kNone:
      break;
  }
  respond_error(conn, 404, "not_found", "no operator endpoint at this path");
}

// SPEC section 1: admin calls need the bearer token unless they come from loopback and
// loopback is trusted. A refusal is a 401 logged under SECURITY; every accepted call is logged
// under AUDIT when audit logging is on.
bool OperatorApi::authorized(http::ServerConnection& conn, const http::Request& request) {
  auto config = node_.config.load();
  const auto& security = config->security;
  bool ok = security.admin_loopback_trusted && conn.peer_is_loopback();
  if (!ok && !security.admin_token.empty()) {
    std::string_view auth = request.head.headers.find("Authorization");
    std::string expected = "Bearer " + security.admin_token;
    // Compare in time independent of where the first difference is.
    unsigned diff = auth.size() == expected.size() ? 0u : 1u;
    for (size_t i = 0; i < expected.size(); ++i) {
      diff |= static_cast<unsigned char>(expected[i]) ^
              static_cast<unsigned char>(i < auth.size() ? auth[i] : 0);
    }
    ok = diff == 0;
  }
  if (!ok) {
    node_.auth_failures.fetch_add(1, std::memory_order_relaxed);
    log::warn("SECURITY", "admin request refused: missing or wrong bearer token",
              {{"peer", conn.peer_ip()},
               {"method", request.head.method_text},
               {"path", request.head.path}});
    conn.respond(
        401, "application/json",
        R"({"error":"unauthorized","detail":"this endpoint needs Authorization: Bearer <admin token>"})"
        "\n",
        "WWW-Authenticate: Bearer\r\n");
    return false;
  }
  if (security.enable_audit_logging || node_.isolated.load(std::memory_order_relaxed)) {
    log::info("AUDIT", "admin call",
              {{"peer", conn.peer_ip()},
               {"method", request.head.method_text},
               {"path", request.head.path}});
  }
  return true;
}

void OperatorApi::health(http::ServerConnection& conn, const http::Request& /*request*/) {
  HealthReport report = health_report(node_);
  respond_json(conn, report.overall == Status::kUnhealthy ? 503 : 200, report.body);
}

void OperatorApi::live(http::ServerConnection& conn) {
  int stuck = node_.stuck_workers.load();
  if (stuck > 0) {
    return respond_json(conn, 503,
                        {{"status", "stuck"},
                         {"error", "worker_stuck"},
                         {"detail", std::to_string(stuck) + " worker loop(s) not turning"}});
  }
  respond_json(conn, 200, {{"status", "alive"}});
}

std::vector<std::string> readiness_problems(const NodeState& node, int64_t now_ms) {
  std::vector<std::string> reasons;
  if (!node.startup_complete.load()) reasons.push_back("start-up not finished");
  if (node.draining.load()) reasons.push_back("draining");
  if (node.isolated.load()) reasons.push_back("isolated");
  if (node.routes == nullptr) return reasons;
  auto remote = remote_routes_now(node);
  if (auto table = node.routes->current()) {
    for (const auto& service : table->services()) {
      if (!service->config.required) continue;
      if (!service->has_available_primary(now_ms) && !service->has_available_fallback(now_ms) &&
          !gateway::has_available_remote(remote.get(), *service, now_ms)) {
        reasons.push_back("service " + service->config.name +
                          " has no healthy endpoint or fallback");
      }
    }
  }
  return reasons;
}

void OperatorApi::ready(http::ServerConnection& conn) {
  std::vector<std::string> reasons = readiness_problems(node_, net::EventLoop::monotonic_ms());
  if (reasons.empty()) return respond_json(conn, 200, {{"status", "ready"}});
  std::string detail;
  for (const auto& r : reasons) detail += (detail.empty() ? "" : "; ") + r;
  respond_json(
      conn, 503,
      {{"status", "not_ready"}, {"error", "not_ready"}, {"detail", detail}, {"reasons", reasons}});
}

void OperatorApi::startup(http::ServerConnection& conn) {
  if (!node_.cache.restore_done.load()) {
    return respond_json(conn, 503,
                        {{"status", "starting"},
                         {"error", "starting"},
                         {"detail", "restoring the cache snapshot"}});
  }
  if (node_.startup_complete.load()) return respond_json(conn, 200, {{"status", "started"}});
  respond_json(conn, 503,
               {{"status", "starting"},
                {"error", "starting"},
                {"detail", "waiting for the first health checks of every endpoint"}});
}

void OperatorApi::metrics(http::ServerConnection& conn) {
  conn.respond(200, "text/plain; version=0.0.4; charset=utf-8",
               telemetry::default_registry().render());
}

void OperatorApi::status(http::ServerConnection& conn) {
  int64_t now = net::EventLoop::monotonic_ms();
  json services = json::array();
  auto remote = remote_routes_now(node_);
  if (auto table = node_.routes->current()) {
    for (const auto& service : table->services()) {
      Status s = Status::kHealthy;
      json health = service_health(*service, remote.get(), now, &s);
      services.push_back(
          {{"name", service->config.name},
           {"status", telemetry::to_string(s)},
           {"routes",
            {{"hosts", service->config.hosts}, {"path_prefixes", service->config.path_prefixes}}},
           {"endpoints", health["endpoints"]},
           {"release", health["release"]}});
    }
  }
  auto config = node_.config.load();
  respond_json(
      conn, 200,
      {{"version", node_.version},
       {"node_id", node_.node_id},
       {"uptime_seconds", (now - node_.started_mono_ms) / 1000},
       {"config_source", config->source},
       {"draining", node_.draining.load()},
       {"reloads", {{"ok", node_.reloads_ok.load()}, {"failed", node_.reloads_failed.load()}}},
       {"services", services},
       {"incidents", open_incidents(node_.incidents)},
       {"cache", cache_status(node_.cache)},
       {"mesh", mesh_status_json(node_.mesh != nullptr ? node_.mesh->view().get() : nullptr,
                                 *config, remote_routes())}});
}

namespace {

// The HTTPS listener's clients: how many came with the hybrid key exchange. Never an incident
// (browsers of every age connect here); the mesh's links are what `fallback_enabled` is about.
json https_status(const tls::ServerTransports* https, const config::Config& config) {
  if (https == nullptr) return {{"enabled", false}};
  tls::ClientHandshakes h = https->client_handshakes();
  auto context = https->context();
  json last_failure = nullptr;
  if (!h.last_failure_reason.empty())
    last_failure = {{"reason", h.last_failure_reason}, {"peer", h.last_failure_peer}};
  return {{"enabled", true},
          {"address", config.listeners.https},
          {"groups", config.tls.groups},
          {"hybrid_offered", context->offers_hybrid()},
          {"clients", {{"hybrid", h.hybrid}, {"classical", h.classical}}},
          {"handshakes_failed", h.failed},
          {"last_failure", last_failure},
          {"certificate", {{"subject", context->subject()}, {"not_after", context->not_after()}}}};
}

json selftest_status(const tls::SelfTestReport& report) {
  json checks = json::array();
  for (const tls::SelfTestCheck& c : report.checks)
    checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  char ran_at[32] = "";
  std::time_t t = static_cast<std::time_t>(report.ran_at_unix_ms / 1000);
  std::tm tm{};
  if (report.ran_at_unix_ms > 0 && gmtime_r(&t, &tm) != nullptr)
    std::strftime(ran_at, sizeof ran_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {{"ok", report.ok},
          {"ran_at", report.ran_at_unix_ms > 0 ? json(ran_at) : json(nullptr)},
          {"duration_ms", static_cast<double>(report.duration_us) / 1000.0},
          {"checks", checks}};
}

json certificate_status(const tls::pki::CertificateInfo& c, bool verified,
                        std::chrono::sys_seconds now) {
  if (c.not_after == std::chrono::sys_seconds{}) return nullptr;  // missing or unreadable
  return {{"algorithm", c.algorithm},
          {"verified", verified},
          {"issuer", c.issuer},
          {"not_after", tls::pki::rfc3339(c.not_after)},
          {"days_left", tls::pki::days_left(c.not_after, now)}};
}

// The node's certificates ([mesh] cert_dir) as the last check found them.
json identity_status(const std::shared_ptr<const tls::pki::NodeIdentity>& id,
                     const config::Config& config) {
  if (!id) return {{"dir", config.mesh.cert_dir}, {"present", false}, {"not_after", nullptr}};
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  json out = {{"dir", id->dir},
              {"present", id->present},
              {"verified", id->ok()},
              {"problem", id->problem.empty() ? json(nullptr) : json(id->problem)},
              {"subject", id->pq.subject.empty() ? id->tls.subject : id->pq.subject},
              {"serial", id->pq.serial.empty() ? id->tls.serial : id->pq.serial},
              {"not_after", nullptr},
              {"tls", certificate_status(id->tls, id->tls_verified, now)},
              {"pq", certificate_status(id->pq, id->pq_verified, now)}};
  if (id->not_after != std::chrono::sys_seconds{}) {
    out["not_after"] = tls::pki::rfc3339(id->not_after);
    out["days_left"] = tls::pki::days_left(id->not_after, now);
  }
  return out;
}

}  // namespace

void OperatorApi::pqc_status(http::ServerConnection& conn) {
  auto config = node_.config.load();
  auto view = node_.mesh != nullptr ? node_.mesh->view() : nullptr;
  json links = mesh_links_json(view.get());
  respond_json(conn, 200,
               {{"mode", config->pqc.mode},
                {"selftest", selftest_status(node_.pqc_selftest)},
                {"https", https_status(node_.https, *config)},
                {"fallback_enabled", view != nullptr && view->fallback_enabled},
                {"backend", "x0tta6bl4 built-in (FIPS 203 ML-KEM, FIPS 204 ML-DSA)"},
                {"backend_version", node_.version},
                {"kem", "X25519+ML-KEM-768"},
                {"signature", "ML-DSA-65+Ed25519"},
                {"hybrid", config->pqc.mode != "disabled"},
                {"mesh", {{"enabled", links["enabled"]}}},
                {"links", links["links"]},
                {"handshakes", links["handshakes"]},
                {"last_failure", links["last_failure"]},
                {"identity", identity_status(node_.identity.load(), *config)}});
}

void OperatorApi::mesh_peers(http::ServerConnection& conn) {
  auto view = node_.mesh != nullptr ? node_.mesh->view() : nullptr;
  respond_json(conn, 200, mesh_peers_json(view.get()));
}

void OperatorApi::mesh_status(http::ServerConnection& conn) {
  auto config = node_.config.load();
  auto view = node_.mesh != nullptr ? node_.mesh->view() : nullptr;
  respond_json(conn, 200, mesh_status_json(view.get(), *config, remote_routes()));
}

json OperatorApi::remote_routes() const {
  auto table = node_.routes != nullptr ? node_.routes->current() : nullptr;
  return mesh_routes_json(table.get(), remote_routes_now(node_).get(),
                          net::EventLoop::monotonic_ms());
}

void OperatorApi::mesh_routes(http::ServerConnection& conn) {
  respond_json(conn, 200, {{"routes", remote_routes()}});
}

// The runbook's `ping mesh-peers`: a probe of every live member over its PQ link, answered when
// the last one returns (the mesh thread does the work; this worker only waits for the reply).
void OperatorApi::mesh_ping(http::ServerConnection& conn) {
  if (node_.mesh == nullptr)
    return respond_error(conn, 409, "mesh_disabled", "[mesh] enabled = false on this node");
  mesh::MeshApi* mesh = node_.mesh;
  // ping_all() itself hands the work to the mesh thread; the reply comes back from there.
  answer_async_via(
      conn, [](std::function<void()> task) { task(); },
      [mesh](ReplyFn reply) {
        mesh->ping_all([reply](std::vector<mesh::PingResult> results) {
          json out = json::array();
          for (const mesh::PingResult& r : results)
            out.push_back({{"id", r.id},
                           {"address", r.address},
                           {"state", r.state},
                           {"ok", r.ok},
                           {"rtt_ms", r.ok ? json(r.rtt_ms) : json(nullptr)},
                           {"error", r.ok ? json(nullptr) : json(r.error)}});
          reply(Reply{200, out.dump(2) + "\n"});
        });
      });
}

}  // namespace x0::admin
