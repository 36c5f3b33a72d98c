// Node start-up, the main loop (signals, housekeeping), reload and drain (see node.h).
#include "app/node.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <random>

#include "admin/isolation.h"
#include "common/clock.h"
#include "common/log.h"
#include "gateway/access_log.h"
#include "net/timer.h"
#include "telemetry/metrics.h"
#include "tls/pki/certificate_info.h"
#include "tls/provider/pq_provider.h"

namespace x0::app {
namespace {

constexpr int64_t kStuckAfterMs = 3000;

Result<config::Config> load(const std::string& path) {
  return path.empty() ? config::load_defaults() : config::load_file(path);
}

}  // namespace

Node::Node(std::string config_path, RunOptions options)
    : config_path_(std::move(config_path)), options_(options) {}

Node::~Node() {
  // The control thread first, then the workers: both read what the control plane owns, which
  // goes only with the members, after them. Then the mesh thread, whose pending replies write
  // to the workers' connections; then the workers, whose mesh links report to the agent.
  if (control_plane_) control_plane_->stop();
  if (workers_) workers_->stop();
  if (health_checker_) health_checker_->stop();
  if (mesh_) mesh_->stop();
  workers_.reset();
}

void Node::apply_logging(const config::Config& config) {
  gateway::set_access_log(config.security.log_all_requests);
  log::Level level = log::Level::kInfo;
  if (log::parse_level(config.logging.level, &level)) log::set_level(level);
  uint64_t max_bytes = static_cast<uint64_t>(config.logging.max_size_mb) * 1024 * 1024;
  if (!log::set_file(config.logging.file, max_bytes, config.logging.max_files)) {
    log::error("CONFIG", "cannot open log file, logging to stderr",
               {{"file", config.logging.file}});
  }
}

namespace {

// tls_verify = false is allowed (a lab's self-signed origin) but never quiet.
void warn_unverified_upstreams(const config::Config& config) {
  for (const config::Service& service : config.services) {
    if (service.tls_verify) continue;
    for (const auto* set : {&service.endpoints, &service.fallback})
      for (const config::Endpoint& endpoint : *set)
        if (endpoint.tls)
          log::warn("SECURITY", "upstream TLS certificates are not verified (tls_verify = false)",
                    {{"service", service.name}, {"endpoint", endpoint.to_string()}});
  }
}

// mesh_failover asks for peers the node has none of: say so at every load, not at 3 a.m.
void warn_failover_without_mesh(const config::Config& config) {
  if (config.mesh.enabled) return;
  for (const config::Service& service : config.services)
    if (service.mesh_failover)
      log::warn("MESH", "mesh_failover = true but [mesh] enabled = false: no peer can take over",
                {{"service", service.name}});
}

// The main thread's signals, read from a signalfd on its own loop.
class SignalWatch final : public net::IoHandler {
 public:
  SignalWatch(int fd, std::function<void(int)> on_signal)
      : fd_(fd), on_signal_(std::move(on_signal)) {}
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
  start_takeover_socket(main_loop);
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
  log::info("NODE", handed_over_ ? "stopped: handed over to the new process" : "stopped");
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
  // The hand-over order: the old node parks its control and disk threads (releases, incidents,
  // the autopilot; the cache, after one last snapshot) and releases the data dir lock *before*
  // it passes its sockets, and this process takes the lock only after receiving them, so the
  // incident store, releases.json and the snapshots have one writer at any time, and what this
  // process loads is the old node's final state. Meanwhile the old workers serve on with the
  // route table they have (an immutable snapshot). The other order (this process starts first
  // and takes the store once the old one has exited) would route its first requests on a release
  // state that the old node's next canary step may still change.
  if (options_.takeover) request_takeover(*config);
  if (!lock_data_dir(*config)) return false;

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
  state_.isolation.by_config = config->security.isolate;  // before any other thread runs
  admin::apply_isolation(state_);

  upstream_tls_ = std::make_unique<tls::UpstreamTls>(telemetry::default_registry());
  warn_unverified_upstreams(*config);
  warn_failover_without_mesh(*config);
  control_plane_ = std::make_unique<ControlPlane>(
      state_, routes_, [this](const config::Config& c) { apply_node_config(c); },
      [this](const config::Service& service, const config::Endpoint& endpoint) {
        return upstream_tls_->transports_for(service, endpoint);
      });
  if (!control_plane_->start(*config)) return false;
  cache_.start(*config, state_);
  if (auto ok = control_plane_->publish_first_routes(*config); !ok) {
    log::error("CONFIG", "cannot build routes", {{"detail", ok.error().detail}});
    return false;
  }

  limits_.parse.max_header_bytes = static_cast<size_t>(config->api_gateway.max_header_bytes);
  limits_.parse.max_headers = static_cast<size_t>(config->api_gateway.max_headers);
  limits_.parse.max_body_bytes = static_cast<uint64_t>(config->api_gateway.max_body_bytes);
  limits_.header_timeout_ms = config->api_gateway.header_timeout_ms;
  limits_.idle_timeout_ms = config->api_gateway.idle_timeout_ms;
  limits_.send_timeout_ms = config->api_gateway.send_timeout_ms;
  body_budget_ =
      std::make_unique<Quota>(static_cast<uint64_t>(config->api_gateway.memory_pool_size));
  limits_.body_budget = body_budget_.get();

  auto data_cap = static_cast<size_t>(config->api_gateway.max_connections);
  auto probe_cap = static_cast<size_t>(config->api_gateway.max_probe_connections);
  data_connections_ = std::make_unique<http::ConnectionBudget>("data", data_cap);
  health_connections_ = std::make_unique<http::ConnectionBudget>("health", probe_cap);
  metrics_connections_ = std::make_unique<http::ConnectionBudget>("metrics", probe_cap);
  operator_connections_ = std::make_unique<http::ConnectionBudget>("operator", probe_cap);
  https_connections_ = std::make_unique<http::ConnectionBudget>("https", data_cap);
  run_pqc_selftest(*config);
  if (!start_https(*config)) return false;
  identity_watch_ = std::make_unique<IdentityWatch>(
      [this](incident::OpenRequest request) { control_plane_->open_incident(std::move(request)); });
  check_identity(*config);
  control_plane_->every(kIdentityCheckMs, [this] { check_identity(*state_.config.load()); });

  if (!start_mesh(*config)) return false;

  // Made even with every limit off, so a reload can turn limits on.
  rate_limit_max_clients_ = static_cast<size_t>(config->security.rate_limit_max_clients);
  rate_limiter_ = std::make_unique<gateway::RateLimiter>(rate_limit_max_clients_);
  rate_limiter_->register_metrics(telemetry::default_registry());
  health_checker_ = std::make_unique<gateway::HealthChecker>(routes_);
  state_.health_checker = health_checker_.get();
  register_node_metrics();

  int threads = config->api_gateway.worker_threads;
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  workers_ = std::make_unique<WorkerSet>(WorkerSet::Shared{
      state_,
      routes_,
      limits_,
      cache_.store(),
      {data_connections_.get(), health_connections_.get(), metrics_connections_.get(),
       operator_connections_.get(), https_connections_.get()},
      https_.get(),
      mesh_.get(),
      mesh_connections_.get(),
      &remote_routes_,
      rate_limiter_.get()});
  if (!workers_->start(*config, threads, takeover_ ? &takeover_->listeners() : nullptr))
    return false;
  workers_->run();
  finish_takeover();
  health_checker_->start();
  control_plane_->run();
  log::info("NODE", "started",
            {{"version", state_.version},
             {"node_id", state_.node_id},
             {"config", config->source},
             {"workers", threads},
             {"data", config->listeners.data},
             {"health", config->listeners.health},
             {"metrics", config->listeners.metrics},
             {"operator",
              config->listeners.operator_api.empty() ? "data" : config->listeners.operator_api},
             {"https", config->listeners.https.empty() ? "off" : config->listeners.https},
             {"services", config->services.size()}});
  return true;
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
    log::error("CONFIG",
               "reload refused: the new configuration is invalid; the old one keeps running",
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
  // A certificate or key that cannot be loaded refuses the reload like an invalid config: the
  // running certificate keeps serving. (The context is built again when the config becomes
  // current, on the control thread: see apply_node_config.)
  if (https_ && !loaded->listeners.https.empty()) {
    if (auto tls = tls::ServerContext::build(https_settings(*loaded)); !tls) {
      state_.reloads_failed.fetch_add(1);
      log::error("PQC",
                 "reload refused: the HTTPS certificate cannot be loaded; the old "
                 "configuration and certificate keep running",
                 {{"detail", tls.error().detail}});
      return;
    }
  }
  auto config = std::make_shared<const config::Config>(std::move(*loaded));
  auto next = std::make_shared<autopilot::Policy>(std::move(*policy));
  control_plane_->reload(config, next);
}

// Control thread, when a reload's config becomes current: the parts the node owns.
void Node::apply_node_config(const config::Config& config) {
  apply_logging(config);  // process-wide atomics: safe from this thread
  warn_unverified_upstreams(config);
  warn_failover_without_mesh(config);
  // The bucket table's size is fixed at start (its memory is reserved then); limits reload.
  if (static_cast<size_t>(config.security.rate_limit_max_clients) != rate_limit_max_clients_)
    log::warn("CONFIG", "rate_limit_max_clients changed: it applies at the next restart",
              {{"running", rate_limit_max_clients_},
               {"configured", config.security.rate_limit_max_clients}});
  check_identity(config);
  data_connections_->set_limit(static_cast<size_t>(config.api_gateway.max_connections));
  for (http::ConnectionBudget* probes :
       {health_connections_.get(), metrics_connections_.get(), operator_connections_.get()}) {
    probes->set_limit(static_cast<size_t>(config.api_gateway.max_probe_connections));
  }
  https_connections_->set_limit(static_cast<size_t>(config.api_gateway.max_connections));
  if (mesh_connections_)
    mesh_connections_->set_limit(static_cast<size_t>(config.api_gateway.max_connections));
  if (https_ && !config.listeners.https.empty()) {
    auto context = tls::ServerContext::build(https_settings(config));
    if (!context) {  // the files changed again since reload() checked them
      log::error("PQC", "HTTPS certificate reload failed; the old certificate keeps serving",
                 {{"detail", context.error().detail}});
      return;
    }
    https_->replace_context(*context);
    log::info("PQC", "HTTPS certificate loaded",
              {{"subject", (*context)->subject()}, {"not_after", (*context)->not_after()}});
  }
}

// Start-up, then the control thread (SIGHUP, hourly).
void Node::check_identity(const config::Config& config) {
  auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  state_.identity.store(identity_watch_->check(config.mesh.cert_dir, now));
}

// FIPS 140-3's power-on self-test: a failure is a SEV-1 security incident, and in `required`
// mode the hybrid group is not offered (a PQ key exchange that cannot be trusted is not one).
void Node::run_pqc_selftest(const config::Config& config) {
  state_.pqc_selftest = tls::run_self_test();
  const tls::SelfTestReport& report = state_.pqc_selftest;
  if (report.ok) {
    log::info("PQC", "self-test passed",
              {{"checks", report.checks.size()}, {"duration_us", report.duration_us}});
    return;
  }
  std::string failed;
  for (const tls::SelfTestCheck& c : report.checks)
    if (!c.ok) failed += (failed.empty() ? "" : "; ") + c.name + ": " + c.detail;
  log::error("PQC", "self-test FAILED", {{"failed", failed}, {"mode", config.pqc.mode}});
  log::error("SECURITY", "post-quantum self-test failed: PQC cannot be trusted on this node",
             {{"failed", failed}});
  incident::OpenRequest request;
  request.title = "PQC self-test failed";
  request.severity = incident::Severity::kSev1;
  request.detection = incident::DetectionMethod::kMonitoring;
  request.rule = "pqc_selftest";
  request.target = "node";
  request.impact = config.pqc.mode == "required"
                       ? "the hybrid post-quantum key exchange is off until a restart passes"
                       : "post-quantum primitives failed their known-answer tests";
  request.actor = "x0tta6bl4";
  request.fields = {{"failed", failed}, {"category", "security"}};
  control_plane_->open_incident(std::move(request));
}

// [tls] as the HTTPS listener uses it: without the hybrid group after a failed self-test in
// `required` mode.
config::Tls Node::https_settings(const config::Config& config) const {
  config::Tls settings = config.tls;
  if (!state_.pqc_selftest.ok && config.pqc.mode == "required") {
    std::erase(settings.groups, std::string(tls::kHybridGroup));
    if (settings.groups.empty()) settings.groups = {"X25519"};
  }
  return settings;
}

bool Node::start_https(const config::Config& config) {
  if (config.listeners.https.empty()) return true;
  if (!state_.pqc_selftest.ok && config.pqc.mode == "required")
    log::warn("PQC", "HTTPS offers no X25519MLKEM768: the self-test failed (pqc.mode = required)");
  auto context = tls::ServerContext::build(https_settings(config));
  if (!context) {
    log::error("PQC", "cannot start the HTTPS listener", {{"detail", context.error().detail}});
    return false;
  }
  std::string groups;
  for (const std::string& g : https_settings(config).groups)
    groups += (groups.empty() ? "" : ",") + g;
  log::info("PQC", "HTTPS listener ready",
            {{"address", config.listeners.https},
             {"groups", groups},
             {"hybrid", (*context)->offers_hybrid() ? "X25519MLKEM768" : "off"},
             {"subject", (*context)->subject()},
             {"not_after", (*context)->not_after()}});
  if (!(*context)->offers_hybrid())
    log::warn("PQC", "HTTPS listener offers no post-quantum key exchange (tls.groups)");
  https_ =
      std::make_unique<tls::ServerTransports>("https", *context, telemetry::default_registry());
  state_.https = https_.get();
  return true;
}

// What the mesh advertises of this node: each service and whether its active set has an
// endpoint that takes traffic now (the route table's atomics; any thread).
std::vector<mesh::ServiceHealth> Node::advertised_services() const {
  std::vector<mesh::ServiceHealth> out;
  int64_t now = net::EventLoop::monotonic_ms();
  auto table = routes_.current();
  if (!table) return out;
  auto remote = remote_routes_.current();
  for (const auto& service : table->services()) {
    const auto& active = service->in_release && service->split.candidate_only ? service->candidate
                                                                              : service->primary;
    uint32_t up = 0;
    for (const auto& e : active) up += e->available(now) ? 1 : 0;
    mesh::ServiceHealth health{service->config.name, up > 0, up};
    // Isolated: no peer may send this node its clients (nor count on it to relay them).
    health.mesh_failover = service->config.mesh_failover && !state_.isolated.load();
    // Not served here but by a peer we reach directly: we relay for those that cannot.
    if (health.mesh_failover && up == 0 && remote)
      if (const auto* hops = remote->find(service->config.name))
        health.relays = std::any_of(hops->begin(), hops->end(), [&](const gateway::RemoteHop& h) {
          return !h.relay && h.endpoint->available(now);
        });
    out.push_back(std::move(health));
  }
  return out;
}

bool Node::start_mesh(const config::Config& config) {
  if (!config.mesh.enabled) return true;
  const config::Mesh& m = config.mesh;
  auto mode = mesh::parse_pqc_mode(config.pqc.mode);
  if (!mode) return false;  // validated with the config
  if (*mode == mesh::PqcMode::kRequired && !state_.pqc_selftest.ok) {
    log::error("PQC",
               "mesh not started: pqc.mode = required and the PQC self-test failed; "
               "the node serves its local services without mesh links");
    return true;
  }
  if (*mode == mesh::PqcMode::kDisabled)
    log::warn("PQC", "pqc.mode = disabled: mesh links run without post-quantum key exchange");
  auto now = unix_seconds();
  auto identity = mesh::load_local_identity(m.cert_dir, now);
  if (!identity) {
    log::error("MESH", "cannot start the mesh", {{"detail", identity.error().detail}});
    return false;
  }
  if ((*identity)->node_id != m.node_id) {
    log::error("MESH", "cannot start the mesh: the certificates are another node's",
               {{"cert_dir", m.cert_dir},
                {"certificate_node", (*identity)->node_id},
                {"mesh.node_id", m.node_id}});
    return false;
  }
  auto contexts = mesh::LinkContexts::build(**identity, *mode);
  if (!contexts) {
    log::error("MESH", "cannot start the mesh", {{"detail", contexts.error().detail}});
    return false;
  }
  mesh::AgentOptions options;
  options.advertise = m.advertise_address;
  options.seeds = m.peers;
  options.timers = m.profile == "test" ? mesh::Timers::test() : mesh::Timers::lan();
  if (m.probe_interval_ms > 0) options.timers.probe_interval_ms = m.probe_interval_ms;
  if (m.probe_timeout_ms > 0) options.timers.probe_timeout_ms = m.probe_timeout_ms;
  if (m.indirect_probes > 0) options.timers.indirect_probes = m.indirect_probes;
  if (m.suspicion_mult > 0) options.timers.suspicion_mult = m.suspicion_mult;
  if (m.gossip_interval_ms > 0) options.timers.gossip_interval_ms = m.gossip_interval_ms;
  options.identity = *identity;
  options.contexts = *contexts;
  options.local_services = [this] { return advertised_services(); };
  options.on_view = [this](const mesh::MeshView& view,
                           const std::shared_ptr<net::ClientTransportFactory>& links) {
    mesh_routes_.update(view, links);
  };
  options.random_seed = std::random_device{}();
  auto agent = mesh::Agent::start(std::move(options), telemetry::default_registry());
  if (!agent) {
    log::error("MESH", "cannot start the mesh", {{"detail", agent.error().detail}});
    return false;
  }
  mesh_ = *std::move(agent);
  state_.mesh = mesh_.get();
  state_.remote_routes = &remote_routes_;
  // Peers' links carry forwarded requests, one connection per request in flight: the mesh has
  // a budget as large as the data listener's, of its own, so data clients never take a peer's
  // place (and an unproven connection is closed within 5 s, LinkTransport::setup_timeout_ms).
  mesh_connections_ = std::make_unique<http::ConnectionBudget>(
      "mesh", static_cast<uint64_t>(config.api_gateway.max_connections));
  std::string seeds;
  for (const std::string& p : m.peers) seeds += (seeds.empty() ? "" : ",") + p;
  log::info("MESH", "mesh started",
            {{"node_id", m.node_id},
             {"listener", config.listeners.mesh},
             {"advertise", m.advertise_address},
             {"seeds", seeds.empty() ? "none" : seeds},
             {"profile", m.profile},
             {"pqc_mode", config.pqc.mode},
             {"cert_not_after", tls::pki::rfc3339((*identity)->not_after)}});
  return true;
}

void Node::drain() {
  state_.draining.store(true);
  // The hand-over thread first (a hand-over in progress ends where it stands). A node whose
  // control thread it holds has handed over, or was handing over when told to stop: either way
  // the data dir may be another process's now, and nothing here writes to it again.
  takeover_socket_.reset();
  if (control_pause_.held()) {
    handed_over_ = true;
    control_pause_.park_for_good();
    cache_.park_disk_for_good();
  }
  // Peers hear `left` first, so none declares this node down or keeps sending it traffic; after
  // a hand-over the new process answers for this node id, so peers hear nothing.
  if (mesh_ && !handed_over_) mesh_->leave(kMeshLeaveTimeoutMs);
  workers_->drain(state_.config.load()->api_gateway.drain_timeout_ms);
  health_checker_->stop();
  if (handed_over_) return;  // the control and disk threads stay parked: see handed_over()
  control_plane_->stop();
  cache_.stop();
}

}  // namespace x0::app
