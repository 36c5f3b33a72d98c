// `x0tta6bl4 run`: wires the modules into a running node. Owns the configuration, the
// published route table, the worker threads (app/worker_set.h), the control plane (releases,
// incidents, autopilot, route builds on the control thread), the health checker and the
// watchdog. The main thread runs a loop of its own for signals (a signalfd: SIGHUP reloads,
// SIGTERM/SIGINT drain) and the watchdog; node metrics are registered in node_metrics.cc.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "admin/control_thread.h"
#include "admin/node_state.h"
#include "app/autopilot_wiring.h"
#include "app/gateway_metrics.h"
#include "app/node_cache.h"
#include "gateway/route_builds.h"
#include "app/smoke_check.h"
#include "app/webhook_notifier.h"
#include "app/worker_set.h"
#include "autopilot/autopilot.h"
#include "incident/escalation.h"
#include "incident/incident_metrics.h"
#include "incident/incident_store.h"
#include "release/release_controller.h"
#include "admin/operator_api.h"
#include "config/config.h"
#include "gateway/data_plane.h"
#include "gateway/health_checker.h"
#include "gateway/route_table.h"
#include "gateway/worker_context.h"
#include "http/server.h"
#include "net/event_loop.h"
#include "net/resolver.h"

namespace x0::app {

class Node {
 public:
  // config_path empty: embedded defaults.
  explicit Node(std::string config_path);
  ~Node();
  // Runs until a drain finishes. Returns the process exit code.
  int run();

 private:
  bool start();
  void register_node_metrics();
  void reload();
  void drain();
  // Main thread, every 50 ms: start-up completion and the watchdog over the workers' loops.
  void housekeeping();
  void apply_logging(const config::Config& config);
  bool start_control_plane(const config::Config& config);
  void control_tick();
  // Builds the route table from `config` and the current release routing, and publishes it.
  // The control thread is the only publisher (and start(), before that thread runs): a reload
  // and a release change are applied one after the other there (route_builds_, which looks new
  // endpoint names up first), so neither builds from what the other is about to replace.
  // Without `lookup` names are resolved blocking: start-up only.
  // Control thread, after the release controller's routing changed: rebuilds and publishes.
  void publish_release_routing();
  Result<void> publish_routes(const config::Config& config,
                              const gateway::RouteTable::AddressLookup& lookup = {});
  // Control thread: a SIGHUP's validated config and autopilot policy become the running ones
  // with the route table (once its new endpoint names are looked up), in one task, or are
  // refused (routes cannot be built) and the old ones keep running.
  void switch_config(std::shared_ptr<const config::Config> config,
                     std::shared_ptr<autopilot::Policy> policy);
  void apply_config(const std::shared_ptr<const config::Config>& config,
                    const std::shared_ptr<autopilot::Policy>& policy, const Result<void>& routes);
  // Control thread: the reload's policy replaces the autopilot's, with its escalation timers.
  void adopt_policy(autopilot::Policy policy, const config::Config& config);

  std::string config_path_;
  admin::NodeState state_;
  gateway::RouteTablePublisher routes_;  // published by the control thread only
  admin::ControlThread control_;
  std::unique_ptr<release::ReleaseController> releases_;
  std::unique_ptr<incident::IncidentMetrics> incident_metrics_;  // outlives the store
  std::unique_ptr<incident::IncidentStore> incidents_;
  std::unique_ptr<GatewayMetrics> metric_source_;
  std::unique_ptr<NodeActuator> actuator_;
  std::unique_ptr<HookRunner> hooks_;  // autopilot exec hooks, off the control thread
  // Name lookups for the control loop (its worker thread calls getaddrinfo). Its users below
  // (smoke checks, webhook posts, route builds) go first; all are touched on the control thread
  // only and destroyed after it stopped, before the loop itself.
  std::unique_ptr<net::Resolver> resolver_;
  std::unique_ptr<SmokeChecks> smoke_checks_;  // blue/green smoke checks: tasks on the control loop
  std::unique_ptr<WebhookNotifier> webhooks_;
  std::unique_ptr<gateway::RouteBuilds> route_builds_;  // control thread: every publication after start
  std::unique_ptr<IncidentLog> incident_log_;
  std::unique_ptr<autopilot::Autopilot> autopilot_;
  // Control ticks run so far (bumped on the control thread, read by scrapes): a stalled
  // control thread shows as a flat control_ticks_total.
  std::atomic<uint64_t> control_ticks_{0};
  uint64_t routing_seen_ = 0;  // control thread: the release routing version last published
  incident::EscalationPolicy escalation_policy_;  // from the policy file's [escalation]
  int64_t last_escalation_ms_ = 0;
  NodeCache cache_;  // outlives the workers, which read its store
  std::unique_ptr<gateway::HealthChecker> health_checker_;
  http::ServerLimits limits_;
  std::unique_ptr<Quota> body_budget_;  // [api_gateway] memory_pool_size, read at start
  // Node-wide connection budgets, one per listener, shared by every worker's Server: data
  // connections never take a probe's place. Declared before workers_ so they outlive them.
  std::unique_ptr<http::ConnectionBudget> data_connections_;
  std::unique_ptr<http::ConnectionBudget> health_connections_;
  std::unique_ptr<http::ConnectionBudget> metrics_connections_;
  std::unique_ptr<http::ConnectionBudget> operator_connections_;  // [listeners] operator, if set
  std::unique_ptr<WorkerSet> workers_;
  std::atomic<uint64_t> table_version_{0};  // read by scrapes
};

}  // namespace x0::app
