// Markdown rendering of the post-incident report (see report.h). Table cells are escaped
// (pipes, newlines) so free text from operators cannot break the table layout.
#include "incident/report.h"

#include <cstdio>
#include <string_view>

namespace x0::incident {
namespace {

std::string cell(std::string_view text) {
  if (text.empty()) return kNotRecorded;
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += "<br>";
    else if (c != '\r')
      out += c;
  }
  return out;
}

std::string block(std::string_view text) {
  return text.empty() ? std::string("_") + kNotRecorded + "_" : std::string(text);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string time_or_missing(std::optional<int64_t> ms) {
  return ms ? iso8601_utc(*ms) : std::string(kNotRecorded);
}

std::string duration_or(std::optional<int64_t> ms, std::string_view missing) {
  return ms ? format_duration(*ms) : std::string(missing);
}

}  // namespace

std::string format_duration(int64_t ms) {
  const bool negative = ms < 0;
  if (negative) ms = -ms;
  char buf[64];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%lld.%03lld s", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%lld h %lld min", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms % 3'600'000 / 60'000));
  }
  return (negative ? "-" : "") + std::string(buf);
}

std::string render_report(const Incident& inc, int64_t now_ms) {
  const auto first = inc.first_time(TimelineKind::kFirstAnomalousSample);
  const auto detected = inc.first_time(TimelineKind::kDetected);
  const auto resolved = inc.first_time(TimelineKind::kResolved);
  const auto mttd = mttd_ms(inc);
  const auto mttr = mttr_ms(inc);
  const char* start_basis = first      ? "first anomalous sample"
                            : detected ? "detection; no anomalous sample recorded"
                                       : "creation";
  std::string resolution_time = kNotRecorded;
  if (resolved)
    resolution_time = iso8601_utc(*resolved) + " (" + format_duration(*resolved - inc.start_ms()) +
                      " after start)";

  std::string md;
  md += "# Post-incident report: " + inc.id + "\n\n";
  md += "**" + cell(inc.title) + "**\n\n";
  md += "| Field | Value |\n|---|---|\n";
  md += "| Incident ID | " + cell(inc.id) + " |\n";
  md += "| Severity | " + std::string(to_string(inc.severity)) + " (" +
        std::string(severity_label(inc.severity)) + ") |\n";
  md += "| Status | " + std::string(to_string(inc.status)) + " |\n";
  md += "| Start Time | " + iso8601_utc(inc.start_ms()) + " (" + start_basis + ") |\n";
  md += "| Detection Method | " + std::string(to_string(inc.detection)) + " |\n";
  md += "| Detection Time | " + time_or_missing(detected) + " |\n";
  md += "| Rule | " + cell(inc.rule.empty() ? "none (opened manually)" : inc.rule) + " |\n";
  md += "| Target | " + cell(inc.target) + " |\n";
  md += "| Affected Services | " + cell(join(inc.affected_services)) + " |\n";
  md += "| Impact | " + cell(inc.impact) + " |\n";
  md += "| Root Cause | " + cell(inc.root_cause) + " |\n";
  md += "| Resolution | " + cell(inc.resolution) + " |\n";
  md += "| Resolution Time | " + resolution_time + " |\n";
  md += "| MTTD (first anomalous sample → detected) | " +
        duration_or(mttd, first ? kNotRecorded : "unknown: no anomalous sample recorded") + " |\n";
  md += "| MTTR (first anomalous sample → mitigated) | " +
        duration_or(mttr, first ? "not mitigated yet" : "unknown: no anomalous sample recorded") +
        " |\n\n";

  md += "## Root Cause\n\n" + block(inc.root_cause) + "\n\n";
  md += "## Resolution\n\n" + block(inc.resolution) + "\n\n";
  md += "## Lessons Learned\n\n" + block(inc.lessons_learned) + "\n\n";
  md += "## Action Items\n\n";
  if (inc.action_items.empty()) md += "_" + std::string(kNotRecorded) + "_\n";
  for (const auto& item : inc.action_items) md += "- [ ] " + cell(item) + "\n";

  md += "\n## Timeline\n\n| Time (UTC) | Event | Actor | Details |\n|---|---|---|---|\n";
  for (const auto& e : inc.timeline) {
    std::string details = e.text;
    if (e.fields.is_object() && !e.fields.empty())
      details += (details.empty() ? "" : " ") + std::string("`") +
                 e.fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "`";
    md += "| " + iso8601_utc(e.time_ms) + " | " + std::string(to_string(e.kind)) + " | " +
          cell(e.actor.empty() ? "-" : e.actor) + " | " + cell(details.empty() ? "-" : details) +
          " |\n";
  }
  if (inc.timeline.empty()) md += "| " + std::string(kNotRecorded) + " | | | |\n";
  md += "\n_Generated " + iso8601_utc(now_ms) + " by x0tta6bl4._\n";
  return md;
}

}  // namespace x0::incident
