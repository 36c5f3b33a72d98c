// GET /status.json (see render.h). Field names and value spellings are Statuspage's where it has
// them, so a client written for summary.json reads this; ours are `recent_incidents`, each
// component's `uptime` and `status_detail`, and each incident's `severity`.
#include <cmath>

#include "status/render.h"

namespace x0::status {
namespace {

using json = nlohmann::json;

json time_or_null(const std::optional<int64_t>& ms) {
  return ms ? json(incident::iso8601_utc(*ms)) : json(nullptr);
}

json percent(const std::optional<double>& fraction) {
  if (!fraction) return nullptr;
  return std::round(*fraction * 100000.0) / 1000.0;  // 99.931
}

json uptime_json(const Component& c) {
  json history = json::array();
  for (const incident::UptimeBar& bar : c.uptime) {
    json samples = json::object();
    for (size_t s = 0; s < bar.samples.size(); ++s)
      samples[std::string(incident::to_string(static_cast<ComponentStatus>(s)))] = bar.samples[s];
    history.push_back(
        {{"date", bar.date},
         {"percent", percent(bar.uptime)},
         {"worst_status", bar.uptime ? json(incident::to_string(bar.worst)) : json(nullptr)},
         {"samples", samples}});
  }
  return {{"days", c.uptime.size()}, {"percent", percent(c.uptime_fraction)}, {"history", history}};
}

json component_json(const Component& c, const StatusPage& page) {
  return {{"id", c.id},
          {"name", c.name},
          {"description", c.description},
          {"status", incident::to_string(c.status)},
          {"status_detail", c.detail},
          {"position", c.position},
          {"page_id", page.id},
          {"group_id", nullptr},
          {"group", false},
          {"showcase", true},
          {"only_show_if_degraded", false},
          {"updated_at", incident::iso8601_utc(page.now_ms)},
          {"uptime", uptime_json(c)}};
}

json incident_json(const PageIncident& inc, const StatusPage& page) {
  json updates = json::array();
  for (const IncidentUpdate& u : inc.updates) {
    const std::string at = incident::iso8601_utc(u.time_ms);
    updates.push_back({{"id", u.id},
                       {"incident_id", inc.id},
                       {"status", u.status},
                       {"body", u.body},
                       {"created_at", at},
                       {"updated_at", at},
                       {"display_at", at}});
  }
  json components = json::array();
  for (const std::string& id : inc.component_ids) {
    for (const Component& c : page.components)
      if (c.id == id)
        components.push_back(
            {{"id", c.id}, {"name", c.name}, {"status", incident::to_string(c.status)}});
  }
  json out = {{"id", inc.id},
              {"name", inc.name},
              {"status", inc.status},
              {"impact", inc.impact},
              {"severity", inc.severity},
              {"created_at", incident::iso8601_utc(inc.created_ms)},
              {"updated_at", incident::iso8601_utc(inc.updated_ms)},
              {"started_at", incident::iso8601_utc(inc.started_ms)},
              {"monitoring_at", time_or_null(inc.monitoring_ms)},
              {"resolved_at", time_or_null(inc.resolved_ms)},
              {"page_id", page.id},
              {"incident_updates", updates},
              {"components", components}};
  if (!page.url.empty()) out["shortlink"] = page.url + "#" + inc.id;
  return out;
}

}  // namespace

json to_summary_json(const StatusPage& page) {
  json info = {{"id", page.id},
               {"name", page.name},
               {"time_zone", "Etc/UTC"},
               {"updated_at", incident::iso8601_utc(page.now_ms)}};
  if (!page.url.empty()) info["url"] = page.url;
  json components = json::array();
  for (const Component& c : page.components) components.push_back(component_json(c, page));
  json open = json::array(), recent = json::array();
  for (const PageIncident& i : page.open_incidents) open.push_back(incident_json(i, page));
  for (const PageIncident& i : page.recent_incidents) recent.push_back(incident_json(i, page));
  json out = {
      {"page", info},
      {"status",
       {{"indicator", to_string(page.indicator)}, {"description", description(page.indicator)}}},
      {"components", components},
      {"incidents", open},
      {"scheduled_maintenances", json::array()},
      {"recent_incidents", recent}};
  if (!page.incidents_unavailable.empty())
    out["incidents_unavailable"] = page.incidents_unavailable;
  return out;
}

std::string summary_json_text(const StatusPage& page) {
  return to_summary_json(page).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace x0::status
