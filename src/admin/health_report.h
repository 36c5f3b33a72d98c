// The node's health as /health answers it (SPEC section 2, docs/HEALTH.md): each service from
// its endpoints, the data directory, cache, mesh, PQC, notifications and the host components,
// and the overall status. One function, so /health and the status page (admin/status_api.h)
// read the same verdicts. Any thread: it only loads atomics and published snapshots.
#pragma once

#include <nlohmann/json.hpp>

#include "admin/node_state.h"
#include "gateway/remote_routes.h"
#include "gateway/route_table.h"
#include "telemetry/host_health.h"

namespace x0::admin {

struct HealthReport {
  telemetry::Status overall = telemetry::Status::kHealthy;
  nlohmann::json body = nlohmann::json::object();  // the /health body
};
HealthReport health_report(const NodeState& node);

// The mesh routes the workers use now (null without a mesh).
std::shared_ptr<const gateway::RemoteRoutes> remote_routes_now(const NodeState& node);

// A service's health from its endpoints: all up healthy, some up (or only the fallback, or a
// mesh peer serving it) degraded, nothing to send traffic to unhealthy. *status gets it.
nlohmann::json service_health(const gateway::ServiceState& service,
                              const gateway::RemoteRoutes* remote, int64_t now,
                              telemetry::Status* status);

}  // namespace x0::admin
