// Per-service endpoint gauges read from the published route table (see upstream_gauges.h).
#include "gateway/upstream_gauges.h"

#include <string>

#include "net/event_loop.h"

namespace x0::gateway {

void register_upstream_gauges(const RouteTablePublisher& routes, const RouteTable& table,
                              telemetry::Registry& registry) {
  for (const auto& service : table.services()) {
    const std::string& name = service->config.name;
    telemetry::Labels labels{{"service", name}};
    // On the scraping thread: the table current then (a reload may have replaced `table`).
    registry.gauge_callback(
        "upstream_endpoints",
        "Endpoints of a service taking regular traffic (the stable set, or the candidate set "
        "once a release switched to it).",
        labels, [&routes, name] {
          auto now = routes.current();
          const ServiceState* s = now ? now->find(name) : nullptr;
          return s != nullptr ? static_cast<double>(s->active().size()) : 0.0;
        });
    registry.gauge_callback(
        "upstream_healthy_endpoints",
        "Endpoints of upstream_endpoints that are available: passing health checks, not ejected.",
        labels, [&routes, name] {
          auto now = routes.current();
          const ServiceState* s = now ? now->find(name) : nullptr;
          return s != nullptr
                     ? static_cast<double>(s->available_in_active(net::EventLoop::monotonic_ms()))
                     : 0.0;
        });
  }
}

}  // namespace x0::gateway
