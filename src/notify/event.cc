// Event names and their JSON form in the outbox (see event.h).
#include "notify/event.h"

#include <array>
#include <ctime>

namespace x0::notify {
namespace {

constexpr std::array<std::string_view, kEventKindCount> kKindNames = {
    "opened",       "acknowledged", "escalated", "status_update_due",
    "sla_breached", "mitigated",    "resolved"};

}  // namespace

std::string_view to_string(EventKind kind) { return kKindNames[static_cast<size_t>(kind)]; }

std::optional<EventKind> parse_event_kind(std::string_view text) {
  for (size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == text) return static_cast<EventKind>(i);
  return std::nullopt;
}

std::string_view to_string(Level level) {
  switch (level) {
    case Level::kL1:
      return "L1";
    case Level::kL2:
      return "L2";
    case Level::kL3:
      return "L3";
  }
  return "L1";
}

std::optional<Level> parse_level(std::string_view text) {
  if (text == "L1") return Level::kL1;
  if (text == "L2") return Level::kL2;
  if (text == "L3") return Level::kL3;
  return std::nullopt;
}

nlohmann::json to_json(const Event& e) {
  return {{"kind", to_string(e.kind)},
          {"incident_id", e.incident_id},
          {"title", e.title},
          {"severity", static_cast<int>(e.severity)},
          {"status", e.status},
          {"detection", e.detection},
          {"rule", e.rule},
          {"target", e.target},
          {"services", e.services},
          {"level", static_cast<int>(e.level)},
          {"text", e.text},
          {"details", e.details},
          {"time_ms", e.time_ms},
          {"entry_seq", e.entry_seq}};
}

std::optional<Event> event_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return std::nullopt;
  try {
    Event e;
    auto kind = parse_event_kind(j.at("kind").get<std::string>());
    const int sev = j.at("severity").get<int>();
    const int level = j.at("level").get<int>();
    if (!kind || sev < 1 || sev > kSeverityCount || level < 1 || level > 3) return std::nullopt;
    e.kind = *kind;
    e.severity = static_cast<Severity>(sev);
    e.level = static_cast<Level>(level);
    e.incident_id = j.at("incident_id").get<std::string>();
    e.title = j.at("title").get<std::string>();
    e.status = j.at("status").get<std::string>();
    e.detection = j.at("detection").get<std::string>();
    e.rule = j.at("rule").get<std::string>();
    e.target = j.at("target").get<std::string>();
    e.services = j.at("services").get<std::vector<std::string>>();
    e.text = j.at("text").get<std::string>();
    e.details = j.at("details");
    e.time_ms = j.at("time_ms").get<int64_t>();
    e.entry_seq = j.at("entry_seq").get<int64_t>();
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string rfc3339_utc(int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(unix_ms % 1000));
  return out;
}

}  // namespace x0::notify
