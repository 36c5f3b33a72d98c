// The incident model: what happened, how bad, who did what when. Plain values, no I/O.
// Times are unix milliseconds (UTC). The store (incident_store.h) persists these, the report
// (report.h) renders them, escalation.h computes what is due. MTTD and MTTR are derived from the
// timeline, never stored, so they cannot disagree with it.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/severity.h"

namespace x0::incident {

// SEV-1 is the worst (common/severity.h: the autopilot's rules carry the same type).
using x0::kSeverityCount;
using x0::parse_severity;
using x0::Severity;
using x0::to_string;

// Linear progression; acknowledging does not move a mitigated incident back.
enum class Status { kOpen, kAcknowledged, kMitigated, kResolved };

// The report template's values (Alert/Manual/Monitoring).
enum class DetectionMethod { kAlert, kManual, kMonitoring };

enum class TimelineKind {
  kFirstAnomalousSample,
  kDetected,
  kActionTaken,
  kMitigated,
  kAcknowledged,
  kUpdate,
  kEscalated,
  kResolved,
  kNotified,
};

struct TimelineEntry {
  int64_t time_ms = 0;
  TimelineKind kind = TimelineKind::kUpdate;
  std::string actor;  // "system", "autopilot", an operator name...
  std::string text;
  nlohmann::json fields = nlohmann::json::object();  // machine-readable details (rule values...)
  int64_t seq = 0;  // insertion order; assigned by the store, breaks ties between equal times
};

struct Incident {
  std::string id;  // "INC-20261124-0001": UTC day of creation + sequence within the day
  std::string title;
  Severity severity = Severity::kSev3;
  Status status = Status::kOpen;
  DetectionMethod detection = DetectionMethod::kManual;
  std::string rule;    // policy rule name; empty for manual incidents (never deduplicated)
  std::string target;  // service or component the rule fired on
  std::vector<std::string> affected_services;
  std::string impact;
  std::string root_cause;
  std::string resolution;
  std::string lessons_learned;
  std::vector<std::string> action_items;
  std::vector<TimelineEntry> timeline;  // sorted by (time_ms, seq)
  int64_t created_ms = 0;
  int64_t updated_ms = 0;

  // Earliest entry of that kind, if any.
  std::optional<int64_t> first_time(TimelineKind kind) const;
  bool acknowledged() const { return first_time(TimelineKind::kAcknowledged).has_value(); }
  bool resolved() const { return status == Status::kResolved; }
  // When the trouble started: first anomalous sample, else detection, else creation.
  int64_t start_ms() const;
};

// Open incidents (not resolved) per severity; index = severity number - 1.
using OpenCounts = std::array<int64_t, kSeverityCount>;

// What opens an incident: a triggered rule (autopilot, Alertmanager) or an operator (POST).
struct OpenRequest {
  std::string title;
  Severity severity = Severity::kSev3;
  DetectionMethod detection = DetectionMethod::kManual;
  std::string rule;  // non-empty: deduplicated by (rule, target) against unresolved incidents
  std::string target;
  std::vector<std::string> affected_services;
  std::string impact;
  std::optional<int64_t> first_anomalous_ms;  // the first bad sample, when the detector knows it
  std::optional<int64_t> detected_ms;         // default: now
  std::string actor = "operator";
  std::string text;  // timeline text of the detected entry; default: the title
  nlohmann::json fields = nlohmann::json::object();
  // Alertmanager's identity of the alert (`fingerprint`) and of the notification that carried
  // it (`groupKey`), both bounded by the reader (alert_webhook.h). A fingerprint still firing on
  // an unresolved incident makes the request a repeat: nothing is written. Empty: joined by
  // rule and target only, as for the autopilot's own detections.
  std::string alert_fingerprint{};
  std::string alert_group_key{};
};

// An acknowledgement, a status update or a mitigation note.
struct Note {
  std::string actor = "operator";
  std::string text;
  std::optional<int64_t> time_ms;  // default: now
  nlohmann::json fields = nlohmann::json::object();
  // Sets the incident's Impact with the entry. One the node measured (kMeasuredImpact prefix)
  // never replaces an operator's own words; an operator's replaces anything.
  std::optional<std::string> impact = std::nullopt;
};

// How the impact the node measured from its counters begins (see Note::impact).
inline constexpr std::string_view kMeasuredImpact = "measured by the node: ";

struct ResolveRequest {
  std::string root_cause;
  std::string resolution;
  std::string lessons_learned;
  std::vector<std::string> action_items;
  std::string actor = "operator";
  std::optional<int64_t> time_ms;  // default: now
  // The operator's account of the impact; unset: the incident's stays.
  std::optional<std::string> impact = std::nullopt;
};

// MTTD: first anomalous sample -> detected. nullopt when either is missing.
std::optional<int64_t> mttd_ms(const Incident& incident);
// MTTR: first anomalous sample -> mitigated. A resolved incident never marked mitigated counts
// as mitigated at its resolution (service is restored by then). nullopt while not mitigated.
std::optional<int64_t> mttr_ms(const Incident& incident);

// Names as the API, the report and the database spell them.
std::string_view to_string(Status s);           // "open", "acknowledged", ...
std::string_view to_string(DetectionMethod d);  // "Alert", "Manual", "Monitoring"
std::string_view to_string(TimelineKind k);     // "first_anomalous_sample", ...
// "Critical", "High", "Medium", "Low" (the response plan's words for SEV-1..4).
std::string_view severity_label(Severity s);

// Parsers accept the spellings above (severity: common/severity.h).
std::optional<Status> parse_status(std::string_view text);
std::optional<DetectionMethod> parse_detection_method(std::string_view text);  // any case
std::optional<TimelineKind> parse_timeline_kind(std::string_view text);

// 2026-11-24T15:00:00.123Z
std::string iso8601_utc(int64_t unix_ms);
// "INC-20261124-0001" for the UTC day of unix_ms and sequence number seq (>= 4 digits).
std::string make_incident_id(int64_t unix_ms, int64_t seq);
// "20261124": the UTC day part used in ids.
std::string utc_day(int64_t unix_ms);

}  // namespace x0::incident
