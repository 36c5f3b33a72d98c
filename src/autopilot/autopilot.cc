// The autopilot control loop (see autopilot.h).
#include "autopilot/autopilot.h"

#include <algorithm>
#include <cstdio>

#include "autopilot/canary_judgement.h"
#include "common/log.h"

namespace x0::autopilot {

Autopilot::Autopilot(Policy policy, MetricSource& source, Actuator& actuator,
                     IncidentRecorder& recorder, bool dry_run)
    : policy_(std::move(policy)),
      source_(source),
      actuator_(actuator),
      recorder_(recorder),
      dry_run_(dry_run) {}

void Autopilot::set_policy(Policy policy) {
  detector_.hand_over(policy_, policy);
  policy_ = std::move(policy);
  for (auto& [service, w] : windows_) {
    w.stable->set_keep_ms(history_keep_ms());
    w.candidate->set_keep_ms(history_keep_ms());
    w.all->set_keep_ms(history_keep_ms());
  }
}

int64_t Autopilot::longest_window_ms() const {
  int64_t longest = 1000;
  for (const Rule& r : policy_.rules) longest = std::max(longest, r.window_ms);
  return longest;
}

int64_t Autopilot::history_keep_ms() const {
  return std::max(longest_window_ms(), kThinTrafficMaxWindowMs);
}

// Thin traffic: a window with fewer than min_samples requests proves nothing either way, so it
// doubles until it holds enough (or reaches kThinTrafficMaxWindowMs, or all the history kept).
// A side failing every request is then caught after min_samples of its requests whatever the
// rate, instead of never (2 req/s against 1 s windows). `also`: a second side counted with it.
int64_t Autopilot::evidence_window(int64_t window, uint64_t min_samples, const SignalWindow& side,
                                   const SignalWindow* also) {
  while (window < kThinTrafficMaxWindowMs) {
    WindowStats a = side.over(window);
    uint64_t requests = a.requests + (also != nullptr ? also->over(window).requests : 0);
    if (requests >= min_samples || a.span_ms < window) break;  // enough, or all there is
    window = std::min(window * 2, kThinTrafficMaxWindowMs);
  }
  return window;
}

int64_t Autopilot::candidate_evidence_window(const Rule& rule, const Windows& w) {
  return evidence_window(candidate_window(rule, w), rule.min_samples, *w.candidate, nullptr);
}

Autopilot::Windows& Autopilot::windows_for(const std::string& service) {
  Windows& w = windows_[service];
  if (!w.stable) {
    w.stable = std::make_unique<SignalWindow>(source_.latency_bounds_s(), history_keep_ms());
    w.candidate = std::make_unique<SignalWindow>(source_.latency_bounds_s(), history_keep_ms());
    w.all = std::make_unique<SignalWindow>(source_.latency_bounds_s(), history_keep_ms());
  }
  return w;
}

namespace {

// What a side's cumulative counters grew by since `last` (all of `now` when they restarted:
// a new release's candidate, a reload's fresh counters), added to `total`.
void add_growth(const CounterSample& now, CounterSample& last, CounterSample& total) {
  bool restarted = now.requests < last.requests || now.errors < last.errors ||
                   now.buckets.size() != last.buckets.size();
  for (size_t b = 0; !restarted && b < now.buckets.size(); ++b)
    restarted = now.buckets[b] < last.buckets[b];
  if (total.buckets.size() != now.buckets.size()) total.buckets.assign(now.buckets.size(), 0);
  total.requests += now.requests - (restarted ? 0 : last.requests);
  total.errors += now.errors - (restarted ? 0 : last.errors);
  for (size_t b = 0; b < now.buckets.size(); ++b)
    total.buckets[b] += now.buckets[b] - (restarted ? 0 : last.buckets[b]);
  last = now;
}

}  // namespace

void Autopilot::add_to_all(const ServiceSample& s, Windows& w) {
  add_growth(s.stable, w.last_stable, w.all_total);
  if (s.in_release)
    add_growth(s.candidate, w.last_candidate, w.all_total);
  else
    w.last_candidate = CounterSample{};
  w.all_total.t_ms = s.stable.t_ms;
  w.all->add(w.all_total);
}

Impact Autopilot::impact_of(const Rule& rule, const Target& target, const Recovery& r) const {
  Impact impact{r.recovered_ms, r.first_anomalous_ms, false, {}, INFINITY};
  if (target.is_node() || r.first_anomalous_ms <= 0) return impact;
  auto it = windows_.find(target.service);
  if (it == windows_.end()) return impact;
  if (rule.signal == Signal::kLatencyP95Ms) {
    impact.slower_than_ms =
        rule.above ? *rule.above
                   : detector_.fired_baseline(rule, target) + rule.above_stable_by.value_or(0.0);
  }
  impact.traffic =
      it->second.all->between(r.first_anomalous_ms, r.recovered_ms, impact.slower_than_ms);
  impact.counted = impact.traffic.to_ms > impact.traffic.from_ms;
  return impact;
}

std::vector<Decision> Autopilot::tick(int64_t now_ms) {
  std::vector<Decision> out;
  for (const ServiceSample& s : source_.sample_services(now_ms)) {
    Windows& w = windows_for(s.service);
    if (w.was_in_release && !s.in_release) {
      // The release ended (promoted or rolled back): its candidate history is meaningless now.
      w.candidate = std::make_unique<SignalWindow>(source_.latency_bounds_s(), history_keep_ms());
      detector_.reset(Target::candidate(s.service));
      std::erase_if(recommended_, [&](const auto& e) { return e.second.service == s.service; });
      w.release_ended_ms = now_ms;
    }
    w.was_in_release = s.in_release;
    w.stable->add(s.stable);
    if (s.in_release) w.candidate->add(s.candidate);
    add_to_all(s, w);
    evaluate_service(s, w, now_ms, out);
  }
  evaluate_node(source_.sample_node(now_ms), now_ms, out);
  return out;
}

// A release may bring its own (usually shorter) analysis window for the candidate rules.
int64_t Autopilot::candidate_window(const Rule& rule, const Windows& w) {
  return w.analysis_window_ms > 0 ? w.analysis_window_ms : rule.window_ms;
}

namespace {

// What a candidate rule compares: a side's value of the rule's signal over the window, and the
// events behind it for the proportions (errors, empty answers).
bool compared_signal(Signal s) {
  return s == Signal::kErrorRate || s == Signal::kLatencyP95Ms || s == Signal::kEmptyResponseRate ||
         s == Signal::kResponseBytes;
}

double side_value(Signal s, const WindowStats& w) {
  switch (s) {
    case Signal::kErrorRate:
      return w.error_rate;
    case Signal::kEmptyResponseRate:
      return w.empty_rate;
    case Signal::kResponseBytes:
      return w.mean_response_bytes;
    default:
      return w.p95_ms;
  }
}

uint64_t side_events(Signal s, const WindowStats& w) {
  return s == Signal::kEmptyResponseRate ? w.empty_responses : w.errors;
}

// A candidate tick is anomalous when it alone would breach the rule against stable's whole
// window: the incident's first anomalous sample.
BadTick bad_candidate_tick(const Rule& rule, double stable_value) {
  BadTick bad;
  if (rule.signal == Signal::kResponseBytes) {
    if (rule.below_stable_ratio)
      bad.mean_response_bytes_below = stable_value * *rule.below_stable_ratio;
    return bad;
  }
  double limit = stable_value + rule.above_stable_by.value_or(0.0);
  if (rule.above_stable_ratio) limit = std::max(limit, stable_value * *rule.above_stable_ratio);
  switch (rule.signal) {
    case Signal::kErrorRate:
      bad.error_rate_above = limit;
      break;
    case Signal::kEmptyResponseRate:
      bad.empty_rate_above = limit;
      break;
    default:
      bad.p95_ms_above = limit;
      break;
  }
  return bad;
}

}  // namespace

Measurement Autopilot::compare_sides(const Rule& rule, const Windows& w, bool with_first_bad,
                                     int64_t now_ms) {
  int64_t window = candidate_evidence_window(rule, w);
  WindowStats st = w.stable->over(window);
  double stable_value = side_value(rule.signal, st);
  WindowStats ca = w.candidate->over(
      window, with_first_bad ? bad_candidate_tick(rule, stable_value) : BadTick{});
  Measurement m;
  m.value = side_value(rule.signal, ca);
  m.samples = ca.requests;
  m.events = side_events(rule.signal, ca);
  m.stable_value = stable_value;
  m.stable_samples = st.requests;
  m.stable_events = side_events(rule.signal, st);
  m.first_bad_ms = ca.first_bad_ms;
  m.last_bad_end_ms = ca.last_bad_end_ms;
  m.window_start_ms = now_ms - ca.span_ms;
  m.window_ms = window;
  return m;
}

void Autopilot::evaluate_service(const ServiceSample& s, Windows& w, int64_t now_ms,
                                 std::vector<Decision>& out) {
  w.analysis_window_ms = s.analysis_window_ms;
  for (const Rule& rule : policy_.rules) {
    Measurement m;
    Target target = Target::whole(s.service);
    switch (rule.scope) {
      case Scope::kNode:
        continue;
      case Scope::kService: {
        if (rule.signal == Signal::kServiceDown) {
          m.value = s.healthy_endpoints == 0 && !s.served_remotely ? 1.0 : 0.0;
          // The stable set is dead but the release's candidate is up and takes its traffic:
          // rolling the candidate back would send everything to the dead side.
          if (m.value > 0 && s.in_release && s.candidate_healthy > 0) {
            m.stable_to_blame = true;
            m.attribution = "the stable set has no healthy endpoint; the candidate has " +
                            std::to_string(s.candidate_healthy) + " and serves the traffic";
          }
          break;
        }
        if (rule.signal == Signal::kServedRemotely) {
          m.value = s.served_remotely ? 1.0 : 0.0;
          break;
        }
        if (rule.signal != Signal::kErrorRate && rule.signal != Signal::kLatencyP95Ms) continue;
        // Service rules look at all its traffic: stable plus candidate.
        BadTick bad;
        if (rule.above) {
          (rule.signal == Signal::kErrorRate ? bad.error_rate_above : bad.p95_ms_above) =
              *rule.above;
        }
        int64_t window = evidence_window(rule.window_ms, rule.min_samples, *w.stable,
                                         s.in_release ? w.candidate.get() : nullptr);
        WindowStats st = w.stable->over(window, bad);
        WindowStats ca = s.in_release ? w.candidate->over(window, bad) : WindowStats{};
        m.samples = st.requests + ca.requests;
        m.events = st.errors + ca.errors;
        m.value =
            rule.signal == Signal::kErrorRate
                ? (m.samples == 0 ? 0
                                  : static_cast<double>(m.events) / static_cast<double>(m.samples))
                : std::max(st.p95_ms, ca.requests > 0 ? ca.p95_ms : 0.0);
        m.first_bad_ms =
            st.first_bad_ms != 0 && (ca.first_bad_ms == 0 || st.first_bad_ms < ca.first_bad_ms)
                ? st.first_bad_ms
                : ca.first_bad_ms;
        m.last_bad_end_ms = std::max(st.last_bad_end_ms, ca.last_bad_end_ms);
        m.window_start_ms = now_ms - std::max(st.span_ms, ca.span_ms);
        if (s.in_release) attribute(rule, st, ca, m);
        break;
      }
      case Scope::kCandidate: {
        target = Target::candidate(s.service);
        if (!s.in_release) {
          if (!detector_.awaiting_recovery(rule, target)) continue;
          if (!after_release(rule, s, w, target, now_ms, m)) continue;
          break;
        }
        if (rule.signal == Signal::kServiceDown) {  // e.g. the candidate's process was killed
          m.value = s.candidate_healthy == 0 ? 1.0 : 0.0;
          break;
        }
        if (!compared_signal(rule.signal)) continue;
        m = compare_sides(rule, w, true, now_ms);
        break;
      }
    }
    decide(rule, target, m, now_ms, out);
  }
}

// A candidate rule that rolled its release back watches the traffic the candidate had, now on
// the stable set, until it has recovered (Measurement::after_release): over the time since the
// release ended, against the stable set's value when the rule fired. False while there is no
// sample since the end yet.
bool Autopilot::after_release(const Rule& rule, const ServiceSample& s, const Windows& w,
                              const Target& target, int64_t now_ms, Measurement& m) const {
  m.after_release = true;
  m.window_start_ms = w.release_ended_ms;
  if (rule.signal == Signal::kServiceDown) {
    m.value = s.healthy_endpoints == 0 ? 1.0 : 0.0;
    return true;
  }
  if (!compared_signal(rule.signal)) return false;
  int64_t since_end = now_ms - w.release_ended_ms;
  if (w.release_ended_ms <= 0 || since_end <= 0) return false;
  WindowStats st = w.stable->over(std::min(since_end, candidate_window(rule, w)));
  m.value = side_value(rule.signal, st);
  m.samples = st.requests;
  m.events = side_events(rule.signal, st);
  m.stable_value = detector_.fired_baseline(rule, target);
  return true;
}

// A service rule sees both sides of a release together; which side breaches it decides what may
// be done. The stable side is to blame when it breaches the rule's threshold by itself and the
// candidate is not worse: for errors, not significantly (the canary rules' test), for latency,
// not slower at all.
void Autopilot::attribute(const Rule& rule, const WindowStats& st, const WindowStats& ca,
                          Measurement& m) {
  if (!rule.above || st.requests == 0) return;
  bool errors = rule.signal == Signal::kErrorRate;
  double stable_value = errors ? st.error_rate : st.p95_ms;
  double candidate_value = errors ? ca.error_rate : ca.p95_ms;
  if (!(stable_value > *rule.above)) return;
  bool candidate_worse = errors
                             ? significantly_worse(ca.errors, ca.requests, st.errors, st.requests)
                             : ca.requests > 0 && candidate_value > stable_value;
  if (candidate_worse) return;
  char text[256];
  if (errors) {
    std::snprintf(text, sizeof text,
                  "the stable set fails %.1f %% of %llu requests, the candidate %.1f %% of %llu",
                  stable_value * 100, static_cast<unsigned long long>(st.requests),
                  candidate_value * 100, static_cast<unsigned long long>(ca.requests));
  } else {
    std::snprintf(text, sizeof text,
                  "the stable set's P95 is %.0f ms over %llu requests, the candidate's %.0f ms "
                  "over %llu",
                  stable_value, static_cast<unsigned long long>(st.requests), candidate_value,
                  static_cast<unsigned long long>(ca.requests));
  }
  m.stable_to_blame = true;
  m.attribution = text;
}

Verdict Autopilot::candidate_verdict(const std::string& service) const {
  auto it = windows_.find(service);
  if (it == windows_.end() || !it->second.was_in_release) return Verdict::kInsufficientData;
  const Windows& w = it->second;
  Verdict overall = Verdict::kInsufficientData;
  for (const Rule& rule : policy_.rules) {
    if (rule.scope != Scope::kCandidate || !compared_signal(rule.signal)) continue;
    Measurement m = compare_sides(rule, w, false, 0);
    Verdict v = evaluate(rule, m);
    if (v == Verdict::kBreached) return v;
    if (v == Verdict::kClean) overall = Verdict::kClean;
  }
  return overall;
}

void Autopilot::evaluate_node(const NodeSample& n, int64_t now_ms, std::vector<Decision>& out) {
  node_history_.push_back(n);
  while (node_history_.size() > 2 && n.t_ms - node_history_[1].t_ms >= longest_window_ms()) {
    node_history_.pop_front();
  }
  for (const Rule& rule : policy_.rules) {
    Measurement m;
    auto counted = [&](uint64_t NodeSample::*field) {
      const NodeSample* start = &node_history_.front();
      for (const NodeSample& old : node_history_) {
        if (n.t_ms - old.t_ms >= rule.window_ms) start = &old;
      }
      return static_cast<double>(n.*field - start->*field);
    };
    switch (rule.signal) {
      case Signal::kMemoryRatio:
        m.value = n.memory_ratio;
        break;
      case Signal::kCpuRatio:
        m.value = n.cpu_ratio;
        break;
      case Signal::kPqcFallback:
        m.value = n.pqc_fallback ? 1.0 : 0.0;
        m.subject = n.pqc_fallback_links;
        break;
      case Signal::kRestarts:
        m.value = n.restarts_ms == nullptr
                      ? 0.0
                      : static_cast<double>(
                            std::count_if(n.restarts_ms->begin(), n.restarts_ms->end(),
                                          [&](int64_t t) { return n.t_ms - t < rule.window_ms; }));
        break;
      case Signal::kAuthFailures:
        m.value = counted(&NodeSample::auth_failures);
        break;
      case Signal::kPqcHandshakeFailures:
        m.value = counted(&NodeSample::pqc_handshake_failures);
        m.subject = n.pqc_last_failure;
        break;
      case Signal::kMeshPeersDown:
        m.value = static_cast<double>(n.mesh_peers_down);
        m.subject = n.mesh_peers_down_names;
        break;
      case Signal::kMeshPartitioned:
        m.value = n.mesh_partitioned ? 1.0 : 0.0;
        m.subject = n.mesh_partition_detail;
        break;
      default:
        continue;
    }
    decide(rule, Target::node(), m, now_ms, out);
  }
}

void Autopilot::decide(const Rule& rule, const Target& target, const Measurement& m, int64_t now_ms,
                       std::vector<Decision>& out) {
  Recovery recovery;
  auto firing = detector_.observe(rule, target, m, now_ms, &recovery);
  if (recovery.recovered_ms > 0) {
    Impact impact = impact_of(rule, target, recovery);
    recorder_.cleared(rule, target, m.value, impact);
    // Its incident may have been opened against the stable side (see below).
    if (target.kind == Target::Kind::kService)
      recorder_.cleared(rule, Target::stable(target.service), m.value, impact);
  }
  bool compared = rule.scope == Scope::kCandidate && rule.signal != Signal::kServiceDown;
  if (!firing && compared) firing = escalation(rule, target, m, now_ms);
  if (!firing) return;
  // What the rule says to do, unless the stable side is the failing one: then the candidate is
  // not rolled back (that would move all traffic onto the failing side) but the release is held
  // and the stable set's worst endpoint ejected (a dead stable set has none left to eject; its
  // traffic already goes to the candidate, so the rule's fallback step is not needed either).
  Action action = rule.action;
  Action then = rule.then;
  Severity severity = rule.severity;
  Authority authority = rule.authority;
  Target acted_on = target;
  std::string preface;
  if (compared) {
    // canary_compare_action (policy.h): roll back as written, or do what the matrix's band for
    // the candidate's own value says.
    CanaryJudgement j = judge_candidate(policy_, rule, m);
    action = j.action;
    then = j.then;
    severity = j.severity;
    authority = j.authority;
    if (!j.text.empty()) preface = j.text + "; ";
  }
  if (m.stable_to_blame && rule.action == Action::kRollback) {
    action = Action::kHoldRelease;
    then = rule.signal == Signal::kServiceDown ? Action::kNone : Action::kEjectEndpoint;
    acted_on = Target::stable(target.service);
    preface = m.attribution + ": not rolled back; ";
  }
  Decision d;
  d.firing = *firing;
  d.firing.target = acted_on;  // the incident names the side that fails
  d.severity = severity;
  d.action = firing->alert_only ? Action::kAlert : action;
  d.then = firing->alert_only ? Action::kNone : then;
  d.authority = authority;
  if (compared) d.statistic = explain(rule, m);
  d.subject = m.subject;
  bool may_act = authority == Authority::kSystem && !firing->alert_only;
  if (may_act && dry_run_) {
    d.outcome = preface + "dry run: would " + std::string(to_string(action));
  } else if (may_act) {
    d.attempted = true;
    d.incident_id = recorder_.intend(d);
    d.executed = actuator_.act(action, acted_on, rule, &d.outcome);
    if (d.executed && then != Action::kNone) {
      std::string more;
      actuator_.act(then, acted_on, rule, &more);
      if (!more.empty()) d.outcome += "; " + more;
    }
    d.outcome = preface + d.outcome;
    if (d.executed) detector_.reset(target);
  } else {
    d.outcome = preface + "recommended: " + std::string(to_string(action)) + " (authority " +
                std::string(to_string(authority)) + ")";
  }
  if (compared && !may_act && !firing->alert_only) {
    recommended_.insert({rule.name, target});
  } else if (compared) {
    recommended_.erase({rule.name, target});
  }
  decisions_.fetch_add(1, std::memory_order_relaxed);
  log::warn("AUTOPILOT", "rule fired",
            {{"rule", rule.name},
             {"target", acted_on.to_string()},
             {"severity", to_string(severity)},
             {"value", m.value},
             {"baseline", m.stable_value},
             {"action", to_string(d.action)},
             {"executed", d.executed ? "true" : "false"},
             {"statistic", d.statistic},
             {"outcome", d.outcome}});
  recorder_.record(d);
  out.push_back(std::move(d));
}

std::optional<Firing> Autopilot::escalation(const Rule& rule, const Target& target,
                                            const Measurement& m, int64_t now_ms) const {
  if (!recommended_.contains({rule.name, target}) || evaluate(rule, m) != Verdict::kBreached)
    return std::nullopt;
  if (judge_candidate(policy_, rule, m).authority != Authority::kSystem) return std::nullopt;
  int64_t first = m.first_bad_ms != 0 && m.first_bad_ms < now_ms ? m.first_bad_ms : now_ms;
  return Firing{&rule, target, first, now_ms, m.value, m.stable_value, false};
}

std::optional<WindowStats> Autopilot::window_stats(const std::string& service, bool candidate,
                                                   int64_t window_ms) const {
  auto it = windows_.find(service);
  if (it == windows_.end() || (candidate && !it->second.was_in_release)) return std::nullopt;
  return (candidate ? it->second.candidate : it->second.stable)->over(window_ms);
}

}  // namespace x0::autopilot
