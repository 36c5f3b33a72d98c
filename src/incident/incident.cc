// Derived values of the incident model (MTTD, MTTR, start time) and the name <-> enum tables.
// One table per enum so the API, the database and the report can never spell a value differently.
#include "incident/incident.h"

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <utility>

namespace x0::incident {
namespace {

constexpr std::array<std::pair<Status, std::string_view>, 4> kStatuses{{
    {Status::kOpen, "open"},
    {Status::kAcknowledged, "acknowledged"},
    {Status::kMitigated, "mitigated"},
    {Status::kResolved, "resolved"},
}};
constexpr std::array<std::pair<DetectionMethod, std::string_view>, 3> kDetections{{
    {DetectionMethod::kAlert, "Alert"},
    {DetectionMethod::kManual, "Manual"},
    {DetectionMethod::kMonitoring, "Monitoring"},
}};
constexpr std::array<std::pair<TimelineKind, std::string_view>, 9> kKinds{{
    {TimelineKind::kFirstAnomalousSample, "first_anomalous_sample"},
    {TimelineKind::kDetected, "detected"},
    {TimelineKind::kActionTaken, "action_taken"},
    {TimelineKind::kMitigated, "mitigated"},
    {TimelineKind::kAcknowledged, "acknowledged"},
    {TimelineKind::kUpdate, "update"},
    {TimelineKind::kEscalated, "escalated"},
    {TimelineKind::kResolved, "resolved"},
    {TimelineKind::kNotified, "notified"},
}};

template <class E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "unknown";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

template <class E, size_t N>
std::optional<E> find_name(const std::array<std::pair<E, std::string_view>, N>& table,
                           std::string_view text, bool any_case) {
  const std::string wanted = any_case ? lower(text) : std::string(text);
  for (const auto& [v, name] : table)
    if ((any_case ? lower(name) : std::string(name)) == wanted) return v;
  return std::nullopt;
}

}  // namespace

std::optional<int64_t> Incident::first_time(TimelineKind kind) const {
  std::optional<int64_t> best;
  for (const auto& e : timeline)
    if (e.kind == kind && (!best || e.time_ms < *best)) best = e.time_ms;
  return best;
}

int64_t Incident::start_ms() const {
  if (auto t = first_time(TimelineKind::kFirstAnomalousSample)) return *t;
  if (auto t = first_time(TimelineKind::kDetected)) return *t;
  return created_ms;
}

std::optional<int64_t> mttd_ms(const Incident& incident) {
  auto first = incident.first_time(TimelineKind::kFirstAnomalousSample);
  auto detected = incident.first_time(TimelineKind::kDetected);
  if (!first || !detected) return std::nullopt;
  return *detected - *first;
}

std::optional<int64_t> mttr_ms(const Incident& incident) {
  auto first = incident.first_time(TimelineKind::kFirstAnomalousSample);
  if (!first) return std::nullopt;
  auto mitigated = incident.first_time(TimelineKind::kMitigated);
  if (!mitigated) mitigated = incident.first_time(TimelineKind::kResolved);
  if (!mitigated) return std::nullopt;
  return *mitigated - *first;
}

std::string_view to_string(Status s) { return name_of(kStatuses, s); }
std::string_view to_string(DetectionMethod d) { return name_of(kDetections, d); }
std::string_view to_string(TimelineKind k) { return name_of(kKinds, k); }

std::string_view severity_label(Severity s) {
  switch (s) {
    case Severity::kSev1:
      return "Critical";
    case Severity::kSev2:
      return "High";
    case Severity::kSev3:
      return "Medium";
    case Severity::kSev4:
      return "Low";
  }
  return "unknown";
}

std::optional<Status> parse_status(std::string_view text) {
  return find_name(kStatuses, text, false);
}
std::optional<DetectionMethod> parse_detection_method(std::string_view text) {
  return find_name(kDetections, text, true);
}
std::optional<TimelineKind> parse_timeline_kind(std::string_view text) {
  return find_name(kKinds, text, false);
}

namespace {
std::tm utc_tm(int64_t unix_ms) {
  // Floor division so times before 1970 still print the right second.
  int64_t secs = unix_ms / 1000;
  if (unix_ms % 1000 < 0) --secs;
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}
}  // namespace

std::string iso8601_utc(int64_t unix_ms) {
  std::tm tm = utc_tm(unix_ms);
  int64_t ms = unix_ms % 1000;
  if (ms < 0) ms += 1000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string utc_day(int64_t unix_ms) {
  std::tm tm = utc_tm(unix_ms);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buf;
}

std::string make_incident_id(int64_t unix_ms, int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld", static_cast<long long>(seq));
  return "INC-" + utc_day(unix_ms) + "-" + buf;
}

}  // namespace x0::incident
