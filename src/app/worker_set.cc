// The worker threads (see worker_set.h).
#include "app/worker_set.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "telemetry/metrics.h"

namespace x0::app {
namespace {

Result<net::SocketAddress> listener_address(const std::string& text) {
  auto hp = config::parse_host_port(text);
  if (!hp) return std::unexpected(hp.error());
  return net::resolve(hp->first, hp->second);
}

}  // namespace

bool WorkerSet::start(const config::Config& config, int count, InheritedListeners* inherited) {
  for (int i = 0; i < count; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->index = i;
    if (!start_worker(*worker, config, inherited, count)) return false;
    worker->context->capture_budget =
        static_cast<size_t>(config.cache.max_bytes) / 4 / static_cast<size_t>(count);
    workers_.push_back(std::move(worker));
  }
  return true;
}

std::vector<ListeningSocket> WorkerSet::listening_sockets() const {
  std::vector<ListeningSocket> out;
  for (const auto& w : workers_) {
    std::vector<int> fds = w->server->listener_fds();
    for (size_t i = 0; i < fds.size() && i < w->listener_names.size(); ++i)
      out.push_back({w->listener_names[i], fds[i]});
  }
  std::stable_sort(out.begin(), out.end(), [](const ListeningSocket& a, const ListeningSocket& b) {
    return a.listener < b.listener;
  });
  return out;
}

bool WorkerSet::start_worker(Worker& worker, const config::Config& config,
                             InheritedListeners* inherited, int count) {
  admin::NodeState& state = shared_.state;
  worker.context =
      std::make_unique<gateway::WorkerContext>(worker.loop, shared_.routes, worker.index);
  worker.context->isolated = &state.isolated;
  worker.context->auth_failures = &state.auth_failures;
  worker.context->cache = shared_.cache;
  worker.context->rate_limiter = shared_.rate_limiter;
  worker.server = std::make_unique<http::Server>(worker.loop, shared_.limits);
  worker.api_data = std::make_unique<admin::OperatorApi>(state, admin::Scope::kDataPlane);
  worker.api_health = std::make_unique<admin::OperatorApi>(state, admin::Scope::kHealthPort);
  worker.api_metrics = std::make_unique<admin::OperatorApi>(state, admin::Scope::kMetricsPort);
  // With a listener of its own ([listeners] operator) the operator API leaves the data plane,
  // which then routes every path to the services.
  bool own_operator_listener = !config.listeners.operator_api.empty();
  worker.data_plane = std::make_unique<gateway::DataPlane>(
      *worker.context, own_operator_listener ? nullptr : worker.api_data.get());
  struct Listener {
    const char* name;
    const std::string& address;
    http::RequestHandler& handler;
    http::ConnectionBudget* budget;
    net::TransportFactory* transports = nullptr;
  };
  const ListenerBudgets& b = shared_.budgets;
  Listener listeners[] = {
      {"data", config.listeners.data, *worker.data_plane, b.data},
      {"health", config.listeners.health, *worker.api_health, b.health},
      {"metrics", config.listeners.metrics, *worker.api_metrics, b.metrics},
      {"operator", config.listeners.operator_api, *worker.api_data, b.operator_api},
      // HTTPS answers as the data listener does, over TLS.
      {"https", config.listeners.https, *worker.data_plane, b.https, shared_.https}};
  std::vector<Listener> all(std::begin(listeners), std::end(listeners));
  if (shared_.mesh != nullptr) {
    worker.context->remote = shared_.remote_routes;
    worker.mesh_ingress = std::make_unique<MeshIngress>(*worker.data_plane, *shared_.mesh);
    all.push_back({"mesh", config.listeners.mesh, *worker.mesh_ingress, shared_.mesh_budget,
                   &shared_.mesh->acceptor()});
  }
  for (const Listener& l : all) {
    if (l.address.empty()) continue;  // only the operator and HTTPS listeners may be off
    auto address = listener_address(l.address);
    if (!address) {
      log::error("NET", "bad listener address",
                 {{"listener", l.name}, {"detail", address.error().detail}});
      return false;
    }
    // This worker's share of the old node's sockets on this address: their accept queues,
    // and the connections waiting in them, carry over. The share may be several sockets (the
    // old node ran more workers) or none (fewer, or a new address): then one is bound here.
    std::vector<net::Fd> mine;
    if (inherited != nullptr) mine = inherited->share(address->to_string(), worker.index, count);
    for (net::Fd& fd : mine) {
      worker.server->adopt_listener(std::move(fd), l.handler, *l.budget, l.transports);
      worker.listener_names.push_back(l.name);
    }
    if (!mine.empty()) continue;
    if (auto ok = worker.server->listen(*address, l.handler, true, *l.budget, l.transports); !ok) {
      log::error("NET", "cannot listen", {{"listener", l.name}, {"detail", ok.error().detail}});
      return false;
    }
    worker.listener_names.push_back(l.name);
  }
  return true;
}

void WorkerSet::run() {
  int64_t now = net::EventLoop::monotonic_ms();
  for (auto& w : workers_) {
    Worker* raw = w.get();
    raw->seen_change_ms = now;
    raw->thread = std::thread([raw] {
      telemetry::set_thread_shard(static_cast<size_t>(raw->index) + 1);
      raw->loop.run();
    });
  }
}

void WorkerSet::drain(int64_t timeout_ms) {
  for (auto& w : workers_) {
    Worker* raw = w.get();
    raw->loop.post([raw] {
      raw->server->stop_accepting();
      raw->server->close_idle_connections();
    });
  }
  int64_t deadline = net::EventLoop::monotonic_ms() + timeout_ms;
  for (;;) {
    uint64_t busy = client_connections();
    if (busy == 0) break;
    if (net::EventLoop::monotonic_ms() >= deadline) {
      log::warn("NODE", "drain timeout: closing remaining connections", {{"connections", busy}});
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
}

void WorkerSet::stop() {
  for (auto& w : workers_) w->loop.stop();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

int WorkerSet::stuck(int64_t now_ms, int64_t stuck_after_ms) {
  int stuck = 0;
  for (auto& w : workers_) {
    uint64_t it = w->loop.iterations();
    if (it != w->seen_iterations) {
      w->seen_iterations = it;
      w->seen_change_ms = now_ms;
    } else if (now_ms - w->seen_change_ms > stuck_after_ms) {
      ++stuck;
    }
  }
  return stuck;
}

uint64_t WorkerSet::in_flight() const {
  uint64_t total = 0;
  for (auto& w : workers_) total += w->context->in_flight.load();
  return total;
}

uint64_t WorkerSet::idle_upstream_connections() const {
  uint64_t total = 0;
  for (auto& w : workers_) total += w->context->pool.idle_count();
  return total;
}

uint64_t WorkerSet::discarded_upstream_connections() const {
  uint64_t total = 0;
  for (auto& w : workers_) total += w->context->pool.discarded();
  return total;
}

uint64_t WorkerSet::client_connections() const {
  uint64_t total = 0;
  for (auto& w : workers_) total += w->server->connection_count();
  return total;
}

uint64_t WorkerSet::posts() const {
  uint64_t total = 0;
  for (auto& w : workers_) total += w->loop.posts();
  return total;
}

}  // namespace x0::app
