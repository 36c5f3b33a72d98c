// The /health verdicts (see health_report.h), moved here from operator_api.cc so the status
// page reads the same ones.
#include "admin/health_report.h"

#include <unistd.h>

#include <ctime>

#include "admin/cache_api.h"
#include "admin/mesh_api.h"
#include "net/event_loop.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;
using telemetry::Status;

bool data_dir_writable(const std::string& dir) { return ::access(dir.c_str(), W_OK) == 0; }

}  // namespace

std::shared_ptr<const gateway::RemoteRoutes> remote_routes_now(const NodeState& node) {
  return node.remote_routes != nullptr ? node.remote_routes->current() : nullptr;
}

json service_health(const gateway::ServiceState& service, const gateway::RemoteRoutes* remote,
                    int64_t now, Status* status) {
  json endpoints = json::array();
  int up = 0;
  const auto& active = service.active();
  for (const auto* set : {&service.primary, &service.candidate, &service.fallback}) {
    for (const auto& e : *set) {
      bool available = e->available(now);
      if (available && set == &active) ++up;
      int64_t last = e->last_check_ms.load();
      endpoints.push_back({{"address", e->name},
                           {"role", e->role == gateway::EndpointRole::kStable      ? "stable"
                                    : e->role == gateway::EndpointRole::kCandidate ? "candidate"
                                                                                   : "fallback"},
                           {"healthy", e->healthy.load()},
                           {"ejected", e->ejected(now)},
                           {"available", available},
                           {"last_check_status", e->last_check_status.load()},
                           {"last_check_age_ms", last == 0 ? json(nullptr) : json(now - last)},
                           {"requests", e->requests.load()},
                           {"failures", e->failures.load()}});
    }
  }
  bool fallback_up = service.has_available_fallback(now);
  bool served_remotely = up == 0 && gateway::has_available_remote(remote, service, now);
  size_t total = active.size();
  if (up == static_cast<int>(total) && total > 0)
    *status = Status::kHealthy;
  else if (up > 0 || fallback_up || served_remotely)
    *status = Status::kDegraded;
  else
    *status = Status::kUnhealthy;
  return {{"status", telemetry::to_string(*status)},
          {"type", "upstream_pool"},
          {"required", service.config.required},
          {"healthy_endpoints", up},
          {"total_endpoints", total},
          {"diverted_to_fallback", up == 0 && !served_remotely && fallback_up},
          {"served_remotely", served_remotely},
          {"release", service.in_release
                          ? json{{"candidate_weight_percent", service.split.weight_bp / 100.0},
                                 {"candidate_only", service.split.candidate_only},
                                 {"override_header", service.split.header_name}}
                          : json(nullptr)},
          {"endpoints", endpoints}};
}

HealthReport health_report(const NodeState& node) {
  int64_t now = net::EventLoop::monotonic_ms();
  Status overall = Status::kHealthy;
  json dependencies = json::object();
  auto remote = remote_routes_now(node);
  if (auto table = node.routes->current()) {
    for (const auto& service : table->services()) {
      Status s = Status::kHealthy;
      dependencies[service->config.name] = service_health(*service, remote.get(), now, &s);
      // An optional service that is down degrades the node; a required one takes it down.
      if (!service->config.required && s == Status::kUnhealthy) s = Status::kDegraded;
      overall = telemetry::worst(overall, s);
    }
  }
  auto config = node.config.load();
  bool store_ok = data_dir_writable(config->node.data_dir);
  dependencies["store"] = {{"status", store_ok ? "healthy" : "degraded"},
                           {"type", "data_dir"},
                           {"path", config->node.data_dir},
                           {"writable", store_ok}};
  if (!store_ok) overall = telemetry::worst(overall, Status::kDegraded);
  Status cache_status_value = Status::kHealthy;
  dependencies["cache"] = cache_health(node.cache, &cache_status_value);
  overall = telemetry::worst(overall, cache_status_value);
  auto mesh_view = node.mesh != nullptr ? node.mesh->view() : nullptr;
  Status mesh_status_value = Status::kHealthy, pqc_status_value = Status::kHealthy;
  dependencies["mesh"] = mesh_health(mesh_view.get(), *config, &mesh_status_value);
  dependencies["pqc"] = pqc_health(mesh_view.get(), *config, &pqc_status_value);
  overall = telemetry::worst(overall, mesh_status_value);
  overall = telemetry::worst(overall, pqc_status_value);
  if (node.notify_health) {
    json notify = node.notify_health();
    // A channel that keeps failing means pages are not reaching people: degraded, never down.
    if (notify.value("status", std::string()) != "healthy")
      overall = telemetry::worst(overall, Status::kDegraded);
    dependencies["notify"] = std::move(notify);
  }

  // The sampler's latest snapshot: no procfs read and no lock on this worker.
  json components = json::array();
  if (auto host = node.host_sampler ? node.host_sampler->latest() : nullptr) {
    for (const auto& c : *host) {
      overall = telemetry::worst(overall, c.status);
      components.push_back(
          {{"name", c.name}, {"status", telemetry::to_string(c.status)}, {"details", c.details}});
    }
  }
  if (node.draining.load()) overall = telemetry::worst(overall, Status::kDegraded);
  json body = {{"status", telemetry::to_string(overall)},
               {"overall_status", telemetry::to_string(overall)},
               {"version", node.version},
               {"node_id", node.node_id},
               {"uptime_seconds", (now - node.started_mono_ms) / 1000},
               {"timestamp", static_cast<int64_t>(std::time(nullptr))},
               {"draining", node.draining.load()},
               {"isolated", node.isolated.load()},
               {"dependencies", dependencies},
               {"components", components}};
  return HealthReport{overall, std::move(body)};
}

}  // namespace x0::admin
