// The measured Impact line (see impact.h).
#include "incident/impact.h"

#include <cstdio>
#include <set>

#include "incident/report.h"

namespace x0::incident {
namespace {

std::string share(uint64_t part, uint64_t whole) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %%",
                whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole));
  return text;
}

}  // namespace

std::string measured_impact_text(const MeasuredImpact& m, const Incident& incident) {
  std::string text(kMeasuredImpact);
  if (!m.service.empty() && m.counted) {
    std::string of = " of " + std::to_string(m.requests) + " requests to " + m.service;
    text += std::to_string(m.failed) + of + " failed (" + share(m.failed, m.requests) + ")";
    if (std::isfinite(m.slower_than_ms)) {
      char limit[32];
      std::snprintf(limit, sizeof limit, "%.0f", m.slower_than_ms);
      text += ", " + std::to_string(m.slower) + " (" + share(m.slower, m.requests) + ") took " +
              limit + " ms or more";
    }
  } else if (!m.service.empty()) {
    text += "requests to " + m.service +
            " not counted (the node's samples do not reach back to the start)";
  } else {
    text += "a node-wide condition";
  }
  text += ", over " + format_duration(m.to_ms - m.from_ms) + " (" + iso8601_utc(m.from_ms) +
          " to " + iso8601_utc(m.to_ms) + ")";
  // What the node did about it, once each, in order.
  std::set<std::string> said;
  std::string actions;
  for (const TimelineEntry& e : incident.timeline) {
    if (e.kind != TimelineKind::kActionTaken || !said.insert(e.text).second) continue;
    actions += (actions.empty() ? "" : "; ") + e.text;
  }
  if (!actions.empty()) text += "; actions: " + actions;
  return text;
}

}  // namespace x0::incident
