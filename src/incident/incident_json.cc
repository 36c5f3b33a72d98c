// JSON conversion and request-body validation for the incident API (see incident_json.h).
// Every access to a parsed document checks the type first: nlohmann's throwing accessors are
// never reached with a wrong type, and parse() is called in its non-throwing form.
#include "incident/incident_json.h"

#include <initializer_list>
#include <string>

namespace x0::incident {
namespace {

using nlohmann::json;

std::unexpected<Error> bad(std::string detail) {
  return fail(Errc::kBadRequest, std::move(detail));
}

json seconds_or_null(std::optional<int64_t> ms) {
  if (!ms) return nullptr;
  return static_cast<double>(*ms) / 1000.0;
}

// Reads typed fields of one JSON object, remembering the first error.
class Fields {
 public:
  explicit Fields(const json& obj) : obj_(obj) {}

  bool only(std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : obj_.items()) {
      bool ok = false;
      for (auto a : allowed) ok = ok || key == a;
      if (!ok) return set("unknown field \"" + key + "\"");
    }
    return true;
  }
  bool has(std::string_view key) const { return obj_.contains(key); }

  bool text(std::string_view key, std::string* out, bool required, size_t max = kMaxTextBytes) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null())
      return required ? set(std::string(key) + " is required") : true;
    if (!it->is_string()) return set(std::string(key) + " must be a string");
    const auto& s = it->get_ref<const std::string&>();
    if (required && s.empty()) return set(std::string(key) + " must not be empty");
    if (s.size() > max)
      return set(std::string(key) + " is longer than " + std::to_string(max) + " bytes");
    *out = s;
    return true;
  }

  bool strings(std::string_view key, std::vector<std::string>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return true;
    if (!it->is_array()) return set(std::string(key) + " must be an array of strings");
    if (it->size() > kMaxListItems)
      return set(std::string(key) + " has more than " + std::to_string(kMaxListItems) + " items");
    out->clear();
    for (const auto& item : *it) {
      if (!item.is_string()) return set(std::string(key) + " must be an array of strings");
      if (item.get_ref<const std::string&>().size() > kMaxTextBytes)
        return set(std::string(key) + " has an item that is too long");
      out->push_back(item.get<std::string>());
    }
    return true;
  }

  bool millis(std::string_view key, std::optional<int64_t>* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return true;
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
      return set(std::string(key) + " must be a non-negative integer (unix ms)");
    *out = it->get<int64_t>();
    return true;
  }

  bool object(std::string_view key, json* out) {
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return true;
    if (!it->is_object()) return set(std::string(key) + " must be an object");
    *out = *it;
    return true;
  }

  bool set(std::string detail) {
    if (!error_) error_ = std::move(detail);
    return false;
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  const json& obj_;
  std::optional<std::string> error_;
};

// Parses a body that must be a JSON object; an empty body is {} when allowed.
Result<json> parse_object(std::string_view body, bool empty_ok) {
  if (body.size() > kMaxBodyBytes)
    return bad("body is larger than " + std::to_string(kMaxBodyBytes) + " bytes");
  if (empty_ok && body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return json::object();
  json j = json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded()) return bad("body is not valid JSON");
  if (!j.is_object()) return bad("body must be a JSON object");
  return j;
}

}  // namespace

json to_json(const TimelineEntry& e) {
  return {{"time_ms", e.time_ms},
          {"time", iso8601_utc(e.time_ms)},
          {"kind", to_string(e.kind)},
          {"actor", e.actor},
          {"text", e.text},
          {"fields", e.fields.is_object() ? e.fields : json::object()},
          {"seq", e.seq}};
}

json to_json(const Incident& inc, bool with_timeline) {
  json j = {{"id", inc.id},
            {"title", inc.title},
            {"severity", to_string(inc.severity)},
            {"status", to_string(inc.status)},
            {"acknowledged", inc.acknowledged()},
            {"detection_method", to_string(inc.detection)},
            {"rule", inc.rule},
            {"target", inc.target},
            {"affected_services", inc.affected_services},
            {"impact", inc.impact},
            {"root_cause", inc.root_cause},
            {"resolution", inc.resolution},
            {"lessons_learned", inc.lessons_learned},
            {"action_items", inc.action_items},
            {"start_time", iso8601_utc(inc.start_ms())},
            {"created_ms", inc.created_ms},
            {"created_at", iso8601_utc(inc.created_ms)},
            {"updated_ms", inc.updated_ms},
            {"updated_at", iso8601_utc(inc.updated_ms)},
            {"mttd_seconds", seconds_or_null(mttd_ms(inc))},
            {"mttr_seconds", seconds_or_null(mttr_ms(inc))}};
  if (with_timeline) {
    json tl = json::array();
    for (const auto& e : inc.timeline) tl.push_back(to_json(e));
    j["timeline"] = std::move(tl);
  }
  return j;
}

json open_counts_json(const OpenCounts& counts) {
  json j = json::object();
  int64_t total = 0;
  for (int i = 0; i < kSeverityCount; ++i) {
    j[std::string(to_string(static_cast<Severity>(i + 1)))] = counts[static_cast<size_t>(i)];
    total += counts[static_cast<size_t>(i)];
  }
  j["total"] = total;
  return j;
}

Result<TimelineEntry> timeline_entry_from_json(const json& j) {
  if (!j.is_object()) return bad("timeline entry must be an object");
  Fields f(j);
  TimelineEntry e;
  std::string kind;
  std::optional<int64_t> time, seq;
  f.text("kind", &kind, true);
  f.millis("time_ms", &time);
  f.text("actor", &e.actor, false);
  f.text("text", &e.text, false);
  f.object("fields", &e.fields);
  f.millis("seq", &seq);
  if (f.error()) return bad("timeline entry: " + *f.error());
  auto k = parse_timeline_kind(kind);
  if (!k) return bad("timeline entry: unknown kind \"" + kind + "\"");
  if (!time) return bad("timeline entry: time_ms is required");
  e.kind = *k;
  e.time_ms = *time;
  e.seq = seq.value_or(0);
  return e;
}

Result<Incident> incident_from_json(const json& j) {
  if (!j.is_object()) return bad("incident must be an object");
  Fields f(j);
  Incident inc;
  std::string severity, status, detection;
  std::optional<int64_t> created, updated;
  f.text("id", &inc.id, true);
  f.text("title", &inc.title, true);
  f.text("severity", &severity, true);
  f.text("status", &status, true);
  f.text("detection_method", &detection, true);
  f.text("rule", &inc.rule, false);
  f.text("target", &inc.target, false);
  f.strings("affected_services", &inc.affected_services);
  f.text("impact", &inc.impact, false);
  f.text("root_cause", &inc.root_cause, false);
  f.text("resolution", &inc.resolution, false);
  f.text("lessons_learned", &inc.lessons_learned, false);
  f.strings("action_items", &inc.action_items);
  f.millis("created_ms", &created);
  f.millis("updated_ms", &updated);
  if (f.error()) return bad(*f.error());
  auto sev = parse_severity(severity);
  auto st = parse_status(status);
  auto det = parse_detection_method(detection);
  if (!sev) return bad("unknown severity \"" + severity + "\" (expected SEV-1..SEV-4)");
  if (!st) return bad("unknown status \"" + status + "\"");
  if (!det) return bad("unknown detection_method \"" + detection + "\"");
  inc.severity = *sev;
  inc.status = *st;
  inc.detection = *det;
  inc.created_ms = created.value_or(0);
  inc.updated_ms = updated.value_or(0);
  if (auto it = j.find("timeline"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return bad("timeline must be an array");
    for (const auto& item : *it) {
      auto e = timeline_entry_from_json(item);
      if (!e) return std::unexpected(e.error());
      inc.timeline.push_back(std::move(*e));
    }
  }
  return inc;
}

Result<OpenRequest> parse_open_request(std::string_view body) {
  auto j = parse_object(body, false);
  if (!j) return std::unexpected(j.error());
  Fields f(*j);
  OpenRequest r;
  std::string severity, detection;
  f.only({"title", "severity", "services", "affected_services", "impact", "detection_method",
          "rule", "target", "actor", "text", "first_anomalous_ms", "detected_ms", "fields"});
  f.text("title", &r.title, true, kMaxTitleBytes);
  f.text("severity", &severity, true);
  if (f.has("services") && f.has("affected_services"))
    f.set("give services or affected_services, not both");
  f.strings("services", &r.affected_services);
  f.strings("affected_services", &r.affected_services);
  f.text("impact", &r.impact, false);
  f.text("detection_method", &detection, false);
  f.text("rule", &r.rule, false, kMaxTitleBytes);
  f.text("target", &r.target, false, kMaxTitleBytes);
  f.text("actor", &r.actor, false, kMaxTitleBytes);
  f.text("text", &r.text, false);
  f.millis("first_anomalous_ms", &r.first_anomalous_ms);
  f.millis("detected_ms", &r.detected_ms);
  f.object("fields", &r.fields);
  if (f.error()) return bad(*f.error());
  auto sev = parse_severity(severity);
  if (!sev) return bad("unknown severity \"" + severity + "\" (expected SEV-1..SEV-4)");
  r.severity = *sev;
  if (!detection.empty()) {
    auto det = parse_detection_method(detection);
    if (!det)
      return bad("unknown detection_method \"" + detection + "\" (expected Alert, Manual, " +
                 "Monitoring)");
    r.detection = *det;
  }
  if (r.first_anomalous_ms && r.detected_ms && *r.first_anomalous_ms > *r.detected_ms)
    return bad("first_anomalous_ms is later than detected_ms");
  return r;
}

namespace {
Result<Note> parse_note(std::string_view body, bool text_required) {
  auto j = parse_object(body, !text_required);
  if (!j) return std::unexpected(j.error());
  Fields f(*j);
  Note n;
  f.only({"actor", "text", "impact"});
  f.text("actor", &n.actor, false, kMaxTitleBytes);
  f.text("text", &n.text, text_required);
  if (f.has("impact")) {
    std::string impact;
    f.text("impact", &impact, false);
    n.impact = impact;
  }
  if (f.error()) return bad(*f.error());
  if (n.actor.empty()) n.actor = "operator";
  return n;
}
}  // namespace

Result<Note> parse_ack_request(std::string_view body) { return parse_note(body, false); }
Result<Note> parse_update_request(std::string_view body) { return parse_note(body, true); }

Result<ResolveRequest> parse_resolve_request(std::string_view body) {
  auto j = parse_object(body, false);
  if (!j) return std::unexpected(j.error());
  Fields f(*j);
  ResolveRequest r;
  f.only({"root_cause", "resolution", "lessons_learned", "action_items", "impact", "actor"});
  f.text("root_cause", &r.root_cause, true);
  f.text("resolution", &r.resolution, true);
  f.text("lessons_learned", &r.lessons_learned, false);
  if (f.has("impact")) {
    std::string impact;
    f.text("impact", &impact, false);
    r.impact = impact;
  }
  f.strings("action_items", &r.action_items);
  f.text("actor", &r.actor, false, kMaxTitleBytes);
  if (f.error()) return bad(*f.error());
  if (r.actor.empty()) r.actor = "operator";
  return r;
}

Result<ListFilter> parse_list_filter(std::optional<std::string_view> status,
                                     std::optional<std::string_view> severity,
                                     std::optional<std::string_view> limit) {
  ListFilter f;
  if (status && *status == "unresolved") {
    f.unresolved_only = true;
  } else if (status) {
    f.status = parse_status(*status);
    if (!f.status)
      return bad("unknown status \"" + std::string(*status) +
                 "\" (expected open, acknowledged, mitigated, resolved, unresolved)");
  }
  if (severity) {
    f.severity = parse_severity(*severity);
    if (!f.severity)
      return bad("unknown severity \"" + std::string(*severity) + "\" (expected SEV-1..SEV-4)");
  }
  if (limit) {
    int n = 0;
    bool digits = !limit->empty() && limit->size() <= 4;
    for (char c : *limit) {
      digits = digits && c >= '0' && c <= '9';
      if (digits) n = n * 10 + (c - '0');
    }
    if (!digits || n < 1 || n > 1000) return bad("limit must be an integer from 1 to 1000");
    f.limit = n;
  }
  return f;
}

json error_json(const Error& error) { return {{"error", error.name()}, {"detail", error.detail}}; }

int http_status(const Error& error) {
  switch (error.code) {
    case Errc::kBadRequest:
      return 400;
    case Errc::kNotFound:
      return 404;
    case Errc::kInvalidTransition:
      return 409;
    case Errc::kStoreFull:
      return 507;
    case Errc::kStoreBusy:
    case Errc::kStoreUnavailable:
      return 503;
    default:
      return 500;
  }
}

}  // namespace x0::incident
