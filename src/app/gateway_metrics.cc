// Sampling the data plane for the autopilot (see gateway_metrics.h).
#include "app/gateway_metrics.h"

#include <algorithm>

#include "release/release_controller.h"
#include "telemetry/metrics.h"

namespace x0::app {
namespace {

autopilot::CounterSample side_sample(const gateway::ServiceStats::Side& side, int64_t now_ms) {
  // The latency sketch, not the /metrics histogram: its buckets are what makes P95 accurate.
  return autopilot::CounterSample{now_ms,
                                  side.requests->value(),
                                  side.errors->value(),
                                  side.latency.bucket_counts(),
                                  side.response_bytes->value(),
                                  side.empty_responses->value()};
}

}  // namespace

GatewayMetrics::GatewayMetrics(const gateway::RouteTablePublisher& routes, admin::NodeState& node,
                               std::vector<int64_t> restarts_ms)
    : routes_(routes), node_(node), restarts_ms_(std::move(restarts_ms)) {
  auto config = node_.config.load();
  probe_ = std::make_unique<telemetry::HostProbe>(
      config->node.data_dir, telemetry::HostThresholds{}, config->api_gateway.enable_dpdk);
}

std::vector<double> GatewayMetrics::latency_bounds_s() const {
  return telemetry::LatencyLayout::upper_bounds_s();
}

void GatewayMetrics::publish_measured(const autopilot::Autopilot& autopilot) {
  auto table = routes_.current();
  if (!table) return;
  // The window the service latency rules compare over (the longest, if several).
  int64_t window_ms = 0;
  for (const autopilot::Rule& r : autopilot.policy().rules) {
    if (r.scope == autopilot::Scope::kService && r.signal == autopilot::Signal::kLatencyP95Ms)
      window_ms = std::max(window_ms, r.window_ms);
  }
  for (const auto& service : table->services()) {
    for (int side = 0; side < 2; ++side) {
      auto stats = window_ms > 0
                       ? autopilot.window_stats(service->config.name, side == 1, window_ms)
                       : std::nullopt;
      service->stats->sides[side].autopilot_p95_ms.store(stats ? stats->p95_ms : 0.0,
                                                         std::memory_order_relaxed);
    }
  }
}

std::vector<autopilot::ServiceSample> GatewayMetrics::sample_services(int64_t now_ms) {
  std::vector<autopilot::ServiceSample> out;
  auto table = routes_.current();
  if (!table) return out;
  int64_t mono = net::EventLoop::monotonic_ms();
  auto remote = node_.remote_routes != nullptr ? node_.remote_routes->current() : nullptr;
  for (const auto& service : table->services()) {
    autopilot::ServiceSample s;
    s.service = service->config.name;
    s.stable = side_sample(service->stats->sides[0], now_ms);
    s.candidate = side_sample(service->stats->sides[1], now_ms);
    s.in_release = service->in_release;
    s.healthy_endpoints = static_cast<int>(service->available_in_active(mono));
    for (const auto& e : service->candidate) s.candidate_healthy += e->available(mono) ? 1 : 0;
    s.has_fallback = service->has_available_fallback(mono);
    s.served_remotely =
        s.healthy_endpoints == 0 && gateway::has_available_remote(remote.get(), *service, mono);
    // Control thread only (as the autopilot's tick is): the release controller lives there.
    if (s.in_release && node_.releases.controller != nullptr) {
      if (auto release = node_.releases.controller->active(s.service)) {
        s.analysis_window_ms = release->spec.analysis_window_ms;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

autopilot::NodeSample GatewayMetrics::sample_node(int64_t now_ms) {
  // /proc and cgroup reads once a second are plenty for 10-minute CPU and memory rules.
  if (now_ms - last_host_sample_ms_ >= 1000) {
    last_host_sample_ms_ = now_ms;
    // No number (no memory information, cpu warming up) reads as 0: no rule fires on it.
    memory_ratio_ = probe_->memory().used_ratio.value_or(0.0);
    cpu_ratio_ = probe_->cpu().used_ratio.value_or(0.0);
  }
  autopilot::NodeSample n;
  n.t_ms = now_ms;
  n.memory_ratio = memory_ratio_;
  n.cpu_ratio = cpu_ratio_;
  n.auth_failures = node_.auth_failures.load();
  n.restarts_ms = &restarts_ms_;
  if (auto view = node_.mesh != nullptr ? node_.mesh->view() : nullptr) {
    n.pqc_fallback = view->fallback_enabled;
    n.pqc_handshake_failures = view->links.failed;
    if (!view->links.last_failure_reason.empty()) {
      // The peer's host, not its port: a peer that keeps reconnecting is one subject, not one
      // per ephemeral port (the autopilot tells people again when its subject changes).
      const std::string& peer = view->links.last_failure_peer;
      size_t colon = peer.rfind(':');
      n.pqc_last_failure = "last: " + view->links.last_failure_reason + " from " +
                           (colon == std::string::npos ? peer : peer.substr(0, colon)) + " (" +
                           view->links.last_failure_detail + ")";
    }
    n.mesh_partitioned = view->partitioned;
    std::string down_ids;
    auto add = [](std::string& list, const std::string& item) {
      list += (list.empty() ? "" : ", ") + item;
    };
    for (const mesh::PeerView& p : view->peers) {
      if (p.state == "down") {
        ++n.mesh_peers_down;
        add(n.mesh_peers_down_names, p.id + " (" + p.address + ")");
        add(down_ids, p.id);
      } else if (p.state != "left" && p.linked && !p.pqc) {
        add(n.pqc_fallback_links, p.id + " on " + p.kex_group);
      }
    }
    if (view->partitioned) {
      n.mesh_partition_detail = "this node reaches " + std::to_string(view->reachable) + " of " +
                                std::to_string(view->known) + " members (itself included), " +
                                std::to_string(view->quorum) + " needed; down: " + down_ids;
    }
  }
  return n;
}

}  // namespace x0::app
