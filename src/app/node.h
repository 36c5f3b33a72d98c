// `x0tta6bl4 run`: wires the modules into a running node. Owns the configuration, the
// published route table, the worker threads (app/worker_set.h), the control plane (releases,
// incidents, autopilot, route builds on the control thread), the health checker and the
// watchdog. The main thread runs a loop of its own for signals (a signalfd: SIGHUP reloads,
// SIGTERM/SIGINT drain) and the watchdog; node metrics are registered in node_metrics.cc.
// A node owns its data dir (app/data_dir_lock.h) and serves a restart hand-over socket
// (app/takeover.h); `run --takeover` starts on the running node's listening sockets.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "admin/node_state.h"
#include "admin/operator_api.h"
#include "app/control_plane.h"
#include "app/data_dir_lock.h"
#include "app/identity_watch.h"
#include "app/loop_pause.h"
#include "app/mesh_routes.h"
#include "app/node_cache.h"
#include "app/takeover.h"
#include "app/worker_set.h"
#include "config/config.h"
#include "gateway/data_plane.h"
#include "gateway/health_checker.h"
#include "gateway/remote_routes.h"
#include "gateway/route_table.h"
#include "gateway/worker_context.h"
#include "http/server.h"
#include "mesh/agent.h"
#include "net/event_loop.h"
#include "tls/client_transports.h"
#include "tls/server_transports.h"

namespace x0::app {

struct RunOptions {
  // Take the listening sockets over from the node running on the same data dir (its
  // [node] takeover_socket); without one answering, start with fresh sockets.
  bool takeover = false;
};

class Node {
 public:
  // config_path empty: embedded defaults.
  explicit Node(std::string config_path, RunOptions options = {});
  ~Node();
  // Runs until a drain finishes. Returns the process exit code.
  int run();
  // After run(): this node handed its sockets and its data dir to a new process. Its control
  // and disk threads are then parked for good (what they have queued belongs to the new
  // process), so the Node must not be destroyed: the caller ends the process (std::_Exit).
  bool handed_over() const { return handed_over_; }

 private:
  bool start();
  // The new process's side of a hand-over (app/takeover.h), around start().
  void request_takeover(const config::Config& config);
  bool lock_data_dir(const config::Config& config);
  void finish_takeover();
  // The running node's side, on the hand-over thread.
  void start_takeover_socket(net::EventLoop& main_loop);
  Result<std::vector<ListeningSocket>> prepare_handover();
  void resume_after_handover();
  // A hand-over socket's wait for the control thread to stop between two tasks, and for the
  // last cache snapshot; a new process waits for both and its own connect, within kRequestMs.
  static constexpr int64_t kHoldControlMs = 2000;
  static constexpr int64_t kHoldDiskMs = 5000;
  static constexpr int64_t kTakeoverRequestMs = 8000;
  static constexpr int64_t kTakeoverFinishMs = 3000;
  void register_node_metrics();
  void reload();
  void drain();
  // Main thread, every 50 ms: start-up completion and the watchdog over the workers' loops.
  void housekeeping();
  void apply_logging(const config::Config& config);
  // Control thread, when a reload's config becomes current: logging, connection budgets and the
  // HTTPS certificate.
  void apply_node_config(const config::Config& config);
  // The PQC power-on self-test (its result in state_; a failure is a SEV-1 incident).
  void run_pqc_selftest(const config::Config& config);
  // The node's certificates and their expiry policy (app/identity_watch.h).
  void check_identity(const config::Config& config);
  static constexpr int64_t kIdentityCheckMs = 3600 * 1000;
  // Peers hear `left` within this, or the drain goes on without it (they then find the node down).
  static constexpr int64_t kMeshLeaveTimeoutMs = 3000;
  // The HTTPS listener's TLS, when [listeners] https is set (false: logged, the node stops).
  bool start_https(const config::Config& config);
  // The mesh agent, when [mesh] enabled (false: logged, the node stops: the operator asked for
  // a mesh and its identity or listener is wrong).
  bool start_mesh(const config::Config& config);
  std::vector<mesh::ServiceHealth> advertised_services() const;
  config::Tls https_settings(const config::Config& config) const;

  std::string config_path_;
  RunOptions options_;
  admin::NodeState state_;
  DataDirLock data_dir_lock_;
  std::optional<Takeover> takeover_;  // the new process's, from start() to finish_takeover()
  LoopPause control_pause_;           // the control thread, while handing over
  bool handed_over_ = false;
  // https:// endpoints' TLS; declared before routes_, whose endpoints keep its transports.
  std::unique_ptr<tls::UpstreamTls> upstream_tls_;
  gateway::RouteTablePublisher routes_;          // published by the control plane only
  std::unique_ptr<ControlPlane> control_plane_;  // everything on the control thread
  std::unique_ptr<IdentityWatch> identity_watch_;
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
  std::unique_ptr<http::ConnectionBudget> https_connections_;     // [listeners] https, if set
  std::unique_ptr<tls::ServerTransports> https_;  // TLS of [listeners] https; null when off
  // Where `mesh_failover` services go when no local endpoint is up: built from the mesh's
  // views on the mesh thread, read by the workers (which it outlives).
  gateway::RemoteRoutesPublisher remote_routes_;
  MeshRoutes mesh_routes_{remote_routes_};
  std::unique_ptr<http::ConnectionBudget> mesh_connections_;  // listeners.mesh, node-wide
  std::unique_ptr<mesh::Agent> mesh_;  // the mesh thread; null when [mesh] enabled = false
  // The rate_limit filter's buckets, shared by the workers (which it outlives); its size is
  // [security] rate_limit_max_clients as read at start.
  std::unique_ptr<gateway::RateLimiter> rate_limiter_;
  size_t rate_limit_max_clients_ = 0;
  std::unique_ptr<WorkerSet> workers_;
  // Declared last: destroyed first, so its thread never sees the node half torn down.
  std::unique_ptr<TakeoverSocket> takeover_socket_;
};

}  // namespace x0::app
