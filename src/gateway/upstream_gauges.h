// upstream_endpoints{service} and upstream_healthy_endpoints{service}: a service's endpoints
// taking regular traffic (ServiceState::active()) and how many of them are available, the
// numbers /health reports as total_endpoints and healthy_endpoints. Computed at scrape time from
// the published route table, like the node's other gauges: nothing is added to the request path.
#pragma once

#include "gateway/route_table.h"
#include "telemetry/metrics.h"

namespace x0::gateway {

// Registers both gauges for every service of `table` (again for one already registered: the
// same callback replaces it). Call it after each publish, off the hot path; `routes` must outlive
// `registry`'s scrapes. A service a later table no longer has reads 0 of 0.
void register_upstream_gauges(const RouteTablePublisher& routes, const RouteTable& table,
                              telemetry::Registry& registry);

}  // namespace x0::gateway
