// Alertmanager webhook receiver (see alerts_api.h).
#include "admin/alerts_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "admin/control_thread.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/rfc3339.h"
#include "incident/incident_store.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

std::string label(const json& alert, const char* key) {
  const json& labels = alert.value("labels", json::object());
  auto it = labels.find(key);
  return it != labels.end() && it->is_string() ? it->get<std::string>() : "";
}

// Alertmanager severities (critical/warning/info) or our own SEV-N.
incident::Severity severity_of(const std::string& s) {
  if (s == "critical" || s == "SEV-1") return incident::Severity::kSev1;
  if (s == "warning" || s == "SEV-2") return incident::Severity::kSev2;
  if (s == "info" || s == "SEV-4") return incident::Severity::kSev4;
  return incident::Severity::kSev3;
}

// An alert's startsAt or endsAt in unix ms when it is a time the incident can use: parsed, no
// older than a week (Alertmanager's "unset" is year 1), and not in the future beyond a minute of
// clock skew between Prometheus and this node (clamped to now). Else nullopt.
std::optional<int64_t> alert_time(const json& alert, const char* key, int64_t now_ms) {
  auto it = alert.find(key);
  if (it == alert.end() || !it->is_string()) return std::nullopt;
  auto ms = parse_rfc3339_ms(it->get<std::string>());
  constexpr int64_t kWeekMs = 7LL * 24 * 3600 * 1000;
  constexpr int64_t kSkewMs = 60'000;
  if (!ms || *ms > now_ms + kSkewMs || *ms < now_ms - kWeekMs) return std::nullopt;
  return std::min(*ms, now_ms);
}

}  // namespace

void handle_alertmanager(const IncidentServices& api, ControlThread* control,
                         http::ServerConnection& conn, const http::Request& request) {
  if (request.head.method != http::Method::kPost || request.head.path != "/alerts/alertmanager") {
    conn.respond(404, "application/json",
                 R"({"error":"not_found","detail":"POST /alerts/alertmanager"})"
                 "\n");
    return;
  }
  json payload = json::parse(request.body, nullptr, false);
  if (payload.is_discarded() || !payload.is_object() || !payload.contains("alerts") ||
      !payload["alerts"].is_array()) {
    conn.respond(
        400, "application/json",
        R"({"error":"bad_request","detail":"expected Alertmanager's webhook JSON with an alerts array"})"
        "\n");
    return;
  }
  if (api.store == nullptr || control == nullptr) {
    conn.respond(503, "application/json",
                 R"({"error":"unavailable","detail":"incident store not open"})"
                 "\n");
    return;
  }
  incident::IncidentStore* store = api.store;
  answer_async(conn, *control, [store, payload]() -> Reply {
    json ids = json::array();
    for (const json& alert : payload["alerts"]) {
      if (!alert.is_object()) continue;
      std::string name = label(alert, "alertname");
      if (name.empty()) continue;
      std::string target = label(alert, "service");
      if (target.empty()) target = label(alert, "instance");
      if (target.empty()) target = label(alert, "job");
      if (target.empty()) target = "node";
      std::string summary = alert.value("annotations", json::object()).value("summary", "");
      const int64_t now = unix_ms();
      if (alert.value("status", "firing") == "resolved") {
        incident::ListFilter open;
        open.unresolved_only = true;
        auto list = store->list(open);
        if (!list) continue;
        for (const auto& i : *list) {
          if (i.rule != name || i.target != target) continue;
          // The condition cleared: mitigated, as the autopilot marks its own incidents once its
          // action worked. Resolving (root cause, resolution) stays the on-call's. An incident
          // already mitigated only gets the note.
          incident::Note note{
              "alertmanager", "alert " + name + " resolved in Alertmanager", {}, {}};
          // Recovered when Alertmanager says it did (endsAt), so MTTR ends there, not at the
          // delivery of the notification.
          if (auto ends = alert_time(alert, "endsAt", now); ends && *ends >= i.start_ms())
            note.time_ms = *ends;
          if (!store->set_mitigated(i.id, note)) store->add_update(i.id, note);
          ids.push_back(i.id);
        }
        continue;
      }
      incident::OpenRequest open;
      open.title = summary.empty() ? name + " on " + target : summary;
      open.severity = severity_of(label(alert, "severity"));
      open.detection = incident::DetectionMethod::kAlert;
      open.rule = name;
      open.target = target;
      if (target != "node") open.affected_services = {target};
      open.actor = "alertmanager";
      // The alert's own start (startsAt): MTTD counts from there, not from the arrival of the
      // notification, which Alertmanager's group_wait and the rule's `for:` delay.
      open.first_anomalous_ms = alert_time(alert, "startsAt", now);
      open.fields = {{"labels", alert.value("labels", json::object())}};
      auto opened = store->open_incident(open);
      if (!opened) {
        log::error("INCIDENT", "cannot record an Alertmanager alert",
                   {{"detail", opened.error().detail}});
        continue;
      }
      ids.push_back(opened->incident.id);
    }
    return Reply{200, json{{"incidents", ids}}.dump() + "\n"};
  });
}

}  // namespace x0::admin
