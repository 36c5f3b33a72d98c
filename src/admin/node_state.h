// What the operator API reads about the running node. The composition root (app) owns it and
// keeps it current; the API only reads (atomics and published snapshots), so any worker may
// answer an operator request without taking a lock on the hot path.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "gateway/health_checker.h"
#include "gateway/route_table.h"
#include "telemetry/host_sampler.h"

namespace x0::release {
class ReleaseController;
struct Release;
}
namespace x0::incident {
class IncidentStore;
class IncidentMetrics;
}
namespace x0::cache {
class ResponseStore;
}

namespace x0::admin {

class ControlThread;
class CacheAdmin;

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
  std::atomic<bool> isolated{false};
  std::atomic<int> stuck_workers{0};  // set by the watchdog
  std::atomic<uint64_t> reloads_ok{0};
  std::atomic<uint64_t> reloads_failed{0};
  std::atomic<uint64_t> auth_failures{0};  // admin calls refused (401): the security rule's signal

  // Set once at start-up by the node (may stay null when their store could not be opened;
  // the API then answers 503 with the reason in unavailable_detail).
  release::ReleaseController* releases = nullptr;
  incident::IncidentStore* incidents = nullptr;
  // Open incident counts kept in memory by the store: readable from any thread.
  const incident::IncidentMetrics* incident_metrics = nullptr;
  std::string releases_unavailable;
  std::string incidents_unavailable;
  ControlThread* control = nullptr;
  // Blue/green pre-switch check against the candidate: called on the control thread, starts an
  // asynchronous task there and returns at once; `done` is called once, on the control thread,
  // with the outcome (app/smoke_check.h). Nothing of it blocks the control thread.
  std::function<void(const release::Release&, std::function<void(Result<void>)> done)> smoke_check;

  // Response cache (set once at start-up by the node; all null when [cache] enabled = false).
  cache::ResponseStore* cache = nullptr;
  CacheAdmin* cache_admin = nullptr;
  ControlThread* cache_io = nullptr;  // the cache's disk thread (snapshots, restores, verify)
  // False while the start-up snapshot restore runs; /health/startup answers 503 until then.
  std::atomic<bool> cache_restore_done{true};

  // Host components, sampled on the sampler's own thread; /health reads its latest snapshot.
  std::unique_ptr<telemetry::HostSampler> host_sampler;
};

}  // namespace x0::admin
