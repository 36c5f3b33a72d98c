// The autopilot's view of the data plane: cumulative per-side counters of every service in the
// published route table, and node-wide signals. Reads only atomics and snapshots, so sampling
// never slows a worker.
#pragma once

#include <memory>
#include <vector>

#include "admin/node_state.h"
#include "autopilot/autopilot.h"
#include "gateway/route_table.h"
#include "telemetry/host_health.h"

namespace x0::app {

class GatewayMetrics final : public autopilot::MetricSource {
 public:
  // restarts_ms: this node's restart times (start_log.h), fixed for the process's life.
  GatewayMetrics(const gateway::RouteTablePublisher& routes, admin::NodeState& node,
                 std::vector<int64_t> restarts_ms);
  std::vector<autopilot::ServiceSample> sample_services(int64_t now_ms) override;
  autopilot::NodeSample sample_node(int64_t now_ms) override;
  std::vector<double> latency_bounds_s() const override;
  // After a tick: what the autopilot measured, for the autopilot_latency_p95_seconds gauges
  // (the P95 of each side over the service latency rules' window). Control thread.
  void publish_measured(const autopilot::Autopilot& autopilot);

 private:
  const gateway::RouteTablePublisher& routes_;
  admin::NodeState& node_;
  std::unique_ptr<telemetry::HostProbe> probe_;  // our own: HostProbe keeps rate state per owner
  int64_t last_host_sample_ms_ = 0;
  double memory_ratio_ = 0;
  double cpu_ratio_ = 0;
  std::vector<int64_t> restarts_ms_;
};

}  // namespace x0::app
