// The release controller: owns every release's state, applies operator and autopilot commands
// (start, promote, rollback, pause, resume, abort), steps running canaries on tick(), persists
// every change to <data_dir>/releases.json before returning, and publishes the RoutingSet the
// gateway routes by. Thread-safe (one mutex); callbacks (analysis, smoke) run outside the lock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "release/release.h"
#include "release/release_metrics.h"
#include "release/release_store.h"
#include "release/routing.h"
#include "telemetry/metrics.h"

namespace x0::release {

// The autopilot's verdict on a service's candidate over the current analysis window.
enum class Analysis { kClean, kDirty, kInsufficientData };
using AnalysisFn = std::function<Analysis(const std::string& service)>;
// Blue/green pre-switch smoke check against the candidate (through the header override):
// ok, or why not (e.g. "GET /health answered 503, expected 200").
using SmokeCheckFn = std::function<x0::Result<void>(const Release& release)>;
using ClockFn = std::function<int64_t()>;  // unix epoch milliseconds

struct ControllerOptions {
  std::string data_dir;                    // releases.json lives here
  ClockFn now_ms;                          // default: the system clock
  telemetry::Registry* metrics = nullptr;  // default: telemetry::default_registry()
  size_t keep_finished = 50;               // finished releases kept for GET /releases
  // The one notifier of release routing changes: called after every change of routing(), on
  // the thread that made it and with the controller's lock held, so it must not call back into
  // the controller (the node defers its route rebuild to the control loop).
  std::function<void()> routing_changed;
};

// Error codes: "bad_request" (invalid service name or spec), "conflict" (a release already
// steers the service), "not_found" (no active release for the service), "invalid_state"
// (the transition is not allowed from the current state), "smoke_failed", "smoke_unavailable",
// "store_failed" (the change could not be made durable and was not applied).
class ReleaseController {
 public:
  // Loads releases.json; a corrupt file is moved aside (see load_error()) and the node starts
  // with no releases. Throws only if metric registration clashes (start-up).
  explicit ReleaseController(ControllerOptions options);
  ReleaseController(const ReleaseController&) = delete;
  ReleaseController& operator=(const ReleaseController&) = delete;

  // Canary: first step's weight; blue/green: 0 % with the header override (smoke via header).
  x0::Result<Release> start(const std::string& service, const ReleaseSpec& spec,
                            const std::string& actor);
  // Canary: next step, or promoted after the last. Blue/green: runs `smoke` against the candidate
  // and switches all traffic to it (candidate_only) only if it passes.
  x0::Result<Release> promote(const std::string& service, const std::string& actor,
                              const SmokeCheckFn& smoke = {});
  // promote() in two halves, for a smoke check that runs as an asynchronous task (decide, then
  // do): smoke_target() returns the release a promote of `service` must smoke-check first
  // (a running blue/green release), or nothing when promote needs no check; finish_promote()
  // applies the promote once the check is over: `smoke` is its outcome for `checked` (ignored
  // when `checked` is empty). It refuses with "smoke_failed" if the check failed and with
  // "conflict" if the release moved while the check ran.
  std::optional<Release> smoke_target(const std::string& service) const;
  x0::Result<Release> finish_promote(const std::string& service, const std::string& actor,
                                     const std::optional<Release>& checked,
                                     const x0::Result<void>& smoke);
  // All traffic back to stable at once (the service's routing disappears). Allowed while
  // running, paused, or promoted and not yet adopted by the config.
  x0::Result<Release> rollback(const std::string& service, const std::string& reason,
                               const std::string& actor);
  // Freezes the current weight; tick() does not step a paused release.
  x0::Result<Release> pause(const std::string& service, const std::string& reason,
                            const std::string& actor);
  // Back to running; the current step gets a full analysis interval from now.
  x0::Result<Release> resume(const std::string& service, const std::string& actor);
  // Ends a running or paused release without blaming the candidate (e.g. cancelled, service
  // removed from the config); traffic back to stable like a rollback, not counted as one.
  x0::Result<Release> abort(const std::string& service, const std::string& reason,
                            const std::string& actor);

  // Steps every running canary whose current step has lasted step_interval_ms and whose
  // analysis says clean (the last step leads to promoted). Dirty or insufficient data: the step
  // is held; rolling back is the autopilot's decision. Returns how many releases changed.
  x0::Result<int> tick(int64_t now_ms, const AnalysisFn& is_clean);

  // After a config load or reload: a promoted release whose candidate set is now the service's
  // stable set is marked adopted (its routing goes away); a running or paused release whose
  // service is gone is aborted. Returns how many releases changed.
  x0::Result<int> adopt_config(const std::map<std::string, std::vector<config::Endpoint>>& stable,
                               const std::string& actor);

  std::vector<Release> list() const;  // active first, then the newest finished
  std::optional<Release> find(const std::string& id) const;
  std::optional<Release> active(const std::string& service) const;

  // The published split (immutable) and a counter bumped each time it changes, so the node
  // republishes its route table only on change.
  std::shared_ptr<const RoutingSet> routing() const;
  uint64_t routing_version() const;

  // Set when releases.json existed at start-up but could not be used.
  const std::optional<Error>& load_error() const { return load_error_; }
  const std::string& store_path() const { return store_.path(); }

 private:
  using Releases = std::vector<Release>;
  x0::Result<Release> transition(const std::string& service, const std::string& actor,
                                 const std::function<x0::Result<void>(Release&, int64_t)>& apply);
  x0::Result<void> commit(StoredReleases next);  // save, then make current; mu_ held
  static Release* active_in(StoredReleases& s, const std::string& service);
  void prune(StoredReleases& s) const;

  ControllerOptions options_;
  ReleaseStore store_;
  ReleaseMetrics metrics_;
  std::optional<Error> load_error_;

  mutable std::mutex mu_;
  StoredReleases state_;                       // guarded by mu_
  std::shared_ptr<const RoutingSet> routing_;  // guarded by mu_
  uint64_t routing_version_ = 1;               // guarded by mu_
};

}  // namespace x0::release
