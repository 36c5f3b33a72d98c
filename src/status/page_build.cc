// Builds the status page's model from the node's knowledge (see status_page.h): components
// from /health and the open incidents, incidents as Statuspage shows them (their operator-
// meaningful timeline entries as updates), the uptime bars, and the overall indicator.
#include <algorithm>

#include "status/redact.h"
#include "status/status_page.h"

namespace x0::status {
namespace {

using incident::TimelineKind;

std::string_view statuspage_status(incident::Status s) {
  switch (s) {
    case incident::Status::kOpen:
      return "investigating";
    case incident::Status::kAcknowledged:
      return "identified";
    case incident::Status::kMitigated:
      return "monitoring";
    case incident::Status::kResolved:
      return "resolved";
  }
  return "investigating";
}

// The severity as Statuspage's impact (the same mapping as the Statuspage channel).
Indicator impact_of(Severity s) {
  switch (s) {
    case Severity::kSev1:
      return Indicator::kCritical;
    case Severity::kSev2:
      return Indicator::kMajor;
    case Severity::kSev3:
      return Indicator::kMinor;
    default:
      return Indicator::kNone;
  }
}

std::string default_body(std::string_view status) {
  if (status == "investigating") return "We are investigating this issue.";
  if (status == "identified") return "The issue has been identified and is being worked on.";
  if (status == "monitoring") return "A fix is in place and we are monitoring the results.";
  return "This incident has been resolved.";
}

}  // namespace

std::string_view to_string(Indicator i) {
  constexpr std::string_view kNames[] = {"none", "minor", "major", "critical"};
  return kNames[static_cast<size_t>(i)];
}

std::string_view description(Indicator i) {
  constexpr std::string_view kText[] = {"All Systems Operational", "Partially Degraded Service",
                                        "Partial System Outage", "Major System Outage"};
  return kText[static_cast<size_t>(i)];
}

Indicator indicator_of(ComponentStatus s) { return static_cast<Indicator>(static_cast<int>(s)); }

std::string_view label(ComponentStatus s) {
  constexpr std::string_view kText[] = {"Operational", "Degraded Performance", "Partial Outage",
                                        "Major Outage"};
  return kText[static_cast<size_t>(s)];
}

PageIncident page_incident(const incident::Incident& inc, const std::vector<Component>& components,
                           bool show_addresses) {
  auto text = [&](const std::string& t) { return show_addresses ? t : redact_addresses(t); };
  PageIncident out;
  out.id = inc.id;
  out.name = text(inc.title);
  out.status = std::string(statuspage_status(inc.status));
  out.impact = std::string(to_string(impact_of(inc.severity)));
  out.severity = std::string(to_string(inc.severity));
  out.created_ms = inc.created_ms;
  out.updated_ms = inc.updated_ms;
  out.started_ms = inc.start_ms();
  out.monitoring_ms = inc.first_time(TimelineKind::kMitigated);
  out.resolved_ms = inc.first_time(TimelineKind::kResolved);
  out.component_ids = affected_component_ids(inc, components);
  // The entries a reader of the page needs, each with the status in effect after it. Repeated
  // detections (joins), escalations, notifications and the autopilot's own actions are for
  // the on-call team, not for the page.
  std::string_view current = "investigating";
  bool detected = false;
  for (const incident::TimelineEntry& e : inc.timeline) {
    switch (e.kind) {
      case TimelineKind::kDetected:
        if (detected) continue;
        detected = true;
        break;
      case TimelineKind::kAcknowledged:
        if (current == "investigating") current = "identified";
        break;
      case TimelineKind::kMitigated:
        current = "monitoring";
        break;
      case TimelineKind::kResolved:
        current = "resolved";
        break;
      case TimelineKind::kUpdate:
        break;
      default:
        continue;
    }
    IncidentUpdate u{inc.id + "-" + std::to_string(e.seq), std::string(current),
                     e.text.empty() ? default_body(current) : text(e.text), e.time_ms};
    out.updates.push_back(std::move(u));
  }
  std::reverse(out.updates.begin(), out.updates.end());
  if (out.updates.size() > kMaxUpdatesShown) out.updates.resize(kMaxUpdatesShown);
  return out;
}

StatusPage build_page(const PageInputs& in) {
  StatusPage page;
  page.id = in.node_id;
  page.name = in.page_name.empty() ? "x0tta6bl4 " + in.node_id : in.page_name;
  if (!in.public_url.empty()) {
    std::string base = in.public_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    page.url = base + "/status";
  }
  page.now_ms = in.now_ms;
  page.incidents_unavailable = in.incidents_unavailable;
  page.components = components_from_health(in.health);
  apply_incidents(page.components, in.unresolved);
  Indicator worst = Indicator::kNone;
  for (Component& c : page.components) {
    c.uptime = incident::uptime_bars(in.uptime, c.id, in.now_ms);
    c.uptime_fraction = incident::uptime_over(c.uptime);
    worst = std::max(worst, indicator_of(c.status));
  }
  for (const incident::Incident& inc : in.unresolved) {
    page.open_incidents.push_back(page_incident(inc, page.components, in.show_addresses));
    if (inc.status != incident::Status::kMitigated)
      worst = std::max(worst, impact_of(inc.severity));
  }
  for (const incident::Incident& inc : in.recent)
    if (inc.created_ms >= in.now_ms - kRecentWindowMs)
      page.recent_incidents.push_back(page_incident(inc, page.components, in.show_addresses));
  page.indicator = worst;
  return page;
}

}  // namespace x0::status
