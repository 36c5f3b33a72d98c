// Node start-up, the main loop (signals, housekeeping), reload, drain and the wiring of the
// control plane (see node.h).
#include "app/node.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>

#include "app/escalation_tick.h"
#include "app/smoke_check.h"
#include "app/start_log.h"
#include "common/clock.h"
#include "common/log.h"
#include "incident/incident_metrics.h"
#include "gateway/access_log.h"
#include "net/timer.h"
#include "telemetry/metrics.h"

namespace x0::app {
namespace {

constexpr int64_t kStuckAfterMs = 3000;
constexpr int64_t kControlTickMs = 100;  // autopilot and release steps: the MTTD resolution

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

Result<config::Config> load(const std::string& path) {
  return path.empty() ? config::load_defaults() : config::load_file(path);
}


}  // namespace

Node::Node(std::string config_path) : config_path_(std::move(config_path)) {}

Node::~Node() {
  control_.stop();
  smoke_checks_.reset();  // their clients and timers belong to the (stopped) control loop
  webhooks_.reset();
  route_builds_.reset();
  resolver_.reset();
  if (workers_) workers_->stop();
  if (health_checker_) health_checker_->stop();
}

void Node::apply_logging(const config::Config& config) {
  gateway::set_access_log(config.security.log_all_requests);
  log::Level level = log::Level::kInfo;
  if (log::parse_level(config.logging.level, &level)) log::set_level(level);
  uint64_t max_bytes = static_cast<uint64_t>(config.logging.max_size_mb) * 1024 * 1024;
  if (!log::set_file(config.logging.file, max_bytes, config.logging.max_files)) {
    log::error("CONFIG", "cannot open log file, logging to stderr", {{"file", config.logging.file}});
  }
}

namespace {

// The main thread's signals, read from a signalfd on its own loop.
class SignalWatch final : public net::IoHandler {
 public:
  SignalWatch(int fd, std::function<void(int)> on_signal) : fd_(fd), on_signal_(std::move(on_signal)) {}
  void on_io(uint32_t) override {
    signalfd_siginfo info{};
    while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      on_signal_(static_cast<int>(info.ssi_signo));
    }
  }

 private:
  int fd_;
  std::function<void(int)> on_signal_;
};

// Re-arms itself: the main loop's periodic work.
struct Every {
  int64_t period_ms;
  std::function<void()> work;
  net::Timer timer;
  Every(net::EventLoop& loop, int64_t period, std::function<void()> fn)
      : period_ms(period), work(std::move(fn)), timer(loop, net::Timer::call<&Every::fire>(this)) {
    timer.arm(period_ms);
  }
  void fire() {
    work();
    timer.arm(period_ms);
  }
};

}  // namespace

int Node::run() {
  // Signals are read from a signalfd on the main thread's loop; every thread inherits the
  // blocked mask, so no thread is ever interrupted by one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  net::Fd sfd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd.valid()) {
    log::error("NODE", "cannot create the signalfd", {{"errno", errno}});
    return 1;
  }

  if (!start()) return 1;

  net::EventLoop main_loop;
  SignalWatch watch(sfd.get(), [this, &main_loop](int sig) {
    if (sig == SIGHUP) {
      reload();
      return;
    }
    if (state_.draining.load()) return;  // a second TERM/INT while draining changes nothing
    log::info("NODE", "draining", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    drain();
    main_loop.stop();
  });
  main_loop.add(sfd.get(), EPOLLIN, &watch);
  Every housekeeping(main_loop, 50, [this] { this->housekeeping(); });
  main_loop.run();
  main_loop.remove(sfd.get(), &watch);
  log::info("NODE", "stopped");
  return 0;
}

void Node::housekeeping() {
  if (!state_.startup_complete.load() && health_checker_->first_round_done() &&
      state_.cache.restore_done.load()) {
    state_.startup_complete.store(true);
    log::info("NODE", "start-up complete: first health checks done, cache restored");
    cache_.warm_preload_list();
  }
  int stuck = workers_->stuck(net::EventLoop::monotonic_ms(), kStuckAfterMs);
  int before = state_.stuck_workers.exchange(stuck);
  if (stuck > 0 && before == 0) log::error("NODE", "worker loop stuck", {{"workers", stuck}});
}

bool Node::start() {
  auto loaded = load(config_path_);
  if (!loaded) {
    log::error("CONFIG", "invalid configuration", {{"detail", loaded.error().detail}});
    return false;
  }
  auto config = std::make_shared<const config::Config>(std::move(*loaded));
  apply_logging(*config);
  if (config->api_gateway.enable_dpdk) {
    log::warn("NET", "enable_dpdk = true but this build has no DPDK: running on kernel networking");
  }
  ::mkdir(config->node.data_dir.c_str(), 0750);

  state_.version = X0_VERSION;
  state_.node_id = config->node.id;
  state_.started_unix = std::time(nullptr);
  state_.started_mono_ms = net::EventLoop::monotonic_ms();
  state_.config.store(config);
  state_.routes = &routes_;
  // Host components are sampled off the workers; the first sample is taken here, so /health
  // has every component from its first request. (The interval is read once, at start.)
  state_.host_sampler = std::make_unique<telemetry::HostSampler>(
      std::make_unique<telemetry::HostProbe>(config->node.data_dir, telemetry::HostThresholds{},
                                             config->api_gateway.enable_dpdk),
      std::chrono::milliseconds(config->performance_monitor.collection_interval_ms));
  state_.host_sampler->start();
  state_.isolated.store(config->security.isolate);

  if (!start_control_plane(*config)) return false;
  cache_.start(*config, state_);
  if (auto ok = publish_routes(*config); !ok) {
    log::error("CONFIG", "cannot build routes", {{"detail", ok.error().detail}});
    return false;
  }

  limits_.parse.max_header_bytes = static_cast<size_t>(config->api_gateway.max_header_bytes);
  limits_.parse.max_headers = static_cast<size_t>(config->api_gateway.max_headers);
  limits_.parse.max_body_bytes = static_cast<uint64_t>(config->api_gateway.max_body_bytes);
  limits_.header_timeout_ms = config->api_gateway.header_timeout_ms;
  limits_.idle_timeout_ms = config->api_gateway.idle_timeout_ms;
  limits_.send_timeout_ms = config->api_gateway.send_timeout_ms;
  body_budget_ = std::make_unique<Quota>(
      static_cast<uint64_t>(config->api_gateway.memory_pool_size));
  limits_.body_budget = body_budget_.get();

  auto data_cap = static_cast<size_t>(config->api_gateway.max_connections);
  auto probe_cap = static_cast<size_t>(config->api_gateway.max_probe_connections);
  data_connections_ = std::make_unique<http::ConnectionBudget>("data", data_cap);
  health_connections_ = std::make_unique<http::ConnectionBudget>("health", probe_cap);
  metrics_connections_ = std::make_unique<http::ConnectionBudget>("metrics", probe_cap);
  operator_connections_ = std::make_unique<http::ConnectionBudget>("operator", probe_cap);

  health_checker_ = std::make_unique<gateway::HealthChecker>(routes_);
  state_.health_checker = health_checker_.get();
  register_node_metrics();

  int threads = config->api_gateway.worker_threads;
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  workers_ = std::make_unique<WorkerSet>(WorkerSet::Shared{
      state_, routes_, limits_, cache_.store(),
      {data_connections_.get(), health_connections_.get(), metrics_connections_.get(),
       operator_connections_.get()}});
  if (!workers_->start(*config, threads)) return false;
  workers_->run();
  health_checker_->start();
  // Armed before the thread starts: once a loop runs, only its own thread touches its timers.
  control_.loop().add_timer(kControlTickMs, [this] { control_tick(); });
  control_.start();
  log::info("NODE", "started",
            {{"version", state_.version}, {"node_id", state_.node_id}, {"config", config->source},
             {"workers", threads}, {"data", config->listeners.data},
             {"health", config->listeners.health}, {"metrics", config->listeners.metrics},
             {"operator", config->listeners.operator_api.empty() ? "data" : config->listeners.operator_api},
             {"services", config->services.size()}});
  return true;
}

bool Node::start_control_plane(const config::Config& config) {
  state_.control = &control_;
  release::ControllerOptions options;
  options.data_dir = config.node.data_dir;
  // The one notifier of release routing changes (API, autopilot, ticks, reloads alike): the
  // controller calls it under its lock, so the rebuild runs from the control loop after the
  // change (start-up: once the loop runs; publish_release_routing skips what is already out).
  options.routing_changed = [this] { control_.loop().defer([this] { publish_release_routing(); }); };
  releases_ = std::make_unique<release::ReleaseController>(options);
  releases_->adopt_config(stable_sets(config), "system");
  state_.releases.controller = releases_.get();
  resolver_ = std::make_unique<net::Resolver>(control_.loop());
  smoke_checks_ = std::make_unique<SmokeChecks>(control_.loop(), *resolver_);
  webhooks_ = std::make_unique<WebhookNotifier>(control_.loop(), *resolver_);
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
  route_builds_ = std::make_unique<gateway::RouteBuilds>(control_.loop(), *resolver_, std::move(hooks));
  state_.releases.smoke_check = [this](const release::Release& r, std::function<void(Result<void>)> done) {
    smoke_checks_->start(r, std::move(done));
  };
  routing_seen_ = releases_->routing_version();

  incident_metrics_ = std::make_unique<incident::IncidentMetrics>(telemetry::default_registry());
  state_.incidents.metrics = incident_metrics_.get();
  incident::StoreOptions store_options;
  store_options.metrics = incident_metrics_.get();
  auto store = incident::IncidentStore::open(config.incidents.store, store_options);
  if (store) {
    incidents_ = std::move(*store);
    state_.incidents.store = incidents_.get();
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
  autopilot_ = std::make_unique<autopilot::Autopilot>(std::move(*policy), *metric_source_, *actuator_,
                                                      *incident_log_, config.autopilot.dry_run);
  return true;
}

// Runs on the control thread every kControlTickMs.
void Node::control_tick() {
  control_ticks_.fetch_add(1, std::memory_order_relaxed);
  int64_t now = unix_ms();
  if (state_.config.load()->autopilot.enabled) autopilot_->tick(now);
  releases_->tick(now, [this](const std::string& service) {
    switch (autopilot_->candidate_verdict(service)) {
      case autopilot::Verdict::kClean: return release::Analysis::kClean;
      case autopilot::Verdict::kBreached: return release::Analysis::kDirty;
      default: return release::Analysis::kInsufficientData;
    }
  });
  if (incidents_ && now - last_escalation_ms_ >= 1000) {
    last_escalation_ms_ = now;
    auto config = state_.config.load();
    escalate_due(*incidents_, escalation_policy_, [&](const std::string& body) {
      for (const auto& url : config->notify.webhooks)
        webhooks_->post(url, body, config->notify.webhook_timeout_ms);
    }, now);
  }
  control_.loop().add_timer(kControlTickMs, [this] { control_tick(); });
}

void Node::publish_release_routing() {
  if (releases_->routing_version() == routing_seen_) return;  // already in the published table
  route_builds_->request(nullptr, [](const Result<void>& ok) {
    if (!ok) log::error("RELEASE", "cannot publish release routing", {{"detail", ok.error().detail}});
  });
}

Result<void> Node::publish_routes(const config::Config& config,
                                  const gateway::RouteTable::AddressLookup& lookup) {
  uint64_t version = releases_->routing_version();
  auto table = gateway::RouteTable::build(config, to_splits(*releases_->routing()),
                                          routes_.current().get(), ++table_version_, lookup);
  if (!table) return std::unexpected(table.error());
  routes_.publish(*table);
  routing_seen_ = version;
  return {};
}

// Main thread: reads and validates the file and the autopilot policy it names, then hands both
// to the control thread, which makes them current (switch_config). A reload is one step: an
// invalid policy refuses it as an invalid config does, and the old config and policy keep
// running. The control thread counts and logs the outcome: nothing here waits for it, so a
// control thread busy with a smoke check delays the reload, not the watchdog.
void Node::reload() {
  log::info("CONFIG", "reload requested (SIGHUP)");
  auto loaded = load(config_path_);
  if (!loaded) {
    state_.reloads_failed.fetch_add(1);
    log::error("CONFIG", "reload refused: the new configuration is invalid; the old one keeps running",
               {{"detail", loaded.error().detail}});
    return;
  }
  auto policy = load_autopilot_policy(*loaded);
  if (!policy) {
    state_.reloads_failed.fetch_add(1);
    log::error("AUTOPILOT",
               "reload refused: the autopilot policy is invalid; the old configuration and policy "
               "keep running",
               {{"policy_file", policy_file_name(*loaded)}, {"detail", policy.error().detail}});
    return;
  }
  auto config = std::make_shared<const config::Config>(std::move(*loaded));
  auto next = std::make_shared<autopilot::Policy>(std::move(*policy));
  control_.post([this, config, next] { switch_config(config, next); });
}

// On the control thread: new endpoint names are looked up first (route_builds_, without
// blocking the thread); then, in one task, the table is built from the new config and the release
// routing of that moment, and published, the config is stored and the policy handed to the
// autopilot between two of its ticks (apply_config). No release change can run in between (it
// runs on this thread, queued behind the reload), so none builds from the old config afterwards.
void Node::switch_config(std::shared_ptr<const config::Config> config,
                         std::shared_ptr<autopilot::Policy> policy) {
  route_builds_->request(config, [this, config, policy](const Result<void>& routes) {
    apply_config(config, policy, routes);
  });
}

void Node::apply_config(const std::shared_ptr<const config::Config>& config,
                        const std::shared_ptr<autopilot::Policy>& policy,
                        const Result<void>& routes) {
  auto old = state_.config.load();
  if (!routes) {
    state_.reloads_failed.fetch_add(1);
    log::error("CONFIG", "reload refused: routes cannot be built; the old configuration keeps running",
               {{"detail", routes.error().detail}});
    return;
  }
  state_.config.store(config);
  state_.isolated.store(config->security.isolate);
  if (config->listeners.data != old->listeners.data ||
      config->listeners.health != old->listeners.health ||
      config->listeners.metrics != old->listeners.metrics ||
      config->listeners.operator_api != old->listeners.operator_api ||
      config->api_gateway.worker_threads != old->api_gateway.worker_threads) {
    log::warn("CONFIG", "listener and worker changes take effect at the next restart");
  }
  apply_logging(*config);  // process-wide atomics: safe from this thread
  data_connections_->set_limit(static_cast<size_t>(config->api_gateway.max_connections));
  for (http::ConnectionBudget* probes :
       {health_connections_.get(), metrics_connections_.get(), operator_connections_.get()}) {
    probes->set_limit(static_cast<size_t>(config->api_gateway.max_probe_connections));
  }
  // A promoted release whose candidate is now the configured stable set is done: its routing
  // goes, and the table is published again from the config just stored.
  releases_->adopt_config(stable_sets(*config), "system");
  adopt_policy(std::move(*policy), *config);
  state_.reloads_ok.fetch_add(1);
  log::info("CONFIG", "reloaded", {{"source", config->source}, {"services", config->services.size()},
                                   {"route_table_version", table_version_.load()}});
}

// Control thread (the autopilot's owner), between two ticks: Autopilot::set_policy says what
// carries over. The escalation timers come from the policy file, dry_run from the config.
void Node::adopt_policy(autopilot::Policy policy, const config::Config& config) {
  size_t rules = policy.rules.size();
  std::string source = policy.source;
  escalation_policy_ = escalation_policy_from(policy.escalation);
  autopilot_->set_policy(std::move(policy));
  autopilot_->set_dry_run(config.autopilot.dry_run);
  log::info("AUTOPILOT", "policy reloaded", {{"source", source}, {"rules", rules},
                                            {"dry_run", config.autopilot.dry_run ? "true" : "false"}});
}

void Node::drain() {
  state_.draining.store(true);
  workers_->drain(state_.config.load()->api_gateway.drain_timeout_ms);
  health_checker_->stop();
  hooks_->stop();
  control_.stop();
  cache_.stop();
}

}  // namespace x0::app
