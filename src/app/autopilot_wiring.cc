// Autopilot actions and incident records for this node (see autopilot_wiring.h).
#include "app/autopilot_wiring.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "admin/isolation.h"
#include "autopilot/ejection.h"
#include "common/clock.h"
#include "common/log.h"
#include "incident/impact.h"
#include "incident/incident_store.h"
#include "net/event_loop.h"
#include "release/release_controller.h"

namespace x0::app {
bool NodeActuator::act(autopilot::Action action, const autopilot::Target& target,
                       const autopilot::Rule& rule, std::string* outcome) {
  // The service the action is about; a node target names none (outcomes then say "node").
  const std::string service = target.is_node() ? "node" : target.service;
  bool ok = true;
  switch (action) {
    case autopilot::Action::kRollback: {
      if (node_.releases.controller == nullptr || !node_.releases.controller->active(service)) {
        // Not taken: an incident must not read "mitigated" while the failure goes on.
        *outcome = "no release in progress for " + service + ": nothing to roll back";
        ok = false;
        break;
      }
      auto rolled =
          node_.releases.controller->rollback(service, "autopilot: rule " + rule.name, "autopilot");
      if (!rolled) {
        *outcome = "rollback failed: " + rolled.error().detail;
        ok = false;
        break;
      }
      // Traffic is back on the stable set as soon as the table is republished (the release
      // controller's notifier does that).
      *outcome = "rolled back release " + rolled->id + ": all traffic on the stable set";
      break;
    }
    case autopilot::Action::kHoldRelease: {
      // The stable side fails, not the candidate: the release stays at its weight (no step,
      // no rollback) until an operator resumes, promotes or rolls it back.
      auto* controller = node_.releases.controller;
      auto active = controller == nullptr ? std::nullopt : controller->active(service);
      if (!active) {
        *outcome = "no release in progress for " + service + " to hold";
        ok = false;
      } else if (active->state == release::State::kPaused) {
        *outcome = "release " + active->id + " already held";
      } else if (auto paused = controller->pause(service,
                                                 "autopilot: rule " + rule.name +
                                                     " (the "
                                                     "stable set fails, not the candidate)",
                                                 "autopilot");
                 !paused) {
        *outcome = "could not hold release " + active->id + ": " + paused.error().detail;
        ok = false;
      } else {
        *outcome = "release " + paused->id + " held at its weight";
      }
      break;
    }
    case autopilot::Action::kDivertToFallback: {
      // The data plane sends traffic to the fallback pool by itself as soon as no primary
      // endpoint is available; report what it is doing.
      auto table = node_.routes->current();
      const gateway::ServiceState* s = table ? table->find(service) : nullptr;
      int64_t now = net::EventLoop::monotonic_ms();
      if (s == nullptr || s->fallback.empty()) {
        *outcome = "no fallback pool configured for " + service;
        ok = false;
      } else if (!s->has_available_fallback(now)) {
        *outcome = "fallback pool of " + service + " is unhealthy too";
        ok = false;
      } else {
        *outcome = "traffic of " + service + " diverted to its fallback pool";
      }
      break;
    }
    case autopilot::Action::kEjectEndpoint:
      ok = eject_endpoint(target, rule, outcome);
      break;
    case autopilot::Action::kIsolate:
      if (!admin::latch_isolation(node_, "autopilot", "rule " + rule.name + " on " + service)) {
        *outcome = "node already isolated (by " + node_.isolation.by + ")";
      } else {
        *outcome =
            "node isolated: external clients refused, /health/ready not ready; lift with "
            "POST /admin/isolate {\"isolate\": false}";
      }
      break;
    default:
      *outcome = std::string(autopilot::to_string(action)) + " recorded for " + service;
      break;
  }
  return ok;
}

bool NodeActuator::eject_endpoint(const autopilot::Target& target, const autopilot::Rule& rule,
                                  std::string* outcome) {
  if (target.is_node()) {
    *outcome = "rule " + rule.name + " watches the node: no service to eject an endpoint from";
    return false;
  }
  const std::string& service = target.service;
  auto table = node_.routes->current();
  const gateway::ServiceState* s = table ? table->find(service) : nullptr;
  if (s == nullptr) {
    *outcome = "no service " + service + " to eject an endpoint from";
    return false;
  }
  int64_t now = net::EventLoop::monotonic_ms();  // the clock workers compare ejected_until_ms with
  std::vector<gateway::EndpointState*> states;
  std::vector<autopilot::EndpointCounts> counts;
  auto look_at = [&](gateway::EndpointRole role, const char* role_name) {
    for (const auto& e : s->set(role)) {
      Seen now_seen{e->requests.load(std::memory_order_relaxed),
                    e->failures.load(std::memory_order_relaxed)};
      Seen& last = seen_[service + "/" + role_name + "/" + e->name];
      // Counters restart when a reload rebuilt the endpoint: then the lifetime counts are recent.
      bool restarted = now_seen.requests < last.requests || now_seen.failures < last.failures;
      Seen base = restarted ? Seen{} : last;
      last = now_seen;
      counts.push_back({e->name, static_cast<int>(role), now_seen.requests - base.requests,
                        now_seen.failures - base.failures, e->available(now)});
      states.push_back(e.get());
    }
  };
  look_at(gateway::EndpointRole::kStable, "stable");
  if (target.kind == autopilot::Target::Kind::kCandidate && s->in_release) {
    look_at(gateway::EndpointRole::kCandidate, "candidate");
  }
  autopilot::EjectionChoice choice = autopilot::choose_endpoint_to_eject(counts);
  if (!choice.index) {
    *outcome = "no endpoint of " + service + " ejected: " + choice.reason;
    return false;
  }
  gateway::EndpointState& chosen = *states[*choice.index];
  chosen.policy_ejected_until_ms.store(now + rule.eject_for_ms, std::memory_order_relaxed);
  char ratio[32];
  std::snprintf(ratio, sizeof ratio, "%.2f", choice.failure_ratio);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%g", static_cast<double>(rule.eject_for_ms) / 1000.0);
  *outcome = "ejected endpoint " + chosen.name + " of " + service + " for " + seconds +
             " s (failure ratio " + ratio + " over " + std::to_string(choice.requests) +
             " requests)";
  log::warn("AUTOPILOT", "endpoint ejected",
            {{"service", service},
             {"endpoint", chosen.name},
             {"for_ms", rule.eject_for_ms},
             {"failure_ratio", choice.failure_ratio},
             {"requests", choice.requests}});
  return true;
}

void IncidentLog::cleared(const autopilot::Rule& rule, const autopilot::Target& target,
                          double value, const autopilot::Impact& impact) {
  if (node_.incidents.store == nullptr) return;
  incident::ListFilter filter;
  filter.unresolved_only = true;
  filter.with_timeline = false;
  auto open = node_.incidents.store->list(filter);
  if (!open) return;
  const std::string where = target.to_string();
  for (const incident::Incident& listed : *open) {
    if (listed.rule != rule.name || listed.target != where ||
        listed.status == incident::Status::kMitigated)
      continue;
    auto inc = node_.incidents.store->get(listed.id);  // with its timeline: start and actions
    if (!inc) continue;
    char text[160];
    std::snprintf(text, sizeof text, "%s back within bounds (now %g), and stayed so for %g s",
                  std::string(autopilot::to_string(rule.signal)).c_str(), value,
                  static_cast<double>(rule.recovery_hold_ms) / 1000);
    // Dated where the recovery began, never before the incident was opened: MTTR ends there.
    int64_t at = std::max(impact.recovered_ms, inc->created_ms);
    incident::MeasuredImpact measured;
    measured.service = target.is_node() ? "" : target.service;
    measured.from_ms = std::min(inc->start_ms(), at);
    measured.to_ms = at;
    // The counts are the firing's own (from its first anomalous sample); an incident that an
    // earlier firing opened (joined, or from before a restart) started earlier than they reach.
    measured.counted = impact.counted && impact.first_anomalous_ms <= inc->start_ms() + 1000;
    measured.requests = impact.traffic.requests;
    measured.failed = impact.traffic.errors;
    measured.slower = impact.traffic.slower;
    measured.slower_than_ms = impact.slower_than_ms;
    incident::Note note{"autopilot", text, at, {{"recovered_ms", impact.recovered_ms}}};
    note.impact = incident::measured_impact_text(measured, *inc);
    auto done = node_.incidents.store->set_mitigated(inc->id, note);
    if (done)
      log::info(
          "INCIDENT", "mitigated: the condition cleared and held",
          {{"id", inc->id}, {"rule", rule.name}, {"target", where}, {"impact", *note.impact}});
  }
}

namespace {

// What was measured against what the rule asks, in the rule's own terms: "error_rate 0.123 over
// 60 s (rule: above 0.1)", "latency_p95_ms 262 over 60 s (rule: above 200, at most 500)".
std::string measured_text(const autopilot::Rule& rule, const autopilot::Firing& firing) {
  auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", v);
    return std::string(text);
  };
  std::string text = std::string(autopilot::to_string(rule.signal)) + " " + number(firing.value);
  if (rule.window_ms > 0)
    text += " over " + number(static_cast<double>(rule.window_ms) / 1000) + " s";
  std::string limits;
  auto add = [&](const std::string& part) { limits += (limits.empty() ? "" : ", ") + part; };
  if (rule.scope == autopilot::Scope::kCandidate) add("stable " + number(firing.baseline));
  if (rule.above) add("above " + number(*rule.above));
  if (rule.at_most) add("at most " + number(*rule.at_most));
  if (rule.above_stable_by) add("above stable by " + number(*rule.above_stable_by));
  if (rule.above_stable_ratio) add("above stable x " + number(*rule.above_stable_ratio));
  return limits.empty() ? text : text + " (rule: " + limits + ")";
}

}  // namespace

std::string IncidentLog::open(const autopilot::Decision& d) {
  const autopilot::Rule& rule = *d.firing.rule;
  const std::string target = d.firing.target.to_string();
  incident::OpenRequest open;
  open.title = rule.name + " on " + target;
  open.severity = d.severity;  // a candidate rule's may be its matrix band's (canary_judgement.h)
  open.detection = incident::DetectionMethod::kMonitoring;
  open.rule = rule.name;
  open.target = target;
  if (!d.firing.target.is_node()) open.affected_services = {d.firing.target.service};
  open.first_anomalous_ms = d.firing.first_anomalous_ms;
  open.detected_ms = d.firing.detected_ms;
  open.actor = "autopilot";
  // Which rule and which statistic decided: a candidate rule says both sides' figures.
  open.text = d.statistic.empty() ? measured_text(rule, d.firing) : d.statistic;
  if (!d.subject.empty()) open.text += ": " + d.subject;
  open.fields = {{"value", d.firing.value},
                 {"baseline", d.firing.baseline},
                 {"authority", autopilot::to_string(d.authority)}};
  auto opened = node_.incidents.store->open_incident(open);
  if (!opened) {
    log::error("INCIDENT", "could not record an autopilot decision",
               {{"detail", opened.error().detail}});
    return "";
  }
  log::warn("INCIDENT",
            opened->joined ? "autopilot decision joined incident" : "incident opened by autopilot",
            {{"id", opened->incident.id},
             {"severity", to_string(d.severity)},
             {"rule", rule.name},
             {"target", target}});
  return opened->incident.id;
}

std::string IncidentLog::intend(const autopilot::Decision& d) {
  if (node_.incidents.store == nullptr) return "";
  std::string id = open(d);
  if (id.empty()) return id;
  incident::TimelineEntry entry;
  entry.time_ms = unix_ms();
  entry.kind = incident::TimelineKind::kUpdate;
  entry.actor = "autopilot";
  entry.text = "acting: " + std::string(autopilot::to_string(d.action)) + " (authority " +
               std::string(autopilot::to_string(d.authority)) + ")";
  entry.fields = {{"action", autopilot::to_string(d.action)}, {"phase", "intent"}};
  if (!node_.incidents.store->append(id, entry))
    log::error("INCIDENT", "could not record the autopilot's intent", {{"id", id}});
  return id;
}

void IncidentLog::record(const autopilot::Decision& d) {
  if (node_.incidents.store == nullptr) return;
  const autopilot::Rule& rule = *d.firing.rule;
  const std::string target = d.firing.target.to_string();  // the incident's and the hook's form
  // Acted on: intend() wrote the incident before the action; otherwise it is opened now.
  const std::string id = d.incident_id.empty() ? open(d) : d.incident_id;
  if (id.empty()) return;
  int64_t now = unix_ms();
  incident::TimelineEntry entry;
  entry.time_ms = now;
  entry.kind = d.executed ? incident::TimelineKind::kActionTaken : incident::TimelineKind::kUpdate;
  entry.actor = "autopilot";
  entry.text = d.outcome;
  entry.fields = {{"action", autopilot::to_string(d.action)}, {"executed", d.executed}};
  node_.incidents.store->append(id, entry);
  // The autopilot's isolation belongs to this incident: an operator's lift notes and mitigates it.
  if (d.executed && d.action == autopilot::Action::kIsolate && node_.isolation.latched &&
      node_.isolation.by == "autopilot" && node_.isolation.incident_id.empty())
    node_.isolation.incident_id = id;
  // A rollback is not yet a mitigation: the rule watches the traffic back on the stable set,
  // and mitigates the incident once it has recovered (Autopilot::after_release).
  // The rule's hook (e.g. `kubectl rollout undo`) runs once per firing the node acted on, off
  // this thread; its exit code and output join the timeline when it ends.
  if (d.attempted && !rule.exec.empty() && hooks_ != nullptr) {
    hooks_->run(id, rule.exec, rule.exec_timeout_ms,
                {rule.name, target, std::string(autopilot::to_string(d.action)),
                 std::string(to_string(d.severity))});
  }
}

}  // namespace x0::app
