// PagerDuty Events API v2 (developer.pagerduty.com, "Send an Alert Event"): POST /v2/enqueue
// with the integration's routing key; dedup_key = the incident id, so a trigger, its repeats,
// the acknowledge and the resolve all land on the one PagerDuty alert. 202 accepted; 400 is a
// malformed event (never retried: it would fail again); 429 and 5xx are retried.
#include <nlohmann/json.hpp>

#include "notify/wire.h"

namespace x0::notify::detail {
namespace {

std::string_view event_action(EventKind kind) {
  switch (kind) {
    case EventKind::kAcknowledged:
      return "acknowledge";
    case EventKind::kResolved:
      return "resolve";
    default:
      return "trigger";  // a re-trigger on the same dedup_key updates the alert, never a new one
  }
}

std::string_view pd_severity(Severity s) {
  switch (s) {
    case Severity::kSev1:
      return "critical";
    case Severity::kSev2:
      return "error";
    case Severity::kSev3:
      return "warning";
    case Severity::kSev4:
      return "info";
  }
  return "info";
}

}  // namespace

OutboundRequest format_pagerduty(const Channel& c, const Event& e, const FormatContext& x) {
  nlohmann::json details = {{"event", to_string(e.kind)},  {"status", e.status},
                            {"level", to_string(e.level)}, {"rule", e.rule},
                            {"target", e.target},          {"detection", e.detection}};
  for (const char* key : {"value", "baseline"})
    if (e.details.contains(key)) details[key] = e.details[key];
  if (!e.text.empty()) details["text"] = e.text;
  nlohmann::json body = {{"routing_key", c.secret},
                         {"event_action", event_action(e.kind)},
                         {"dedup_key", e.incident_id}};
  // acknowledge and resolve take only the key and the action; a payload is for triggers.
  if (body["event_action"] == "trigger") {
    body["payload"] = {{"summary", truncate_utf8(headline(e), 1024)},
                       {"source", x.node_id.empty() ? std::string("x0tta6bl4") : x.node_id},
                       {"severity", pd_severity(e.severity)},
                       {"timestamp", rfc3339_utc(e.time_ms)},
                       {"component", e.target},
                       {"group", e.services.empty() ? e.target : e.services.front()},
                       {"class", e.rule.empty() ? std::string("manual") : e.rule},
                       {"custom_details", details}};
    body["client"] = "x0tta6bl4";
    if (auto link = report_link(x, e); !link.empty()) {
      body["links"] = nlohmann::json::array({{{"href", link}, {"text", "Post-incident report"}}});
      body["client_url"] = link;
    }
  }
  OutboundRequest r;
  r.url = c.base_url + "/v2/enqueue";
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Outcome classify_pagerduty(const ServiceAnswer& a) {
  if (a.status == 202) return {Verdict::kDelivered, std::nullopt, "answered 202", ""};
  if (a.status == 429)
    return retry(a, a.retry_after_s ? std::optional(*a.retry_after_s * 1000) : std::nullopt);
  if (a.status == 0 || a.status >= 500) return retry(a);
  return permanent(a);  // 400 invalid event; 401/403/404 wrong key or URL: a retry changes nothing
}

}  // namespace x0::notify::detail
