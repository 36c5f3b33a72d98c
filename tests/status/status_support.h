// Inputs shared by the status page tests: a /health body as admin::health_report makes it and
// incidents as the store returns them.
#pragma once

#include <nlohmann/json.hpp>

#include "incident/incident.h"

namespace x0::status::testing {

// 2026-11-24T15:00:00.000Z
inline constexpr int64_t kNow = 1795532400000;

// checkout: 1 of 2 endpoints up (degraded); search: none (unhealthy); the rest healthy, mesh
// off, cache on.
inline nlohmann::json health_body() {
  return nlohmann::json::parse(R"({
    "status": "degraded", "draining": false, "isolated": false,
    "dependencies": {
      "checkout": {"status": "degraded", "type": "upstream_pool", "healthy_endpoints": 1,
                   "total_endpoints": 2, "diverted_to_fallback": false, "served_remotely": false,
                   "endpoints": [{"address": "10.0.0.7:8080"}]},
      "search": {"status": "unhealthy", "type": "upstream_pool", "healthy_endpoints": 0,
                 "total_endpoints": 1, "diverted_to_fallback": false, "served_remotely": false},
      "store": {"status": "healthy", "type": "data_dir", "path": "/var/lib/x0"},
      "cache": {"status": "healthy", "type": "response_cache", "enabled": true},
      "mesh": {"status": "healthy", "enabled": false, "peers_total": 0},
      "pqc": {"status": "healthy", "mode": "required", "fallback_enabled": false},
      "notify": {"status": "degraded"}
    },
    "components": [{"name": "cpu", "status": "healthy"}, {"name": "memory", "status": "healthy"}]
  })");
}

inline incident::Incident open_incident(std::string id, std::string title, Severity sev,
                                        std::vector<std::string> services) {
  incident::Incident inc;
  inc.id = std::move(id);
  inc.title = std::move(title);
  inc.severity = sev;
  inc.affected_services = std::move(services);
  inc.created_ms = kNow - 600'000;
  inc.updated_ms = kNow - 60'000;
  inc.timeline.push_back({kNow - 600'000, incident::TimelineKind::kDetected, "operator:127.0.0.1",
                          "checkout answers 5xx", nlohmann::json::object(), 1});
  return inc;
}

}  // namespace x0::status::testing
