// GET /status (see render.h): one HTML document a browser shows without running anything.
// Every piece of text from incidents, services or the config passes html_escape; the classes
// and data-* attributes name states for CSS and for tests (tests/integration/
// test_status_page.py reads the DOM Chromium renders).
#include <cstdio>

#include "common/html_escape.h"
#include "status/render.h"

namespace x0::status {
namespace {

constexpr std::string_view kStyle = R"css(
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;background:#f6f7f9;color:#1f2933}
main{max-width:860px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:26px;margin:8px 0 20px}h2{font-size:18px;margin:32px 0 10px}
.banner{border-radius:6px;padding:16px 20px;color:#fff;font-size:19px;font-weight:600}
.indicator-none{background:#2fcc66}.indicator-minor{background:#d9a400}
.indicator-major{background:#e67e22}.indicator-critical{background:#e74c3c}
ul.components{list-style:none;padding:0;margin:0;background:#fff;border:1px solid #dfe3e8;border-radius:6px}
li.component{padding:14px 18px;border-top:1px solid #dfe3e8}li.component:first-child{border-top:0}
.row{display:flex;justify-content:space-between;gap:12px}.component-name{font-weight:600}
.component-status{font-weight:600}.detail{color:#52606d;font-size:13px;margin:2px 0 8px}
.status-operational .component-status{color:#1e9e4f}.status-degraded_performance .component-status{color:#b58900}
.status-partial_outage .component-status{color:#d35400}.status-major_outage .component-status{color:#c0392b}
svg.uptime{width:100%;height:34px;display:block}
.legend{display:flex;justify-content:space-between;color:#7b8794;font-size:12px;margin-top:4px}
article.incident{background:#fff;border:1px solid #dfe3e8;border-left:6px solid #e67e22;border-radius:6px;padding:12px 18px;margin-bottom:12px}
article.impact-critical{border-left-color:#e74c3c}article.impact-minor,article.impact-none{border-left-color:#d9a400}
article.incident h3{margin:4px 0;font-size:17px}.meta{color:#52606d;font-size:13px;margin:2px 0 8px}
ol.updates{list-style:none;padding:0;margin:0}li.update{padding:6px 0;border-top:1px dashed #dfe3e8}
.update-status{font-weight:600;margin-right:6px}time{color:#7b8794;font-size:12px;margin-left:6px}
ul.recent{padding-left:18px}.none{color:#52606d}.note{color:#c0392b}
footer{color:#7b8794;font-size:12px;margin-top:36px}
)css";

constexpr std::string_view kBarColors[] = {"#2fcc66", "#f1c40f", "#e67e22", "#e74c3c"};
constexpr std::string_view kNoData = "#c8cfd6";

std::string when(int64_t ms) {
  // "2026-12-04 21:03 UTC" from the ISO form.
  std::string iso = incident::iso8601_utc(ms);
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

std::string status_word(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string pct(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", fraction * 100.0);
  return buf;
}

void uptime_svg(std::string& out, const Component& c) {
  const size_t n = c.uptime.size();
  out += "<svg class=\"uptime\" viewBox=\"0 0 " + std::to_string(n * 5) +
         " 34\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"uptime of " +
         html_escape(c.name) + ", last " + std::to_string(n) + " days\">";
  for (size_t i = 0; i < n; ++i) {
    const incident::UptimeBar& bar = c.uptime[i];
    const std::string_view fill = bar.uptime ? kBarColors[static_cast<size_t>(bar.worst)] : kNoData;
    const std::string title =
        bar.date + ": " +
        (bar.uptime ? pct(*bar.uptime) + "% uptime, worst " + std::string(label(bar.worst))
                    : std::string("no data"));
    out += "<rect class=\"day\" data-date=\"" + bar.date + "\" x=\"" + std::to_string(i * 5) +
           "\" y=\"0\" width=\"3\" height=\"34\" fill=\"" + std::string(fill) + "\"><title>" +
           html_escape(title) + "</title></rect>";
  }
  out += "</svg>";
}

void component_html(std::string& out, const Component& c) {
  const std::string st(incident::to_string(c.status));
  out += "<li class=\"component status-" + st + "\" data-component=\"" + html_escape(c.id) +
         "\" data-status=\"" + st + "\"><div class=\"row\"><span class=\"component-name\">" +
         html_escape(c.name) + "</span><span class=\"component-status\">" +
         std::string(label(c.status)) + "</span></div><div class=\"detail\">" +
         html_escape(c.detail) + "</div>";
  uptime_svg(out, c);
  out += "<div class=\"legend\"><span>" + std::to_string(c.uptime.size()) +
         " days ago</span><span class=\"uptime-percent\">" +
         (c.uptime_fraction ? pct(*c.uptime_fraction) + " % uptime" : std::string("no data yet")) +
         "</span><span>Today</span></div></li>";
}

std::string affected(const PageIncident& inc, const StatusPage& page) {
  std::string names;
  for (const std::string& id : inc.component_ids)
    for (const Component& c : page.components)
      if (c.id == id) names += (names.empty() ? "" : ", ") + c.name;
  return names;
}

void incident_html(std::string& out, const PageIncident& inc, const StatusPage& page) {
  out += "<article class=\"incident impact-" + inc.impact + "\" id=\"" + html_escape(inc.id) +
         "\" data-incident=\"" + html_escape(inc.id) + "\" data-status=\"" + inc.status +
         "\"><h3><span class=\"incident-name\">" + html_escape(inc.name) +
         "</span></h3><p class=\"meta\"><span class=\"incident-status\">" +
         status_word(inc.status) + "</span> · " + html_escape(inc.severity) + " · started " +
         when(inc.started_ms);
  if (std::string names = affected(inc, page); !names.empty())
    out += " · affects " + html_escape(names);
  out += "</p><ol class=\"updates\">";
  for (const IncidentUpdate& u : inc.updates) {
    out += "<li class=\"update\" data-status=\"" + u.status + "\"><span class=\"update-status\">" +
           status_word(u.status) + "</span><span class=\"update-body\">" + html_escape(u.body) +
           "</span><time datetime=\"" + incident::iso8601_utc(u.time_ms) + "\">" + when(u.time_ms) +
           "</time></li>";
  }
  out += "</ol></article>";
}

void recent_html(std::string& out, const StatusPage& page) {
  out += "<section id=\"recent\"><h2>Past incidents (last 7 days)</h2>";
  if (page.recent_incidents.empty()) {
    out += "<p class=\"none\">No incidents reported in the last 7 days.</p></section>";
    return;
  }
  out += "<ul class=\"recent\">";
  for (const PageIncident& inc : page.recent_incidents) {
    out += "<li class=\"recent-incident\" data-incident=\"" + html_escape(inc.id) +
           "\" data-status=\"" + inc.status + "\"><strong>" + html_escape(inc.name) +
           "</strong> · " + status_word(inc.status) + " · " + html_escape(inc.severity) + " · " +
           when(inc.created_ms);
    if (inc.resolved_ms) out += " to " + when(*inc.resolved_ms);
    out += "</li>";
  }
  out += "</ul></section>";
}

}  // namespace

std::string render_html(const StatusPage& page) {
  const std::string ind(to_string(page.indicator));
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta http-equiv=\"refresh\" content=\"" +
      std::to_string(page.refresh_s) +
      "\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<title>" +
      html_escape(page.name) + " status</title><style>" + std::string(kStyle) +
      "</style></head><body><main><h1>" + html_escape(page.name) + "</h1>";
  out += "<section id=\"banner\" class=\"banner indicator-" + ind + "\" data-indicator=\"" + ind +
         "\">" + std::string(description(page.indicator)) + "</section>";
  if (!page.incidents_unavailable.empty())
    out += "<p class=\"note\">" + html_escape(page.incidents_unavailable) + "</p>";
  out += "<section id=\"incidents\"><h2>Open incidents</h2>";
  if (page.open_incidents.empty()) out += "<p class=\"none\">No open incidents.</p>";
  for (const PageIncident& inc : page.open_incidents) incident_html(out, inc, page);
  out += "</section><section id=\"components\"><h2>Components</h2><ul class=\"components\">";
  for (const Component& c : page.components) component_html(out, c);
  out += "</ul></section>";
  recent_html(out, page);
  out += "<footer>Updated <time datetime=\"" + incident::iso8601_utc(page.now_ms) + "\">" +
         when(page.now_ms) + "</time> · refreshes every " + std::to_string(page.refresh_s) +
         " s · <a href=\"/status.json\">JSON</a> · uptime weighs a partial outage at 30%, a "
         "major outage fully</footer></main></body></html>\n";
  return out;
}

}  // namespace x0::status
