// The status page's two renderings (docs/ONCALL.md, "Status page"): GET /status.json shaped like
// Atlassian Statuspage's summary.json (page, status, components, incidents with their
// incident_updates, scheduled_maintenances) plus our own `recent_incidents` and per-component
// `uptime`; and GET /status as one self-contained HTML document (inline CSS, SVG uptime bars,
// no script, refreshed by <meta http-equiv="refresh">). Pure functions of the model.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "status/status_page.h"

namespace x0::status {

nlohmann::json to_summary_json(const StatusPage& page);
// The body of /status.json: to_summary_json, indented, with any invalid UTF-8 in incident text
// (a row some other writer put in the store) replaced by U+FFFD instead of throwing.
std::string summary_json_text(const StatusPage& page);
std::string render_html(const StatusPage& page);


}  // namespace x0::status
