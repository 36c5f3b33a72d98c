// The data-plane worker threads. Each worker is one thread running its own event loop with its
// own SO_REUSEPORT listeners (data, health, metrics, and the operator listener if set), its
// client connections, its streams and its upstream pool; nothing of a worker is touched by
// another thread except through post() and the atomics scrapes read.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "admin/node_state.h"
#include "admin/operator_api.h"
#include "app/mesh_ingress.h"
#include "app/takeover.h"
#include "cache/response_store.h"
#include "config/config.h"
#include "gateway/data_plane.h"
#include "gateway/remote_routes.h"
#include "gateway/route_table.h"
#include "gateway/worker_context.h"
#include "http/server.h"
#include "http/server_connection.h"
#include "net/event_loop.h"

namespace x0::app {

// Node-wide connection budgets, one per listener, shared by every worker's Server: data
// connections never take a probe's place. They must outlive the workers.
struct ListenerBudgets {
  http::ConnectionBudget* data;
  http::ConnectionBudget* health;
  http::ConnectionBudget* metrics;
  http::ConnectionBudget* operator_api;  // [listeners] operator, if set
  http::ConnectionBudget* https;         // [listeners] https, if set
};

class WorkerSet {
 public:
  // What every worker shares; all of it outlives the set.
  struct Shared {
    admin::NodeState& state;
    const gateway::RouteTablePublisher& routes;
    const http::ServerLimits& limits;
    cache::ResponseStore* cache;  // null: [cache] enabled = false
    ListenerBudgets budgets;
    net::TransportFactory* https;  // TLS for [listeners] https; null when it is off
    // The mesh (null when off): the workers serve listeners.mesh with its links
    // (app/mesh_ingress.h) and route `mesh_failover` services across it.
    mesh::Agent* mesh = nullptr;
    http::ConnectionBudget* mesh_budget = nullptr;
    const gateway::RemoteRoutesPublisher* remote_routes = nullptr;
    gateway::RateLimiter* rate_limiter = nullptr;  // the rate_limit filter's shared buckets
  };

  explicit WorkerSet(Shared shared) : shared_(shared) {}
  ~WorkerSet() { stop(); }
  WorkerSet(const WorkerSet&) = delete;
  WorkerSet& operator=(const WorkerSet&) = delete;

  // Builds `count` workers and binds their listeners, on this thread (false: logged). Their
  // threads start with run(). `inherited` (a restart hand-over): sockets already bound to a
  // configured address are served instead of binding new ones; addresses without one (changed
  // since the old node started, or more workers than it had) are bound fresh.
  bool start(const config::Config& config, int count, InheritedListeners* inherited = nullptr);
  // Every listening socket of every worker, grouped by listener, for a hand-over (the fds stay
  // the workers'; valid until drain()).
  std::vector<ListeningSocket> listening_sockets() const;
  void run();
  // Stops accepting, closes idle connections, and waits (this thread) until no connection is
  // left or the timeout passes; then stops and joins the workers.
  void drain(int64_t timeout_ms);
  void stop();  // stops and joins (idempotent)

  // Workers whose loop has not turned for stuck_after_ms (the watchdog; main thread only).
  int stuck(int64_t now_ms, int64_t stuck_after_ms);

  // Scrapes, from any thread.
  size_t size() const { return workers_.size(); }
  uint64_t in_flight() const;
  uint64_t idle_upstream_connections() const;
  uint64_t discarded_upstream_connections() const;
  uint64_t client_connections() const;
  uint64_t posts() const;

 private:
  struct Worker {
    int index = 0;
    net::EventLoop loop;
    // Destroyed in reverse: the server's connections first (they tell their streams), then the
    // handlers and the data plane's streams, then the context the streams use.
    std::unique_ptr<gateway::WorkerContext> context;
    std::unique_ptr<admin::OperatorApi> api_data;
    std::unique_ptr<admin::OperatorApi> api_health;
    std::unique_ptr<admin::OperatorApi> api_metrics;
    std::unique_ptr<gateway::DataPlane> data_plane;
    std::unique_ptr<MeshIngress> mesh_ingress;  // listeners.mesh, when the mesh is on
    std::unique_ptr<http::Server> server;
    std::vector<std::string> listener_names;  // of server->listener_fds(), in that order
    std::thread thread;
    // The watchdog's view (main thread only).
    uint64_t seen_iterations = 0;
    int64_t seen_change_ms = 0;
  };
  bool start_worker(Worker& worker, const config::Config& config, InheritedListeners* inherited,
                    int count);

  Shared shared_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace x0::app
