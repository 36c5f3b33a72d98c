// Per-service endpoint gauges read from the published route table (see upstream_gauges.h).
#include "gateway/upstream_gauges.h"

#include <string>

#include "net/event_loop.h"

namespace x0::gateway {
namespace {

// `count` of the service in the table current at scrape time (a reload may have replaced the
// table the gauge was registered from); 0 once the service is gone.
template <class Count>
double current(const RouteTablePublisher& routes, const std::string& name, Count count) {
  auto now = routes.current();
  const ServiceState* s = now ? now->find(name) : nullptr;
  return s != nullptr ? static_cast<double>(count(*s)) : 0.0;
}

}  // namespace

void register_upstream_gauges(const RouteTablePublisher& routes, const RouteTable& table,
                              telemetry::Registry& registry) {
  for (const auto& service : table.services()) {
    const std::string& name = service->config.name;
    telemetry::Labels labels{{"service", name}};
    registry.gauge_callback(
        "upstream_endpoints",
        "Endpoints of a service taking regular traffic (the stable set, or the candidate set "
        "once a release switched to it).",
        labels, [&routes, name] {
          return current(routes, name, [](const ServiceState& s) { return s.active().size(); });
        });
    registry.gauge_callback(
        "upstream_healthy_endpoints",
        "Endpoints of upstream_endpoints that are available: passing health checks, not ejected.",
        labels, [&routes, name] {
          return current(routes, name, [](const ServiceState& s) {
            return s.available_in_active(net::EventLoop::monotonic_ms());
          });
        });
  }
}

}  // namespace x0::gateway
