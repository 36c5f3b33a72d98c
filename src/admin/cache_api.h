// The cache's operator endpoints (SPEC section 2), dispatched by OperatorApi::handle after its
// auth check and AUDIT line. Every action runs on the node's cache_io thread (answer_async), so
// a worker never waits for a disk write or a whole-store pass. All POST; other methods 405;
// with the cache off 503 {"error":"cache_disabled"}.
//   POST /admin/cache/clear[?prefix=/p]  {"cleared", "prefix"}; a prefix not starting with '/' 400
//   POST /admin/cache/verify             {"checked", "corrupt", "dropped", "entries"}
//   POST /admin/cache/snapshot           {"path", "entries", "bytes", ...}; disk failure 500
//   POST /admin/cache/restore            200 {"restored": true|false, ...} (see cache_admin.h)
//   POST /admin/cache/warm               body: ["/a", "http://host/b"] or {"urls": [...]}, empty
//                                        = [cache] preload_urls; 202 {"started", "urls"};
//                                        bad body or URL 400, a warm already running 409
//   POST /admin/data/verify              200 {"ok", "cache": {...}, "incidents": {...}}
// /admin/data/verify reads the snapshot files on cache_io (disk reads must not stall the
// autopilot's ticks on the control thread) and then hands the incident check to the control
// thread, the only thread that may touch the IncidentStore, waiting for it on cache_io. With
// the cache off the whole check runs on the control thread. "ok" is false when any snapshot file
// is damaged, the incident store reports a problem, or the store is unavailable.
#pragma once

#include <nlohmann/json.hpp>

#include "admin/node_state.h"
#include "http/server_connection.h"
#include "telemetry/host_health.h"

namespace x0::admin {

// Paths starting with /admin/cache/.
void handle_cache_admin(const CacheServices& cache, http::ServerConnection& conn, const http::Request& request);
// POST /admin/data/verify.
void handle_data_verify(const CacheServices& cache, const IncidentServices& incidents, ControlThread* control,
                        http::ServerConnection& conn, const http::Request& request);

// /api/v1/status "cache": CacheAdmin::status(), or {"enabled": false}.
nlohmann::json cache_status(const CacheServices& cache);
// /health dependencies.cache: {"status": "healthy"|"degraded", ...cache_status()}; *status gets
// the same health (never unhealthy: a broken cache costs speed, not correctness).
nlohmann::json cache_health(const CacheServices& cache, telemetry::Status* status);

}  // namespace x0::admin
