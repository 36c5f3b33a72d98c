// What the operator API reads about the running node. The composition root (app) owns it and
// keeps it current; the API only reads (atomics and published snapshots), so any worker may
// answer an operator request without taking a lock on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/status_page_cache.h"
#include "common/result.h"
#include "config/config.h"
#include "gateway/health_checker.h"
#include "gateway/remote_routes.h"
#include "gateway/route_table.h"
#include "mesh/mesh_view.h"
#include "telemetry/host_sampler.h"
#include "tls/pki/node_identity.h"
#include "tls/self_test.h"

namespace x0::release {
class ReleaseController;
struct Release;
}  // namespace x0::release
namespace x0::incident {
class IncidentStore;
class IncidentMetrics;
}  // namespace x0::incident
namespace x0::tls {
class ServerTransports;
}  // namespace x0::tls

namespace x0::cache {
class ResponseStore;
}

namespace x0::admin {

class ControlThread;
class CacheAdmin;

// What /releases and the autopilot's actuator reach.
struct ReleaseServices {
  release::ReleaseController* controller = nullptr;  // null: its store could not be opened
  std::string unavailable;                           // why, then (answered with 503)
  // Blue/green pre-switch check against the candidate: called on the control thread, starts an
  // asynchronous task there and returns at once; `done` is called once, on the control thread,
  // with the outcome (app/smoke_check.h). Nothing of it blocks the control thread.
  std::function<void(const release::Release&, std::function<void(Result<void>)> done)> smoke_check;
  // Calls `done` (control thread) once the release routing of this moment is in the route table
  // the workers read: at once when it already is, else after the rebuild (which may wait on DNS).
  // A release command is answered only then, so the operator's next request routes by it.
  std::function<void(std::function<void(Result<void>)> done)> when_routed;
};

// What /incidents, /alertmanager and the incident log reach.
struct IncidentServices {
  incident::IncidentStore* store = nullptr;  // null: it could not be opened
  std::string unavailable;
  // Open incident counts kept in memory by the store: readable from any thread.
  const incident::IncidentMetrics* metrics = nullptr;
};

// The response cache (all null when [cache] enabled = false).
struct CacheServices {
  cache::ResponseStore* store = nullptr;
  CacheAdmin* admin = nullptr;
  ControlThread* io = nullptr;  // the cache's disk thread (snapshots, restores, verify)
  // False while the start-up snapshot restore runs; /health/startup answers 503 until then.
  std::atomic<bool> restore_done{true};
};

// Why the node is isolated. Two sources, kept apart so that lifting one does not undo the
// other: the config ([security] isolate, re-read on reload) and a latch set by an operator
// (POST /admin/isolate) or the autopilot's isolate action, which only an operator lifts.
struct Isolation {
  bool by_config = false;
  bool latched = false;
  std::string by;      // "operator" or "autopilot" (with the latch)
  std::string reason;  // with the latch
  int64_t since_unix = 0;
  std::string incident_id;  // the SEV-1 the latch opened, if any
};

struct NodeState {
  std::string version;
  std::string node_id;
  int64_t started_unix = 0;
  int64_t started_mono_ms = 0;

  std::atomic<std::shared_ptr<const config::Config>> config;
  const gateway::RouteTablePublisher* routes = nullptr;
  const gateway::HealthChecker* health_checker = nullptr;

  std::atomic<bool> startup_complete{false};
  std::atomic<bool> draining{false};
  // Isolated (the security runbook): what the data plane and readiness read. Who asked and why
  // is `isolation` (admin/isolation.h), which only the control thread touches.
  std::atomic<bool> isolated{false};
  Isolation isolation;
  std::atomic<int> stuck_workers{0};  // set by the watchdog
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  std::atomic<uint64_t> auth_failures{0};  // admin calls refused (401): the security rule's signal

  // The thread every release and incident change runs on (answer_async).
  ControlThread* control = nullptr;
  // Each operator area sees only its own part (set once at start-up, before the workers run).
  ReleaseServices releases;
  IncidentServices incidents;
  CacheServices cache;

  // /health dependencies.notify: the delivery thread's view of its channels (any thread, takes
  // the delivery's own small lock, no I/O); empty when the incident store (its outbox) is not.
  std::function<nlohmann::json()> notify_health;
  // The status page's last rendering (admin/status_page_cache.h); the pointer never changes.
  const std::unique_ptr<StatusPageCache> status_cache = std::make_unique<StatusPageCache>();

  // Host components, sampled on the sampler's own thread; /health reads its latest snapshot.
  std::unique_ptr<telemetry::HostSampler> host_sampler;

  // The post-quantum self-test of start-up (immutable once the workers run).
  tls::SelfTestReport pqc_selftest;
  // The node's certificates as last checked (start, SIGHUP, hourly: app/identity_watch.h).
  std::atomic<std::shared_ptr<const tls::pki::NodeIdentity>> identity;
  // The HTTPS listener's TLS (its handshake counts for /security/pqc/status); null when off.
  const tls::ServerTransports* https = nullptr;
  // The mesh's links and members ([mesh] enabled); null when the mesh is off.
  mesh::MeshApi* mesh = nullptr;
  // Where `mesh_failover` services are served across the mesh (/mesh/routes); null when off.
  const gateway::RemoteRoutesPublisher* remote_routes = nullptr;
};

}  // namespace x0::admin
