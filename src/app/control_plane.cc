// The control plane (see control_plane.h).
#include "app/control_plane.h"

#include <map>

#include "admin/isolation.h"
#include "admin/status_api.h"
#include "app/escalation_tick.h"
#include "app/start_log.h"
#include "common/clock.h"
#include "common/log.h"
#include "gateway/upstream_gauges.h"
#include "notify/planner.h"
#include "telemetry/metrics.h"

namespace x0::app {
namespace {

constexpr int64_t kControlTickMs = 100;  // autopilot and release steps: the MTTD resolution

gateway::TrafficSplits to_splits(const release::RoutingSet& routing) {
  gateway::TrafficSplits splits;
  for (const auto& [service, r] : routing) {
    splits[service] = gateway::TrafficSplit{r.candidate, r.weight_bp, r.header_name, r.header_value,
                                            r.candidate_only};
  }
  return splits;
}

std::map<std::string, std::vector<config::Endpoint>> stable_sets(const config::Config& config) {
  std::map<std::string, std::vector<config::Endpoint>> out;
  for (const auto& s : config.services) out[s.name] = s.endpoints;
  return out;
}

}  // namespace

// The policy a config names: its policy_file, or the embedded default when that is empty.
std::string policy_file_name(const config::Config& config) {
  return config.autopilot.policy_file.empty() ? "<embedded policy/default.toml>"
                                              : config.autopilot.policy_file;
}

Result<autopilot::Policy> load_autopilot_policy(const config::Config& config) {
  return config.autopilot.policy_file.empty()
             ? autopilot::parse_policy(autopilot::default_policy_text(), policy_file_name(config))
             : autopilot::load_policy(config.autopilot.policy_file);
}

ControlPlane::ControlPlane(admin::NodeState& state, gateway::RouteTablePublisher& routes,
                           ConfigApplied config_applied,
                           gateway::RouteTable::UpstreamTls upstream_tls)
    : state_(state),
      routes_(routes),
      config_applied_(std::move(config_applied)),
      upstream_tls_(std::move(upstream_tls)) {}

ControlPlane::~ControlPlane() {
  stop();
  smoke_checks_.reset();  // their clients and timers belong to the (stopped) control loop
  route_builds_.reset();
  resolver_.reset();
}

void ControlPlane::run() {
  // Armed before the thread starts: once a loop runs, only its own thread touches its timers.
  control_.loop().add_timer(kControlTickMs, [this] { tick(); });
  control_.start();
}

void ControlPlane::stop() {
  if (hooks_) hooks_->stop();
  control_.stop();
  if (delivery_) delivery_->stop();  // queued rows stay in the outbox for the next start
}

void ControlPlane::reload(std::shared_ptr<const config::Config> config,
                          std::shared_ptr<autopilot::Policy> policy) {
  control_.post([this, config, policy] { switch_config(config, policy); });
}

void ControlPlane::open_incident(incident::OpenRequest request) {
  control_.post([this, request = std::move(request)] {
    if (!incidents_) {
      log::error("INCIDENT", "incident not recorded: the store is unavailable",
                 {{"title", request.title}});
      return;
    }
    auto opened = incidents_->open_incident(request);
    if (!opened) {
      log::error("INCIDENT", "incident not recorded",
                 {{"title", request.title}, {"detail", opened.error().detail}});
    }
  });
}

void ControlPlane::every(int64_t interval_ms, std::function<void()> fn) {
  control_.post([this, interval_ms, fn = std::move(fn)]() mutable {
    repeat(interval_ms, std::make_shared<std::function<void()>>(std::move(fn)));
  });
}

void ControlPlane::repeat(int64_t interval_ms, std::shared_ptr<std::function<void()>> fn) {
  control_.loop().add_timer(interval_ms, [this, interval_ms, fn] {
    (*fn)();
    repeat(interval_ms, fn);
  });
}

uint64_t ControlPlane::decisions() const { return autopilot_ ? autopilot_->decisions() : 0; }

bool ControlPlane::start(const config::Config& config) {
  state_.control = &control_;
  release::ControllerOptions options;
  options.data_dir = config.node.data_dir;
  // The one notifier of release routing changes (API, autopilot, ticks, reloads alike): the
  // controller calls it under its lock, so the rebuild runs from the control loop after the
  // change (start-up: once the loop runs; publish_release_routing skips what is already out).
  options.routing_changed = [this] {
    control_.loop().defer([this] { publish_release_routing(); });
  };
  releases_ = std::make_unique<release::ReleaseController>(options);
  releases_->adopt_config(stable_sets(config), "system");
  state_.releases.controller = releases_.get();
  resolver_ = std::make_unique<net::Resolver>(control_.loop());
  smoke_checks_ = std::make_unique<SmokeChecks>(control_.loop(), *resolver_);
  gateway::RouteBuilds::Hooks hooks;
  hooks.names_to_resolve = [this](const config::Config& c) {
    return gateway::RouteTable::names_to_resolve(c, to_splits(*releases_->routing()),
                                                 routes_.current().get());
  };
  hooks.build_and_publish = [this](const config::Config& c,
                                   const gateway::RouteTable::AddressLookup& lookup) {
    return publish_routes(c, lookup);
  };
  hooks.running_config = [this] { return state_.config.load(); };
  route_builds_ =
      std::make_unique<gateway::RouteBuilds>(control_.loop(), *resolver_, std::move(hooks));
  state_.releases.smoke_check = [this](const release::Release& r,
                                       std::function<void(Result<void>)> done) {
    smoke_checks_->start(r, std::move(done));
  };
  state_.releases.when_routed = [this](std::function<void(Result<void>)> done) {
    if (releases_->routing_version() == routing_seen_) return done({});
    route_builds_->request(nullptr, std::move(done));  // shares a rebuild already waiting
  };
  routing_seen_ = releases_->routing_version();

  incident_metrics_ = std::make_unique<incident::IncidentMetrics>(telemetry::default_registry());
  state_.incidents.metrics = incident_metrics_.get();
  incident::StoreOptions store_options;
  store_options.metrics = incident_metrics_.get();
  // Inside the store's transactions: decide only (the running config's channels), never wait.
  store_options.plan_notifications = [this](const notify::Event& event) {
    return notify::plan(state_.config.load()->notify.channels, event);
  };
  store_options.notifications_queued = [this] {
    if (delivery_) delivery_->wake();
  };
  auto store = incident::IncidentStore::open(config.incidents.store, store_options);
  if (store) {
    incidents_ = std::move(*store);
    state_.incidents.store = incidents_.get();
    notify::DeliveryOptions delivery_options;
    delivery_options.node_id = config.node.id;
    delivery_options.public_url = config.notify.public_url;
    delivery_options.give_up_after_ms = int64_t{config.notify.give_up_after_s} * 1000;
    delivery_ = std::make_unique<notify::Delivery>(
        *incidents_, config.notify.channels, std::move(delivery_options),
        telemetry::default_registry(),
        [](const std::atomic<bool>* abort) { return notify::make_curl_transport(abort); });
    state_.notify_health = [this] { return delivery_->health(); };
    // Rows queued before a restart (kill -9 included) go out now.
    delivery_->start();
    // The status page's uptime history: one sample per component per interval, here because
    // this thread owns the store (the sample itself reads only atomics and snapshots).
    every(int64_t{config.status.sample_interval_s} * 1000, [this] {
      if (state_.config.load()->status.enabled) admin::sample_uptime(state_, *incidents_);
    });
  } else {
    state_.incidents.unavailable = store.error().detail;
    log::error("INCIDENT", "incident store unavailable", {{"detail", store.error().detail}});
  }

  auto policy = load_autopilot_policy(config);
  if (!policy) {
    log::error("AUTOPILOT", "invalid policy", {{"detail", policy.error().detail}});
    return false;
  }
  escalation_policy_ = escalation_policy_from(policy->escalation);
  std::vector<int64_t> restarts = record_start(config.node.data_dir, unix_ms());
  if (!restarts.empty()) {
    log::info("NODE", "restarted", {{"restarts_on_record", restarts.size()}});
  }
  metric_source_ = std::make_unique<GatewayMetrics>(routes_, state_, std::move(restarts));
  actuator_ = std::make_unique<NodeActuator>(state_);
  hooks_ = std::make_unique<HookRunner>(control_, state_);
  hooks_->start();
  incident_log_ = std::make_unique<IncidentLog>(state_, hooks_.get());
  autopilot_ = std::make_unique<autopilot::Autopilot>(
      std::move(*policy), *metric_source_, *actuator_, *incident_log_, config.autopilot.dry_run);
  return true;
}

// Runs on the control thread every kControlTickMs.
void ControlPlane::tick() {
  ticks_.fetch_add(1, std::memory_order_relaxed);
  int64_t now = unix_ms();
  if (state_.config.load()->autopilot.enabled) {
    autopilot_->tick(now);
    metric_source_->publish_measured(*autopilot_);
  }
  releases_->tick(now, [this](const std::string& service) {
    switch (autopilot_->candidate_verdict(service)) {
      case autopilot::Verdict::kClean:
        return release::Analysis::kClean;
      case autopilot::Verdict::kBreached:
        return release::Analysis::kDirty;
      default:
        return release::Analysis::kInsufficientData;
    }
  });
  if (incidents_ && now - last_escalation_ms_ >= 1000) {
    last_escalation_ms_ = now;
    escalate_due(*incidents_, escalation_policy_, now);
  }
  control_.loop().add_timer(kControlTickMs, [this] { tick(); });
}

void ControlPlane::publish_release_routing() {
  if (releases_->routing_version() == routing_seen_) return;  // already in the published table
  route_builds_->request(nullptr, [](const Result<void>& ok) {
    if (!ok)
      log::error("RELEASE", "cannot publish release routing", {{"detail", ok.error().detail}});
  });
}

Result<void> ControlPlane::publish_routes(const config::Config& config,
                                          const gateway::RouteTable::AddressLookup& lookup) {
  uint64_t version = releases_->routing_version();
  auto table =
      gateway::RouteTable::build(config, to_splits(*releases_->routing()), routes_.current().get(),
                                 ++table_version_, lookup, upstream_tls_);
  if (!table) return std::unexpected(table.error());
  routes_.publish(*table);
  gateway::register_upstream_gauges(routes_, **table, telemetry::default_registry());
  routing_seen_ = version;
  return {};
}

// On the control thread: new endpoint names are looked up first (route_builds_, without
// blocking the thread); then, in one task, the table is built from the new config and the release
// routing of that moment, and published, the config is stored and the policy handed to the
// autopilot between two of its ticks (apply_config). No release change can run in between (it
// runs on this thread, queued behind the reload), so none builds from the old config afterwards.
void ControlPlane::switch_config(std::shared_ptr<const config::Config> config,
                                 std::shared_ptr<autopilot::Policy> policy) {
  route_builds_->request(config, [this, config, policy](const Result<void>& routes) {
    apply_config(config, policy, routes);
  });
}

void ControlPlane::apply_config(const std::shared_ptr<const config::Config>& config,
                                const std::shared_ptr<autopilot::Policy>& policy,
                                const Result<void>& routes) {
  auto old = state_.config.load();
  if (!routes) {
    state_.reloads_failed.fetch_add(1);
    log::error("CONFIG",
               "reload refused: routes cannot be built; the old configuration keeps running",
               {{"detail", routes.error().detail}});
    return;
  }
  state_.config.store(config);
  if (delivery_) delivery_->set_channels(config->notify.channels);
  if (config->listeners.data != old->listeners.data ||
      config->listeners.health != old->listeners.health ||
      config->listeners.metrics != old->listeners.metrics ||
      config->listeners.operator_api != old->listeners.operator_api ||
      config->api_gateway.worker_threads != old->api_gateway.worker_threads) {
    log::warn("CONFIG", "listener and worker changes take effect at the next restart");
  }
  if (config_applied_) config_applied_(*config);  // the node's own parts: logging, budgets
  // After the logging: an isolation keeps the request log on whatever the config says.
  state_.isolation.by_config = config->security.isolate;
  admin::apply_isolation(state_);
  // A promoted release whose candidate is now the configured stable set is done: its routing
  // goes, and the table is published again from the config just stored.
  releases_->adopt_config(stable_sets(*config), "system");
  adopt_policy(std::move(*policy), *config);
  state_.reloads_ok.fetch_add(1);
  log::info("CONFIG", "reloaded",
            {{"source", config->source},
             {"services", config->services.size()},
             {"route_table_version", table_version_.load()}});
}

// Control thread (the autopilot's owner), between two ticks: Autopilot::set_policy says what
// carries over. The escalation timers come from the policy file, dry_run from the config.
void ControlPlane::adopt_policy(autopilot::Policy policy, const config::Config& config) {
  size_t rules = policy.rules.size();
  std::string source = policy.source;
  std::string_view canary = autopilot::to_string(policy.canary_compare_action);
  escalation_policy_ = escalation_policy_from(policy.escalation);
  autopilot_->set_policy(std::move(policy));
  autopilot_->set_dry_run(config.autopilot.dry_run);
  log::info("AUTOPILOT", "policy reloaded",
            {{"source", source},
             {"rules", rules},
             {"canary_compare_action", canary},
             {"dry_run", config.autopilot.dry_run ? "true" : "false"}});
}

}  // namespace x0::app
