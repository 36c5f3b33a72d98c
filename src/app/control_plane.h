// The control plane: everything the control thread owns and runs. The release controller (its
// one notifier rebuilds the routes), the incident store and log, the autopilot with its metric
// source, actuator and exec hooks, blue/green smoke checks, incident notifications (queued in
// the store's outbox, sent by notify's own delivery thread), the resolver for
// all of their names, and the route builds: every route table after the first is published
// here. Its 100 ms tick runs detection, release steps and escalations; a reload's config and
// policy become current here in one step. Nothing on this thread waits on the network.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "admin/control_thread.h"
#include "admin/node_state.h"
#include "app/autopilot_wiring.h"
#include "app/gateway_metrics.h"
#include "app/hook_runner.h"
#include "app/smoke_check.h"
#include "autopilot/autopilot.h"
#include "autopilot/policy.h"
#include "config/config.h"
#include "gateway/route_builds.h"
#include "gateway/route_table.h"
#include "incident/escalation.h"
#include "incident/incident_metrics.h"
#include "incident/incident_store.h"
#include "net/resolver.h"
#include "notify/delivery.h"
#include "release/release_controller.h"

namespace x0::app {

// The autopilot policy a config names (its policy_file, or the embedded default), and its name
// for messages.
Result<autopilot::Policy> load_autopilot_policy(const config::Config& config);
std::string policy_file_name(const config::Config& config);

class ControlPlane {
 public:
  // Runs on the control thread when a reload's config becomes current: the node applies the
  // parts it owns itself (logging, connection budgets).
  using ConfigApplied = std::function<void(const config::Config&)>;

  // `upstream_tls` gives https:// endpoints their transports (it outlives the route tables).
  ControlPlane(admin::NodeState& state, gateway::RouteTablePublisher& routes,
               ConfigApplied config_applied, gateway::RouteTable::UpstreamTls upstream_tls);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Start-up, main thread, before the control thread runs: the release controller, the incident
  // store, the autopilot with the config's policy. False: logged (an invalid policy).
  bool start(const config::Config& config);
  // The first table, built on the main thread before any other thread runs (names resolved
  // blocking: start-up only).
  Result<void> publish_first_routes(const config::Config& config) {
    return publish_routes(config, {});
  }
  // Arms the tick and starts the control thread.
  void run();
  // A SIGHUP's validated config and policy (any thread): applied on the control thread.
  void reload(std::shared_ptr<const config::Config> config,
              std::shared_ptr<autopilot::Policy> policy);
  // Drain and shutdown: the exec hooks, then the control thread (idempotent).
  void stop();
  // Any thread: records an incident the node itself detected (e.g. a failed PQC self-test) on
  // the control thread, which owns the incident store; logged when the store is unavailable.
  void open_incident(incident::OpenRequest request);
  // Any thread: `fn` runs on the control thread every interval_ms from now on (the first run
  // after one interval), until the control thread stops.
  void every(int64_t interval_ms, std::function<void()> fn);

  // Scrapes, from any thread.
  uint64_t ticks() const { return ticks_.load(std::memory_order_relaxed); }
  uint64_t table_version() const { return table_version_.load(); }
  uint64_t decisions() const;

 private:
  void tick();  // every 100 ms on the control thread
  // Control thread, after the release controller's routing changed: rebuilds and publishes.
  void publish_release_routing();
  // Builds the route table from `config` and the current release routing, and publishes it.
  // This thread is the only publisher (and start-up, before it runs): a reload and a release
  // change are applied one after the other here (route_builds_, which looks new endpoint names
  // up first), so neither builds from what the other is about to replace. Without `lookup`
  // names are resolved blocking: start-up only.
  Result<void> publish_routes(const config::Config& config,
                              const gateway::RouteTable::AddressLookup& lookup);
  // A reload: the routes (once new endpoint names are looked up), then, in one task, the config
  // and the policy; or refused (routes cannot be built) and the old ones keep running.
  void switch_config(std::shared_ptr<const config::Config> config,
                     std::shared_ptr<autopilot::Policy> policy);
  void apply_config(const std::shared_ptr<const config::Config>& config,
                    const std::shared_ptr<autopilot::Policy>& policy, const Result<void>& routes);
  // The reload's policy replaces the autopilot's, with its escalation timers.
  void adopt_policy(autopilot::Policy policy, const config::Config& config);

  admin::NodeState& state_;
  gateway::RouteTablePublisher& routes_;  // published here only
  void repeat(int64_t interval_ms, std::shared_ptr<std::function<void()>> fn);

  ConfigApplied config_applied_;
  gateway::RouteTable::UpstreamTls upstream_tls_;
  admin::ControlThread control_;
  std::unique_ptr<release::ReleaseController> releases_;
  std::unique_ptr<incident::IncidentMetrics> incident_metrics_;  // outlives the store
  std::unique_ptr<incident::IncidentStore> incidents_;
  // Notifications: its thread reads the store's outbox; stopped before the store goes.
  std::unique_ptr<notify::Delivery> delivery_;
  std::unique_ptr<GatewayMetrics> metric_source_;
  std::unique_ptr<NodeActuator> actuator_;
  std::unique_ptr<HookRunner> hooks_;  // autopilot exec hooks, off the control thread
  // Name lookups for the control loop (its worker thread calls getaddrinfo). Its users below
  // (smoke checks, route builds) go first; all are touched on the control thread
  // only and destroyed after it stopped, before the loop itself.
  std::unique_ptr<net::Resolver> resolver_;
  std::unique_ptr<SmokeChecks> smoke_checks_;  // blue/green smoke checks: tasks on the control loop
  std::unique_ptr<gateway::RouteBuilds> route_builds_;
  std::unique_ptr<IncidentLog> incident_log_;
  std::unique_ptr<autopilot::Autopilot> autopilot_;
  // Ticks run so far (bumped on the control thread, read by scrapes): a stalled control thread
  // shows as a flat control_ticks_total.
  std::atomic<uint64_t> ticks_{0};
  std::atomic<uint64_t> table_version_{0};
  uint64_t routing_seen_ = 0;                     // the release routing version last published
  incident::EscalationPolicy escalation_policy_;  // from the policy file's [escalation]
  int64_t last_escalation_ms_ = 0;
};

}  // namespace x0::app
