// Autopilot actions and incident records for this node (see autopilot_wiring.h).
#include "app/autopilot_wiring.h"

#include <chrono>
#include <cstdio>

#include "common/log.h"
#include "incident/incident_store.h"
#include "net/event_loop.h"
#include "release/release_controller.h"

namespace x0::app {
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// Runs an operator-supplied hook command with a deadline; its exit code and the head of its
// output go into the incident timeline.
std::string run_hook(const std::string& command, int64_t timeout_ms) {
  std::string wrapped = "timeout " + std::to_string((timeout_ms + 999) / 1000) + " sh -c '" +
                        command + "' 2>&1";
  FILE* pipe = ::popen(wrapped.c_str(), "r");
  if (pipe == nullptr) return "hook could not start";
  std::string output;
  char buf[512];
  while (output.size() < 2048 && std::fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  int status = ::pclose(pipe);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return "hook exit=" + std::to_string(code) + (code == 124 ? " (timed out)" : "") +
         " output=" + output.substr(0, 512);
}

}  // namespace

bool NodeActuator::act(autopilot::Action action, const std::string& service,
                       const autopilot::Rule& rule, std::string* outcome) {
  bool ok = true;
  switch (action) {
    case autopilot::Action::kRollback: {
      if (node_.releases == nullptr || !node_.releases->active(service)) {
        *outcome = "no release in progress for " + service + ": nothing to roll back";
        break;
      }
      auto rolled = node_.releases->rollback(service, "autopilot: rule " + rule.name, "autopilot");
      if (!rolled) {
        *outcome = "rollback failed: " + rolled.error().detail;
        ok = false;
        break;
      }
      routing_changed_();  // traffic is back on the stable set from here on
      *outcome = "rolled back release " + rolled->id + ": all traffic on the stable set";
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
    case autopilot::Action::kIsolate:
      node_.isolated.store(true);
      *outcome = "node isolated: external clients refused, /health/ready not ready";
      break;
    default:
      *outcome = std::string(autopilot::to_string(action)) + " recorded for " + service;
      break;
  }
  if (!rule.exec.empty()) *outcome += "; " + run_hook(rule.exec, rule.exec_timeout_ms);
  return ok;
}

void IncidentLog::record(const autopilot::Decision& d) {
  if (node_.incidents == nullptr) return;
  const autopilot::Rule& rule = *d.firing.rule;
  std::string service = d.firing.target.substr(0, d.firing.target.find('/'));
  incident::OpenRequest open;
  open.title = rule.name + " on " + d.firing.target;
  open.severity = static_cast<incident::Severity>(rule.severity.back() - '0');
  open.detection = incident::DetectionMethod::kMonitoring;
  open.rule = rule.name;
  open.target = d.firing.target;
  if (service != "node") open.affected_services = {service};
  open.first_anomalous_ms = d.firing.first_anomalous_ms;
  open.detected_ms = d.firing.detected_ms;
  open.actor = "autopilot";
  open.text = "value " + std::to_string(d.firing.value) +
              (rule.scope == autopilot::Scope::kCandidate ? " (stable " + std::to_string(d.firing.baseline) + ")" : "");
  open.fields = {{"value", d.firing.value}, {"baseline", d.firing.baseline},
                 {"authority", autopilot::to_string(d.authority)}};
  auto opened = node_.incidents->open_incident(open);
  if (!opened) {
    log::error("INCIDENT", "could not record an autopilot decision", {{"detail", opened.error().detail}});
    return;
  }
  const std::string& id = opened->incident.id;
  int64_t now = unix_ms();
  incident::TimelineEntry entry;
  entry.time_ms = now;
  entry.kind = d.executed ? incident::TimelineKind::kActionTaken : incident::TimelineKind::kUpdate;
  entry.actor = "autopilot";
  entry.text = d.outcome;
  entry.fields = {{"action", autopilot::to_string(d.action)}, {"executed", d.executed}};
  node_.incidents->append(id, entry);
  if (d.executed && d.action == autopilot::Action::kRollback) {
    node_.incidents->set_mitigated(id, incident::Note{"autopilot", "traffic back on the stable set", now, {}});
  }
  log::warn("INCIDENT", opened->joined ? "autopilot decision joined incident" : "incident opened by autopilot",
            {{"id", id}, {"severity", rule.severity}, {"rule", rule.name}, {"target", d.firing.target}});
}

}  // namespace x0::app
