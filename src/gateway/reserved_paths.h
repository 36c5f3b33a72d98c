// The operator endpoints the node answers itself (SPEC section 2), as the one table that both
// the data plane (which paths it keeps from the services behind it) and the operator API (which
// handler answers) read. Paths are matched exactly, segment by segment, never as prefixes: the
// data port shares its path space with the services, so "/api/v1/users", "/releases/2024",
// "/incidentsfoo" or "/health/nope" belong to a service, not to the node.
#pragma once

#include <cstdint>
#include <string_view>

namespace x0::gateway {

enum class OperatorEndpoint : uint8_t {
  kNone,           // not the node's: routed to a service
  kMetrics,        // /metrics
  kHealth,         // /health
  kHealthLive,     // /health/live
  kHealthReady,    // /health/ready
  kHealthStartup,  // /health/startup
  kStatus,         // /api/v1/status
  kPqcStatus,      // /security/pqc/status
  kMeshPeers,      // /mesh/peers
  kMeshStatus,     // /mesh/status
  kMeshRoutes,     // /mesh/routes
  kMeshPing,       // /mesh/ping
  kCacheAdmin,     // /admin/cache/{clear,verify,snapshot,restore,warm}
  kDataVerify,     // /admin/data/verify
  kIsolate,        // /admin/isolate
  kIncidents,      // /incidents, /incidents/{id}, /incidents/{id}/{report,ack,update,resolve}
  kReleases,       // /releases, /releases/{service}, /releases/{service}/{start,promote,...}
  kAlertmanager,   // /alerts/alertmanager
  kStatusPage,     // /status, /status.json (public; [status] enabled = false gives them back)
};

// The endpoint a path names by its shape alone, and the service name it addresses (non-empty
// for /releases/{service}[/{verb}] only). Sub-resources match only when the variable segment has
// its identifier's shape: an incident id is "INC-" + 8 digits + "-" + at least 4 digits (see
// incident::make_incident_id), a service name 1-64 of [a-z0-9_-] (config's kServiceName).
struct EndpointMatch {
  OperatorEndpoint endpoint = OperatorEndpoint::kNone;
  std::string_view service;
};
EndpointMatch match_endpoint_shape(std::string_view path);

// The endpoint of a normalised path (without query), or kNone. A service name has no shape of
// its own ("2024" is a valid one), so /releases/{service}[/{verb}] is the node's only when
// is_service(name) says so: the data plane asks its route table (configured services), the
// operator API on a listener of its own accepts any well-shaped name and answers 404 itself.
template <class IsService>
OperatorEndpoint reserved_endpoint(std::string_view path, const IsService& is_service) {
  EndpointMatch m = match_endpoint_shape(path);
  if (!m.service.empty() && !is_service(m.service)) return OperatorEndpoint::kNone;
  return m.endpoint;
}

}  // namespace x0::gateway
