// The post-incident report (GET /incidents/{id}/report, `x0tta6bl4 incident report`): Markdown
// with every field of the runbooks' template (seeds/003: Incident ID, Severity, Start Time,
// Detection Method, Affected Services, Impact, Root Cause, Resolution, Resolution Time, Lessons
// Learned, Action Items), the timeline, MTTD and MTTR. Times are ISO-8601 UTC. A field with no
// value yet says "not recorded yet" instead of being blank.
#pragma once

#include <cstdint>
#include <string>

#include "incident/incident.h"

namespace x0::incident {

inline constexpr const char* kNotRecorded = "not recorded yet";

// now_ms stamps the report ("generated at"); it does not change any figure in it.
std::string render_report(const Incident& incident, int64_t now_ms);

// "1.250 s", "3 min 20 s", "2 h 5 min": durations as operators read them.
std::string format_duration(int64_t ms);

}  // namespace x0::incident
