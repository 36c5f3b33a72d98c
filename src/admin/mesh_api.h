// The mesh as the operator API shows it (SPEC sections 2 and 9): /mesh/peers, /mesh/status,
// the link part of /security/pqc/status, and /health's dependencies.mesh and .pqc, all from the
// mesh agent's latest MeshView (null when [mesh] enabled = false).
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"
#include "gateway/remote_routes.h"
#include "gateway/route_table.h"
#include "mesh/mesh_view.h"
#include "telemetry/host_health.h"

namespace x0::admin {

nlohmann::json mesh_peers_json(const mesh::MeshView* view);
// `routes`: mesh_routes_json's list.
nlohmann::json mesh_status_json(const mesh::MeshView* view, const config::Config& config,
                                nlohmann::json routes);
// /mesh/routes: per `mesh_failover` service of the route table, where its requests go now
// (local, mesh, fallback or none), the next hop across the mesh and the alternatives.
nlohmann::json mesh_routes_json(const gateway::RouteTable* table,
                                const gateway::RemoteRoutes* remote, int64_t now_ms);
// The link counters, last failure and fallback flag of /security/pqc/status.
nlohmann::json mesh_links_json(const mesh::MeshView* view);
// Degraded while a peer is down or suspect, a link runs classical or the node is partitioned,
// or when [pqc] mode = disabled; never unhealthy for a peer (the node keeps serving its own).
nlohmann::json mesh_health(const mesh::MeshView* view, const config::Config& config,
                           telemetry::Status* status);
nlohmann::json pqc_health(const mesh::MeshView* view, const config::Config& config,
                          telemetry::Status* status);

}  // namespace x0::admin
