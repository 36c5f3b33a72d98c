// The public status page's model (GET /status and /status.json, docs/ONCALL.md "Status page"):
// what the page says, built by build_page() from what the node already knows (the /health body,
// the incident store's incidents and uptime history) and rendered by summary_json.h (shaped
// like Atlassian Statuspage's summary.json) and page_html.h (server-rendered HTML, no script).
// Everything here is a plain value; nothing does I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "incident/incident.h"
#include "incident/uptime.h"

namespace x0::status {

using incident::ComponentStatus;

// The page's overall state, Statuspage's `status.indicator`.
enum class Indicator { kNone, kMinor, kMajor, kCritical };
std::string_view to_string(Indicator i);    // "none", "minor", "major", "critical"
std::string_view description(Indicator i);  // "All Systems Operational", ...
Indicator indicator_of(ComponentStatus s);  // operational none ... major_outage critical
std::string_view label(ComponentStatus s);  // "Operational", "Degraded Performance", ...

struct Component {
  std::string id = {};           // "node", "service-checkout", "mesh", "pqc", "cache"
  std::string name = {};         // what the page shows
  std::string description = {};  // what the component is
  ComponentStatus status = ComponentStatus::kOperational;
  std::string detail = {};  // why it is in that state, in the reader's words (never an address)
  int position = 0;         // 1-based, the page's order
  std::vector<incident::UptimeBar> uptime = {};          // kUptimeDays bars, oldest first
  std::optional<double> uptime_fraction = std::nullopt;  // over the bars; nullopt: no data
};

// One entry of an incident's timeline as the page shows it (Statuspage's incident_update).
struct IncidentUpdate {
  std::string id = {};      // "<incident id>-<timeline seq>"
  std::string status = {};  // investigating | identified | monitoring | resolved
  std::string body = {};
  int64_t time_ms = 0;
};

struct PageIncident {
  std::string id = {};
  std::string name = {};
  std::string status = {};    // investigating | identified | monitoring | resolved
  std::string impact = {};    // none | minor | major | critical (from the severity)
  std::string severity = {};  // "SEV-2"
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t started_ms = 0;
  std::optional<int64_t> monitoring_ms = std::nullopt;
  std::optional<int64_t> resolved_ms = std::nullopt;
  std::vector<IncidentUpdate> updates = {};  // newest first
  std::vector<std::string> component_ids = {};
};

struct StatusPage {
  std::string id = {};    // the node id
  std::string name = {};  // [status] page_name, else "x0tta6bl4 <node id>"
  std::string url = {};   // [notify] public_url + "/status", or empty
  int64_t now_ms = 0;
  int refresh_s = 30;
  Indicator indicator = Indicator::kNone;
  std::vector<Component> components = {};
  std::vector<PageIncident> open_incidents = {};    // unresolved, newest first
  std::vector<PageIncident> recent_incidents = {};  // created in the last 7 days, newest first
  std::string incidents_unavailable = {};  // non-empty: why incidents and history are missing
};

// What build_page reads. `health` is the /health body (admin::health_report), whose
// dependencies and host components say each component's state.
struct PageInputs {
  std::string node_id = {};
  std::string page_name = {};
  std::string public_url = {};
  bool show_addresses = false;  // [status] show_addresses: keep addresses in incident text
  int64_t now_ms = 0;
  nlohmann::json health = nlohmann::json::object();
  std::vector<incident::Incident> unresolved = {};  // with timelines
  std::vector<incident::Incident> recent = {};      // newest first, any status
  std::vector<incident::UptimeDay> uptime = {};
  std::string incidents_unavailable = {};
};

inline constexpr int64_t kRecentWindowMs = 7LL * 86'400'000;
inline constexpr size_t kMaxUpdatesShown = 50;  // per incident, newest kept

// The components and their states from the /health body (services by name, then node,
// mesh, PQC, cache), raised by the open incidents affecting them (components.cc).
std::vector<Component> components_from_health(const nlohmann::json& health);
void apply_incidents(std::vector<Component>& components,
                     const std::vector<incident::Incident>& unresolved);
// The ids of the components an incident affects: its affected services and its target
// ("node", a service, "shop/candidate" is the service "shop", "mesh", "pqc", "cache").
std::vector<std::string> affected_component_ids(const incident::Incident& inc,
                                                const std::vector<Component>& components);
// The incident as the page shows it (only operator-meaningful entries, addresses redacted
// unless show_addresses).
PageIncident page_incident(const incident::Incident& inc, const std::vector<Component>& components,
                           bool show_addresses);

StatusPage build_page(const PageInputs& in);

}  // namespace x0::status
