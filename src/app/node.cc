// Node start-up, signals, reload, drain and watchdog (see node.h).
#include "app/node.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>

#include "app/escalation_tick.h"
#include "app/smoke_check.h"
#include "app/start_log.h"
#include "common/clock.h"
#include "common/log.h"
#include "incident/incident_metrics.h"
#include "gateway/access_log.h"
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

Result<net::SocketAddress> listener_address(const std::string& text) {
  auto hp = config::parse_host_port(text);
  if (!hp) return std::unexpected(hp.error());
  return net::resolve(hp->first, hp->second);
}

uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

Node::Node(std::string config_path) : config_path_(std::move(config_path)) {}

Node::~Node() {
  control_.stop();
  smoke_checks_.reset();  // their clients and timers belong to the (stopped) control loop
  webhooks_.reset();
  route_builds_.reset();
  resolver_.reset();
  for (auto& w : workers_) {
    w->loop.stop();
    if (w->thread.joinable()) w->thread.join();
  }
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

int Node::run() {
  // Signals are handled synchronously on this thread; workers inherit the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGHUP);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  int sfd = signalfd(-1, &signals, SFD_CLOEXEC);

  if (!start()) return 1;

  std::vector<uint64_t> last_iterations(workers_.size(), 0);
  std::vector<int64_t> last_change(workers_.size(), net::EventLoop::monotonic_ms());
  for (;;) {
    timespec timeout{0, 50 * 1000 * 1000};
    sigset_t pending;
    (void)pending;
    siginfo_t info{};
    int sig = sigtimedwait(&signals, &info, &timeout);
    if (!state_.startup_complete.load() && health_checker_->first_round_done() &&
        state_.cache_restore_done.load()) {
      state_.startup_complete.store(true);
      log::info("NODE", "start-up complete: first health checks done, cache restored");
      cache_.warm_preload_list();
    }
    watchdog_tick(last_iterations, last_change);
    if (sig < 0) continue;
    if (sig == SIGHUP) {
      reload();
      continue;
    }
    log::info("NODE", "draining", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    drain();
    break;
  }
  if (sfd >= 0) close(sfd);
  log::info("NODE", "stopped");
  return 0;
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
  for (int i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->index = i;
    if (!start_worker(*worker, *config)) return false;
    worker->context->capture_budget =
        static_cast<size_t>(config->cache.max_bytes) / 4 / static_cast<size_t>(threads);
    workers_.push_back(std::move(worker));
  }
  for (auto& w : workers_) {
    Worker* raw = w.get();
    raw->thread = std::thread([raw] {
      telemetry::set_thread_shard(static_cast<size_t>(raw->index) + 1);
      raw->loop.run();
    });
  }
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

bool Node::start_worker(Worker& worker, const config::Config& config) {
  worker.context = std::make_unique<gateway::WorkerContext>(worker.loop, routes_, worker.index);
  worker.context->isolated = &state_.isolated;
  worker.context->cache = cache_.store();
  worker.server = std::make_unique<http::Server>(worker.loop, limits_);
  worker.api_data = std::make_unique<admin::OperatorApi>(state_, admin::Scope::kDataPlane);
  worker.api_health = std::make_unique<admin::OperatorApi>(state_, admin::Scope::kHealthPort);
  worker.api_metrics = std::make_unique<admin::OperatorApi>(state_, admin::Scope::kMetricsPort);
  // With a listener of its own ([listeners] operator) the operator API leaves the data plane,
  // which then routes every path to the services.
  bool own_operator_listener = !config.listeners.operator_api.empty();
  worker.data_plane = std::make_unique<gateway::DataPlane>(
      *worker.context, own_operator_listener ? nullptr : worker.api_data.get());
  struct Listener {
    const char* name;
    const std::string& address;
    http::RequestHandler& handler;
    http::ConnectionBudget& budget;
  };
  Listener listeners[] = {
      {"data", config.listeners.data, *worker.data_plane, *data_connections_},
      {"health", config.listeners.health, *worker.api_health, *health_connections_},
      {"metrics", config.listeners.metrics, *worker.api_metrics, *metrics_connections_},
      {"operator", config.listeners.operator_api, *worker.api_data, *operator_connections_}};
  for (const Listener& l : listeners) {
    if (l.address.empty()) continue;  // only the operator listener may be off
    auto address = listener_address(l.address);
    if (!address) {
      log::error("NET", "bad listener address", {{"listener", l.name}, {"detail", address.error().detail}});
      return false;
    }
    if (auto ok = worker.server->listen(*address, l.handler, true, l.budget); !ok) {
      log::error("NET", "cannot listen", {{"listener", l.name}, {"detail", ok.error().detail}});
      return false;
    }
  }
  return true;
}

void Node::register_node_metrics() {
  auto& r = telemetry::default_registry();
  telemetry::register_process_metrics(r);
  r.gauge_callback("x0tta6bl4_build_info", "Build information.", {{"version", state_.version}},
                   [] { return 1.0; });
  r.gauge_callback("memory_usage_bytes", "Resident memory of the node.", {},
                   [] { return static_cast<double>(resident_bytes()); });
  r.gauge_callback("queue_depth", "Proxied requests in progress, all workers.", {}, [this] {
    double total = 0;
    for (auto& w : workers_) total += static_cast<double>(w->context->in_flight.load());
    return total;
  });
  r.gauge_callback("connection_pool_idle_connections",
                   "Idle keep-alive upstream connections, all workers.", {}, [this] {
                     double total = 0;
                     for (auto& w : workers_) total += static_cast<double>(w->context->pool.idle_count());
                     return total;
                   });
  r.gauge_callback("request_body_bytes_buffered",
                   "Request-body bytes held in memory, all connections ([api_gateway] memory_pool_size caps them).",
                   {}, [this] { return static_cast<double>(body_budget_->used()); });
  r.counter_callback("request_body_budget_refused_total",
                     "Requests answered 503 because the request-body memory budget was spent.", {},
                     [this] { return static_cast<double>(body_budget_->refused()); });
  r.counter_callback("connection_pool_discarded_total",
                     "Idle upstream connections closed because the upstream sent bytes or closed them.",
                     {}, [this] {
                       double total = 0;
                       for (auto& w : workers_) total += static_cast<double>(w->context->pool.discarded());
                       return total;
                     });
  r.gauge_callback("client_connections", "Open client connections, all listeners.", {}, [this] {
    double total = 0;
    for (auto& w : workers_) total += static_cast<double>(w->server->connection_count());
    return total;
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
  r.gauge_callback("dpdk_enabled", "1 when enable_dpdk is set in the config.", {}, [this] {
    return state_.config.load()->api_gateway.enable_dpdk ? 1.0 : 0.0;
  });
  for (const char* result : {"ok", "failed", "fallback"}) {
    r.counter("pqc_handshakes_total", "PQC hybrid handshakes of mesh links, by result.",
              {{"result", result}});
  }
  r.gauge_callback("pqc_fallback_enabled", "1 when any mesh link runs without PQC (SEV-1).", {},
                   [] { return 0.0; });
  r.counter_callback("config_reloads_total", "Configuration reloads, by result.", {{"result", "ok"}},
                     [this] { return static_cast<double>(state_.reloads_ok.load()); });
  r.counter_callback("config_reloads_total", "Configuration reloads, by result.",
                     {{"result", "failed"}},
                     [this] { return static_cast<double>(state_.reloads_failed.load()); });
  r.counter_callback("lock_acquisitions_total",
                     "Mutex acquisitions by lock: per request, workers take only the response "
                     "cache's shard lock (held to copy a pointer); the rest are cross-thread "
                     "hand-offs and route table rebuilds.",
                     {{"lock", "worker_post_queue"}}, [this] {
                       double total = 0;
                       for (auto& w : workers_) total += static_cast<double>(w->loop.posts());
                       return total;
                     });
  r.counter_callback("lock_acquisitions_total", "Mutex acquisitions by lock.",
                     {{"lock", "route_table_build"}},
                     [this] { return static_cast<double>(table_version_.load()); });
  r.counter_callback("lock_acquisitions_total", "Mutex acquisitions by lock.",
                     {{"lock", "cache_shard"}}, [this] {
                       return cache_.store() ? static_cast<double>(cache_.store()->lock_acquisitions()) : 0.0;
                     });
  r.counter_callback("autopilot_decisions_total", "Rules fired by the autopilot (acted or recommended).",
                     {}, [this] { return autopilot_ ? static_cast<double>(autopilot_->decisions()) : 0.0; });
  r.counter_callback("control_ticks_total",
                     "Control-thread ticks (autopilot detection, release steps; every 100 ms). "
                     "A flat rate means the control thread is stalled.",
                     {}, [this] { return static_cast<double>(control_ticks_.load(std::memory_order_relaxed)); });
  r.counter_callback("admin_auth_failures_total",
                     "Admin calls refused for a missing or wrong token (logged under SECURITY).", {},
                     [this] { return static_cast<double>(state_.auth_failures.load()); });
  r.gauge_callback("node_ready", "1 when /health/ready answers 200.", {}, [this] {
    return state_.startup_complete.load() && !state_.draining.load() ? 1.0 : 0.0;
  });
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
  state_.releases = releases_.get();
  smoke_checks_ = std::make_unique<SmokeChecks>(control_.loop());
  resolver_ = std::make_unique<net::Resolver>(control_.loop());
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
  state_.smoke_check = [this](const release::Release& r, std::function<void(Result<void>)> done) {
    smoke_checks_->start(r, std::move(done));
  };
  routing_seen_ = releases_->routing_version();

  incident_metrics_ = std::make_unique<incident::IncidentMetrics>(telemetry::default_registry());
  state_.incident_metrics = incident_metrics_.get();
  incident::StoreOptions store_options;
  store_options.metrics = incident_metrics_.get();
  auto store = incident::IncidentStore::open(config.incidents.store, store_options);
  if (store) {
    incidents_ = std::move(*store);
    state_.incidents = incidents_.get();
  } else {
    state_.incidents_unavailable = store.error().detail;
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
  auto config = state_.config.load();
  for (auto& w : workers_) {
    Worker* raw = w.get();
    raw->loop.post([raw] {
      raw->server->stop_accepting();
      raw->server->close_idle_connections();
    });
  }
  int64_t deadline = net::EventLoop::monotonic_ms() + config->api_gateway.drain_timeout_ms;
  for (;;) {
    uint64_t busy = 0;
    for (auto& w : workers_) busy += w->server->connection_count();
    if (busy == 0) break;
    if (net::EventLoop::monotonic_ms() >= deadline) {
      log::warn("NODE", "drain timeout: closing remaining connections", {{"connections", busy}});
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& w : workers_) w->loop.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  health_checker_->stop();
  hooks_->stop();
  control_.stop();
  cache_.stop();
}

void Node::watchdog_tick(std::vector<uint64_t>& last_iterations, std::vector<int64_t>& last_change) {
  int64_t now = net::EventLoop::monotonic_ms();
  int stuck = 0;
  for (size_t i = 0; i < workers_.size(); ++i) {
    uint64_t it = workers_[i]->loop.iterations();
    if (it != last_iterations[i]) {
      last_iterations[i] = it;
      last_change[i] = now;
    } else if (now - last_change[i] > kStuckAfterMs) {
      ++stuck;
    }
  }
  int before = state_.stuck_workers.exchange(stuck);
  if (stuck > 0 && before == 0) log::error("NODE", "worker loop stuck", {{"workers", stuck}});
}

}  // namespace x0::app
