// The control loop: every tick, sample the data plane's cumulative counters (through
// MetricSource), keep windows, evaluate the policy's rules per service and per release
// candidate, and turn firings into decisions: act (authority "system", not dry run) through the
// Actuator, and record every decision through the IncidentRecorder. Runs on one thread; the
// seams are small interfaces so tests stand fakes in front of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "autopilot/detector.h"
#include "autopilot/policy.h"
#include "autopilot/signal_window.h"

namespace x0::autopilot {

// What the data plane says about one service right now (cumulative counters).
struct ServiceSample {
  std::string service;
  CounterSample stable;
  CounterSample candidate;
  bool in_release = false;
  int healthy_endpoints = 0;  // of the set taking regular traffic
  int candidate_healthy = 0;  // of the candidate set during a release
  bool has_fallback = false;
  // No local endpoint is up but a mesh peer serves the service's traffic (mesh_failover): it
  // is degraded, not down (service_down stays 0; served_remotely is 1).
  bool served_remotely = false;
  // The release's own window for candidate rules (0: the rule's window_s).
  int64_t analysis_window_ms = 0;
};

// Node-wide signals (absolute values or cumulative counts).
struct NodeSample {
  int64_t t_ms = 0;
  double memory_ratio = 0;
  double cpu_ratio = 0;
  // Unix ms of the node's restarts (starts that followed an earlier one), oldest first; owned by
  // the caller and valid during tick(). The `restarts` signal counts those inside the window.
  const std::vector<int64_t>* restarts_ms = nullptr;
  uint64_t auth_failures = 0;           // cumulative
  uint64_t pqc_handshake_failures = 0;  // cumulative
  bool pqc_fallback = false;
  uint64_t mesh_peers_down = 0;  // members the mesh has `down` now
  bool mesh_partitioned = false;
  // Who the mesh signals are about, for the incident's text (an operator paged at 3 a.m. needs
  // the peer, not a count): "n2 (10.0.0.2:7946)", "this node reaches 1 of 3 members ...",
  // "n2 on X25519", "last: bad_exporter_signature from 10.0.0.9 (...)". "" when there is
  // nothing to name.
  std::string mesh_peers_down_names;
  std::string mesh_partition_detail;
  std::string pqc_fallback_links;
  std::string pqc_last_failure;
};

// What a recovered firing cost, from the service's own counters (the incident's Impact).
struct Impact {
  int64_t recovered_ms = 0;          // where the recovery began: the mitigation's time
  int64_t first_anomalous_ms = 0;    // 0: unknown (it fired before a restart)
  bool counted = false;              // a service's traffic between the two was kept: `traffic`
  SpanCounts traffic;                // both release sides together
  double slower_than_ms = INFINITY;  // latency rules: the threshold `traffic.slower` counts
};

class MetricSource {
 public:
  virtual ~MetricSource() = default;
  virtual std::vector<ServiceSample> sample_services(int64_t now_ms) = 0;
  virtual NodeSample sample_node(int64_t now_ms) = 0;
  virtual std::vector<double> latency_bounds_s() const = 0;
};

struct Decision {
  Firing firing;
  Severity severity = Severity::kSev2;
  Action action = Action::kNone;
  Action then = Action::kNone;
  Authority authority = Authority::kOnCall;
  bool attempted = false;   // the node tried to act (system authority, not dry run): hooks run
  bool executed = false;    // the node acted (system authority, not dry run, action succeeded)
  std::string outcome;      // what happened, for the timeline
  // Candidate rules: the comparison that decided, both sides' figures and the rule's thresholds
  // (detector.h: explain); "" for the other rules (the incident then says value and threshold).
  std::string statistic;
  std::string subject;      // node rules: who it is about (Measurement::subject), or ""
  std::string incident_id;  // what intend() answered, for record(); "" when nothing was intended
};

class Actuator {
 public:
  virtual ~Actuator() = default;
  // Acts on the firing's target (a service or its candidate side, or the node). Returns a
  // sentence for the timeline in `outcome`; false when the action could not be taken.
  virtual bool act(Action action, const Target& target, const Rule& rule, std::string* outcome) = 0;
};

// Intent, action, outcome: a decision the node acts on is recorded durably before the action runs
// (intend), and its outcome after (record), so a crash in between leaves an incident that says
// what the node was doing. Decisions it does not act on (recommendations, dry runs) only record.
class IncidentRecorder {
 public:
  virtual ~IncidentRecorder() = default;
  // Before the action: open (or join) the incident and say what is about to be done. Returns its
  // id, or "" when it could not be written (the action runs anyway: traffic comes first).
  virtual std::string intend(const Decision& decision) = 0;
  // After it (or instead of it): the outcome, with decision.incident_id from intend() if any.
  virtual void record(const Decision& decision) = 0;
  // A rule with mitigate_when_clear that fired for `target` has been back within bounds for its
  // recovery hold, since impact.recovered_ms (when MTTR ends); `value` is its signal now.
  virtual void cleared(const Rule& /*rule*/, const Target& /*target*/, double /*value*/,
                       const Impact& /*impact*/) {}
};

class Autopilot {
 public:
  Autopilot(Policy policy, MetricSource& source, Actuator& actuator, IncidentRecorder& recorder,
            bool dry_run);
  // One evaluation round at now_ms. Returns the decisions taken this round.
  std::vector<Decision> tick(int64_t now_ms);
  // Replaces the policy between two ticks, on the ticking thread (a SIGHUP reload). What carries
  // over: the windows (their samples do not depend on the rules; from now on they keep what the
  // new longest window needs), and the detector state of rules that keep their name (all of it
  // for an unchanged rule; the cooldowns of a changed one, see Detector::hand_over). Rules that are
  // gone lose their state; the incidents they opened stay open in the incident store. Firing::rule
  // pointers in decisions returned by earlier ticks point into the old policy and must not be used
  // afterwards.
  void set_policy(Policy policy);
  const Policy& policy() const { return policy_; }
  // The canary analysis for the release controller: breached if any candidate rule's condition
  // holds now, clean if none does with enough samples, insufficient otherwise.
  Verdict candidate_verdict(const std::string& service) const;
  void set_dry_run(bool dry_run) { dry_run_ = dry_run; }
  // What a service's side holds now over window_ms (operator views: what the rules see);
  // nullopt for a service not sampled yet, or the candidate side outside a release. Ticking
  // thread only.
  std::optional<WindowStats> window_stats(const std::string& service, bool candidate,
                                          int64_t window_ms) const;
  // Readable from any thread (the metrics scrape runs on a worker); bumped on the ticking thread.
  uint64_t decisions() const { return decisions_.load(std::memory_order_relaxed); }

 private:
  struct Windows {
    std::unique_ptr<SignalWindow> stable;
    std::unique_ptr<SignalWindow> candidate;
    bool was_in_release = false;
    int64_t analysis_window_ms = 0;  // from the last sample (see ServiceSample)
    int64_t release_ended_ms = 0;    // when the last release ended (after_release's window)
    // All the service's traffic, both sides, across releases (impacts): the sides' growth summed.
    std::unique_ptr<SignalWindow> all;
    CounterSample all_total, last_stable, last_candidate;
  };
  void add_to_all(const ServiceSample& s, Windows& w);
  Impact impact_of(const Rule& rule, const Target& target, const Recovery& r) const;
  Windows& windows_for(const std::string& service);
  static int64_t candidate_window(const Rule& rule, const Windows& w);
  static int64_t evidence_window(int64_t window, uint64_t min_samples, const SignalWindow& side,
                                 const SignalWindow* also);
  static int64_t candidate_evidence_window(const Rule& rule, const Windows& w);
  // A candidate rule's view of both sides over the candidate's evidence window; with_first_bad:
  // also find the first candidate tick that alone would breach the rule (the incident's start).
  // now_ms dates the window's start (recovery); 0 where only the verdict matters.
  static Measurement compare_sides(const Rule& rule, const Windows& w, bool with_first_bad,
                                   int64_t now_ms);
  int64_t history_keep_ms() const;
  // How far a thin window may grow (see evidence_window), and so how much history each side
  // keeps (or the policy's longest window, if longer): one sample per tick, 15 min at 1 s ticks.
  static constexpr int64_t kThinTrafficMaxWindowMs = 15 * 60 * 1000;
  void evaluate_service(const ServiceSample& s, Windows& w, int64_t now_ms,
                        std::vector<Decision>& out);
  void evaluate_node(const NodeSample& n, int64_t now_ms, std::vector<Decision>& out);
  void decide(const Rule& rule, const Target& target, const Measurement& m, int64_t now_ms,
              std::vector<Decision>& out);
  bool after_release(const Rule& rule, const ServiceSample& s, const Windows& w,
                     const Target& target, int64_t now_ms, Measurement& m) const;
  static void attribute(const Rule& rule, const WindowStats& st, const WindowStats& ca,
                        Measurement& m);
  // canary_compare_action = recommend: a candidate rule whose firing was left to the on-call
  // fires again, inside its cooldown, once the candidate's value reaches a band the node acts
  // on (a canary going from 7 % to 50 % errors is rolled back, not left to wait out a cooldown).
  std::optional<Firing> escalation(const Rule& rule, const Target& target, const Measurement& m,
                                   int64_t now_ms) const;
  int64_t longest_window_ms() const;

  Policy policy_;
  MetricSource& source_;
  Actuator& actuator_;
  IncidentRecorder& recorder_;
  bool dry_run_;
  Detector detector_;
  std::map<std::string, Windows> windows_;
  // (rule, candidate target) whose last firing was only a recommendation (see escalation);
  // forgotten when the release ends.
  std::set<std::pair<std::string, Target>> recommended_;
  std::deque<NodeSample> node_history_;
  std::atomic<uint64_t> decisions_{0};
};

}  // namespace x0::autopilot
