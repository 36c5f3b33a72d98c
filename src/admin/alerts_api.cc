// Alertmanager webhook receiver (see alerts_api.h).
#include "admin/alerts_api.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "admin/control_thread.h"
#include "common/clock.h"
#include "common/log.h"
#include "incident/alert_webhook.h"
#include "incident/incident_store.h"

namespace x0::admin {
namespace {

using json = nlohmann::json;

// What became of each alert of one notification; the answer's body.
struct Outcomes {
  json alerts = json::array();  // {"alertname", "fingerprint", "status", "outcome", "incident"}
  json by_outcome = json::object();  // outcome -> incident ids
  json incidents = json::array();    // every incident touched, in order (the answer before these)

  void add(const incident::WebhookAlert& a, std::string_view outcome, const std::string& id) {
    json one = {{"alertname", a.alertname},
                {"fingerprint", a.fingerprint},
                {"status", a.resolved ? "resolved" : "firing"},
                {"outcome", outcome}};
    if (!id.empty()) {
      one["incident"] = id;
      if (!by_outcome.contains(outcome)) by_outcome[std::string(outcome)] = json::array();
      by_outcome[std::string(outcome)].push_back(id);
      incidents.push_back(id);
    }
    alerts.push_back(std::move(one));
  }
  json body() const {
    json out = {{"incidents", incidents}, {"alerts", alerts}};
    for (const char* k : {"opened", "joined", "repeat", "mitigated", "noted"})
      out[k] = by_outcome.contains(k) ? by_outcome[k] : json::array();
    return out;
  }
};

std::string_view resolved_as(incident::AlertResolvedAs as) {
  switch (as) {
    case incident::AlertResolvedAs::kMitigated:
      return "mitigated";
    case incident::AlertResolvedAs::kNoted:
      return "noted";
    case incident::AlertResolvedAs::kRepeat:
      return "repeat";
    case incident::AlertResolvedAs::kUnknown:
      break;
  }
  return "unknown";
}

// One alert into the store; an error only when the store could not record it (the caller
// answers 503). A refusal that a retry cannot change (bad_request...) is an outcome.
Result<void> record(incident::IncidentStore& store, const incident::WebhookAlert& alert,
                    Outcomes* out) {
  if (!alert.rejected.empty()) {
    out->add(alert, "rejected", "");
    out->alerts.back()["reason"] = alert.rejected;
    return {};
  }
  std::string id;
  std::string_view outcome;
  Error error{Errc::kStoreError, ""};
  if (alert.resolved) {
    auto r = store.resolve_alert(alert.resolution);
    if (r) {
      outcome = resolved_as(r->as);
      id = r->incident_id;
    } else {
      error = r.error();
    }
  } else {
    auto r = store.open_incident(alert.open);
    if (r) {
      outcome = r->repeat ? "repeat" : r->joined ? "joined" : "opened";
      id = r->incident.id;
    } else {
      error = r.error();
    }
  }
  if (!outcome.empty()) {
    out->add(alert, outcome, id);
    return {};
  }
  if (is_store_error(error.code)) return std::unexpected(std::move(error));
  out->add(alert, "rejected", "");
  out->alerts.back()["reason"] = error.detail;
  return {};
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
  auto hook = incident::parse_alertmanager_webhook(request.body, unix_ms());
  if (!hook) {
    conn.respond(400, "application/json",
                 json{{"error", "bad_request"}, {"detail", hook.error().detail}}.dump() + "\n");
    return;
  }
  if (api.store == nullptr || control == nullptr) {
    conn.respond(503, "application/json",
                 R"({"error":"unavailable","detail":"incident store not open"})"
                 "\n");
    return;
  }
  incident::IncidentStore* store = api.store;
  answer_async(conn, *control, [store, hook = std::move(*hook)]() -> Reply {
    Outcomes out;
    for (const incident::WebhookAlert& alert : hook.alerts) {
      auto recorded = record(*store, alert, &out);
      if (recorded) continue;
      // 5xx, so Alertmanager sends the whole notification again: what was recorded of it is a
      // repeat then, and the rest is tried again. The alerts after this one would meet the same
      // store (and each wait out its busy timeout), so they wait for that retry.
      const Error& e = recorded.error();
      log::error("INCIDENT", "cannot record an Alertmanager alert",
                 {{"alertname", alert.alertname},
                  {"fingerprint", alert.fingerprint},
                  {"code", e.name()},
                  {"detail", e.detail}});
      json body = out.body();
      body["error"] = e.name();
      body["detail"] =
          "the incident store could not record alert " + alert.alertname +
          (alert.fingerprint.empty() ? "" : " (fingerprint " + alert.fingerprint + ")") + ": " +
          e.detail + "; Alertmanager retries the notification";
      return Reply{503, body.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
    }
    return Reply{200, out.body().dump(-1, ' ', false, json::error_handler_t::replace) + "\n"};
  });
}

}  // namespace x0::admin
