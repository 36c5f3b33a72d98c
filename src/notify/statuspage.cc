// Statuspage (developer.statuspage.io, "Incidents"): the incident opened is created with
// POST /v1/pages/{page_id}/incidents, and every later event updates that same Statuspage
// incident with PATCH .../incidents/{id} (the id the create answered, kept per channel and
// incident in the outbox's database). Authorization: OAuth <api key>. 420 and 429 are its rate
// limits (retried after Retry-After); 5xx retried; other 4xx are permanent.
#include <nlohmann/json.hpp>

#include "notify/wire.h"

namespace x0::notify::detail {
namespace {

std::string_view sp_status(const Event& e) {
  if (e.kind == EventKind::kResolved || e.status == "resolved") return "resolved";
  if (e.kind == EventKind::kMitigated || e.status == "mitigated") return "monitoring";
  if (e.kind == EventKind::kAcknowledged || e.status == "acknowledged") return "identified";
  return "investigating";
}

std::string_view impact(Severity s) {
  switch (s) {
    case Severity::kSev1:
      return "critical";
    case Severity::kSev2:
      return "major";
    case Severity::kSev3:
      return "minor";
    case Severity::kSev4:
      return "none";
  }
  return "none";
}

std::string_view component_status(const Event& e) {
  if (sp_status(e) == "resolved") return "operational";
  switch (e.severity) {
    case Severity::kSev1:
      return "major_outage";
    case Severity::kSev2:
      return "partial_outage";
    default:
      return "degraded_performance";
  }
}

}  // namespace

OutboundRequest format_statuspage(const Channel& c, const Event& e, const FormatContext& x) {
  nlohmann::json incident = {{"name", truncate_utf8(e.title, 255)},
                             {"status", sp_status(e)},
                             {"impact_override", impact(e.severity)},
                             {"body", e.text.empty() ? headline(e) : e.text}};
  if (!c.component_ids.empty()) {
    incident["component_ids"] = c.component_ids;
    nlohmann::json components = nlohmann::json::object();
    for (const auto& id : c.component_ids) components[id] = component_status(e);
    incident["components"] = components;
  }
  OutboundRequest r;
  const std::string incidents = c.base_url + "/v1/pages/" + c.page_id + "/incidents";
  if (x.remote_id.empty()) {
    r.method = "POST";
    r.url = incidents;
  } else {
    r.method = "PATCH";
    r.url = incidents + "/" + x.remote_id;
  }
  r.headers = {{"Content-Type", "application/json"}, {"Authorization", "OAuth " + c.secret}};
  r.body = nlohmann::json({{"incident", incident}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Outcome classify_statuspage(const ServiceAnswer& a) {
  if (a.status == 200 || a.status == 201) {
    Outcome o{Verdict::kDelivered, std::nullopt, "answered " + std::to_string(a.status), ""};
    auto j = nlohmann::json::parse(a.body, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_string()) o.remote_id = j["id"];
    return o;
  }
  if (a.status == 420 || a.status == 429)
    return retry(a, a.retry_after_s ? std::optional(*a.retry_after_s * 1000) : std::nullopt);
  if (a.status == 0 || a.status >= 500) return retry(a);
  return permanent(a);
}

}  // namespace x0::notify::detail
