// The node's own metrics (gauges and counters read at scrape time from the parts the node
// owns); registered once at start-up, before the workers serve /metrics.
#include <unistd.h>

#include <fstream>

#include "admin/operator_api.h"
#include "app/node.h"
#include "net/event_loop.h"
#include "telemetry/metrics.h"

namespace x0::app {
namespace {

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

void Node::register_node_metrics() {
  auto& r = telemetry::default_registry();
  telemetry::register_process_metrics(r);
  r.gauge_callback("x0tta6bl4_build_info", "Build information.", {{"version", state_.version}},
                   [] { return 1.0; });
  r.gauge_callback("memory_usage_bytes", "Resident memory of the node.", {},
                   [] { return static_cast<double>(resident_bytes()); });
  // The sampler's latest graded fractions (what /health grades and the autopilot's rules read),
  // for alert rules: 0 while there is no number yet.
  for (const char* component : {"cpu", "memory"}) {
    r.gauge_callback(std::string("host_") + component + "_usage_ratio",
                     std::string("The node's ") + component +
                         " use as a fraction of what it may use (cores or cgroup limit), 0..1.",
                     {}, [this, name = std::string(component)] {
                       auto latest = state_.host_sampler ? state_.host_sampler->latest() : nullptr;
                       if (!latest) return 0.0;
                       for (const auto& c : *latest)
                         if (c.name == name) return c.used_ratio.value_or(0.0);
                       return 0.0;
                     });
  }
  r.gauge_callback("queue_depth", "Proxied requests in progress, all workers.", {},
                   [this] { return workers_ ? static_cast<double>(workers_->in_flight()) : 0.0; });
  r.gauge_callback("connection_pool_idle_connections",
                   "Idle keep-alive upstream connections, all workers.", {}, [this] {
                     return workers_ ? static_cast<double>(workers_->idle_upstream_connections())
                                     : 0.0;
                   });
  r.gauge_callback("request_body_bytes_buffered",
                   "Request-body bytes held in memory, all connections ([api_gateway] "
                   "memory_pool_size caps them).",
                   {}, [this] { return static_cast<double>(body_budget_->used()); });
  r.counter_callback("request_body_budget_refused_total",
                     "Requests answered 503 because the request-body memory budget was spent.", {},
                     [this] { return static_cast<double>(body_budget_->refused()); });
  r.counter_callback(
      "connection_pool_discarded_total",
      "Idle upstream connections closed because the upstream sent bytes or closed them.", {},
      [this] {
        return workers_ ? static_cast<double>(workers_->discarded_upstream_connections()) : 0.0;
      });
  r.gauge_callback("client_connections", "Open client connections, all listeners.", {}, [this] {
    return workers_ ? static_cast<double>(workers_->client_connections()) : 0.0;
  });
  for (const http::ConnectionBudget* b :
       {data_connections_.get(), health_connections_.get(), metrics_connections_.get(),
        operator_connections_.get()}) {
    telemetry::Labels listener{{"listener", b->listener()}};
    r.gauge_callback("http_connections_open", "Open client connections by listener, node-wide.",
                     listener, [b] { return static_cast<double>(b->used()); });
    r.gauge_callback("http_connections_limit",
                     "Node-wide connection limit by listener (max_connections for data, "
                     "max_probe_connections for health and metrics).",
                     listener, [b] { return static_cast<double>(b->limit()); });
    r.counter_callback("http_connections_refused_total",
                       "Connections answered 503 and closed because their listener was at its "
                       "limit.",
                       listener, [b] { return static_cast<double>(b->refused()); });
  }
  r.gauge_callback("dpdk_port_up", "DPDK ports up (this build runs on kernel networking).",
                   {{"port", "none"}}, [] { return 0.0; });
  r.gauge_callback("dpdk_enabled", "1 when enable_dpdk is set in the config.", {},
                   [this] { return state_.config.load()->api_gateway.enable_dpdk ? 1.0 : 0.0; });
  // The mesh agent counts its handshakes into these (the same series); zero when it is off.
  for (const char* result : {"ok", "failed", "fallback"}) {
    r.counter("pqc_handshake_total", mesh::kHandshakesHelp, {{"result", result}});
  }
  r.gauge_callback("pqc_fallback_enabled", "1 when any mesh link runs without PQC (SEV-1).", {},
                   [this] {
                     auto view = state_.mesh != nullptr ? state_.mesh->view() : nullptr;
                     return view != nullptr && view->fallback_enabled ? 1.0 : 0.0;
                   });
  for (const char* peer_state : {"up", "suspect", "down", "left"}) {
    r.gauge_callback("mesh_peers", "Mesh members other than this node, by state.",
                     {{"state", peer_state}}, [this, peer_state] {
                       auto view = state_.mesh != nullptr ? state_.mesh->view() : nullptr;
                       double n = 0;
                       if (view != nullptr)
                         for (const mesh::PeerView& p : view->peers) n += p.state == peer_state;
                       return n;
                     });
  }
  r.gauge_callback("mesh_partitioned",
                   "1 while this node reaches fewer than a majority of the known members.", {},
                   [this] {
                     auto view = state_.mesh != nullptr ? state_.mesh->view() : nullptr;
                     return view != nullptr && view->partitioned ? 1.0 : 0.0;
                   });
  r.counter_callback("config_reloads_total", "Configuration reloads, by result.",
                     {{"result", "ok"}},
                     [this] { return static_cast<double>(state_.reloads_ok.load()); });
  r.counter_callback("config_reloads_total", "Configuration reloads, by result.",
                     {{"result", "failed"}},
                     [this] { return static_cast<double>(state_.reloads_failed.load()); });
  r.counter_callback("lock_acquisitions_total",
                     "Mutex acquisitions by lock: per request, workers take only the response "
                     "cache's shard lock (held to copy a pointer); the rest are cross-thread "
                     "hand-offs and route table rebuilds.",
                     {{"lock", "worker_post_queue"}},
                     [this] { return workers_ ? static_cast<double>(workers_->posts()) : 0.0; });
  r.counter_callback("lock_acquisitions_total", "Mutex acquisitions by lock.",
                     {{"lock", "route_table_build"}}, [this] {
                       return control_plane_ ? static_cast<double>(control_plane_->table_version())
                                             : 0.0;
                     });
  r.counter_callback(
      "lock_acquisitions_total", "Mutex acquisitions by lock.", {{"lock", "cache_shard"}}, [this] {
        return cache_.store() ? static_cast<double>(cache_.store()->lock_acquisitions()) : 0.0;
      });
  r.counter_callback(
      "autopilot_decisions_total", "Rules fired by the autopilot (acted or recommended).", {},
      [this] { return control_plane_ ? static_cast<double>(control_plane_->decisions()) : 0.0; });
  r.counter_callback(
      "control_ticks_total",
      "Control-thread ticks (autopilot detection, release steps; every 100 ms). "
      "A flat rate means the control thread is stalled.",
      {}, [this] { return control_plane_ ? static_cast<double>(control_plane_->ticks()) : 0.0; });
  r.counter_callback("admin_auth_failures_total",
                     "Admin calls refused for a missing or wrong token (logged under SECURITY).",
                     {}, [this] { return static_cast<double>(state_.auth_failures.load()); });
  r.gauge_callback("node_ready", "1 when /health/ready answers 200.", {}, [this] {
    return admin::readiness_problems(state_, net::EventLoop::monotonic_ms()).empty() ? 1.0 : 0.0;
  });
}

}  // namespace x0::app
