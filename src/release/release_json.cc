// JSON encoding and strict decoding of releases and operator request bodies (see release_json.h).
// Every access checks the type first, so a hostile body yields a clear error and never throws.
#include "release/release_json.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <set>

namespace x0::release {
namespace {

using nlohmann::json;

constexpr size_t kMaxReason = 512;

std::unexpected<Error> bad(std::string detail) {
  return x0::fail(Errc::kBadRequest, std::move(detail));
}

std::optional<int64_t> as_int(const json& v) {
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

x0::Result<int64_t> get_int(const json& obj, const char* key, int64_t lo, int64_t hi) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad(std::string(key) + ": missing");
  auto v = as_int(*it);
  if (!v) return bad(std::string(key) + ": expected an integer");
  if (*v < lo || *v > hi)
    return bad(std::string(key) + ": must be within " + std::to_string(lo) + ".." +
               std::to_string(hi));
  return *v;
}

x0::Result<std::string> get_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad(std::string(key) + ": missing");
  if (!it->is_string()) return bad(std::string(key) + ": expected a string");
  return it->get<std::string>();
}

x0::Result<std::vector<config::Endpoint>> get_endpoints(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return bad(std::string(key) + ": missing");
  if (!it->is_array()) return bad(std::string(key) + ": expected a list of \"host:port\"");
  std::vector<config::Endpoint> out;
  for (const auto& item : *it) {
    if (!item.is_string()) return bad(std::string(key) + ": expected a list of \"host:port\"");
    auto endpoint = config::parse_endpoint(item.get<std::string>());
    if (!endpoint)
      return bad(std::string(key) + ": " + item.get<std::string>() + ": " +
                 endpoint.error().detail);
    out.push_back(*std::move(endpoint));
  }
  return out;
}

x0::Result<std::vector<int>> get_steps(const json& obj) {
  auto it = obj.find("steps");
  if (it == obj.end()) return bad("steps: missing");
  if (!it->is_array()) return bad("steps: expected a list of weights in percent");
  std::vector<int> out;
  for (const auto& item : *it) {
    auto v = as_int(item);
    if (!v || *v < 0 || *v > 100) return bad("steps: each weight must be an integer in 1..100");
    out.push_back(static_cast<int>(*v));
  }
  return out;
}

x0::Result<void> check_keys(const json& obj, const std::set<std::string_view>& allowed,
                            std::string_view where) {
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (!allowed.contains(it.key())) return bad(std::string(where) + it.key() + ": unknown field");
  return {};
}

x0::Result<SmokeCheck> parse_smoke(const json& j) {
  if (!j.is_object()) return bad("smoke: expected an object {\"path\",\"expect_status\",\"timeout_ms\"}");
  if (auto ok = check_keys(j, {"path", "expect_status", "timeout_ms"}, "smoke."); !ok)
    return std::unexpected(ok.error());
  SmokeCheck s;
  if (j.contains("path")) {
    auto p = get_string(j, "path");
    if (!p) return bad("smoke." + p.error().detail);
    s.path = *p;
  }
  if (j.contains("expect_status")) {
    auto st = get_int(j, "expect_status", 100, 599);
    if (!st) return bad("smoke." + st.error().detail);
    s.expect_status = static_cast<int>(*st);
  }
  if (j.contains("timeout_ms")) {
    auto t = get_int(j, "timeout_ms", 100, 60000);
    if (!t) return bad("smoke." + t.error().detail);
    s.timeout_ms = *t;
  }
  return s;
}

// The optional parts of a start body, after strategy and candidate.
x0::Result<void> parse_start_options(const json& j, ReleaseSpec& spec) {
  const bool canary = spec.strategy == Strategy::kCanary;
  if (j.contains("steps")) {
    if (!canary) return bad("steps: blue_green releases have no weight steps");
    auto steps = get_steps(j);
    if (!steps) return std::unexpected(steps.error());
    spec.steps = *steps;
  } else if (!canary) {
    spec.steps.clear();
  }
  if (j.contains("step_interval_s") && j.contains("step_interval_ms"))
    return bad("step_interval_s, step_interval_ms: give one, not both");
  if (j.contains("step_interval_s")) {
    auto s = get_int(j, "step_interval_s", 1, 7 * 24 * 3600);
    if (!s) return std::unexpected(s.error());
    spec.step_interval_ms = *s * 1000;
  } else if (j.contains("step_interval_ms")) {
    auto ms = get_int(j, "step_interval_ms", 1, 7LL * 24 * 3600 * 1000);
    if (!ms) return std::unexpected(ms.error());
    spec.step_interval_ms = *ms;
  }
  if (j.contains("header")) {
    auto h = get_string(j, "header");
    if (!h) return std::unexpected(h.error());
    spec.header_name = *h;
  } else if (!canary) {
    spec.header_name = kDefaultHeader;
  }
  if (j.contains("header_value")) {
    auto v = get_string(j, "header_value");
    if (!v) return std::unexpected(v.error());
    spec.header_value = *v;
  }
  if (j.contains("smoke")) {
    if (canary) return bad("smoke: only blue_green releases run a smoke check");
    auto smoke = parse_smoke(j["smoke"]);
    if (!smoke) return std::unexpected(smoke.error());
    spec.smoke = *smoke;
  }
  if (j.contains("analysis_window_s")) {
    auto w = get_int(j, "analysis_window_s", 1, 3600);
    if (!w) return std::unexpected(w.error());
    spec.analysis_window_ms = *w * 1000;
  }
  return {};
}

x0::Result<Transition> transition_from_json(const json& j) {
  if (!j.is_object()) return bad("history: expected objects");
  Transition t;
  auto time = get_int(j, "time_ms", 0, std::numeric_limits<int64_t>::max());
  auto from = get_string(j, "from");
  auto to = get_string(j, "to");
  auto weight = get_int(j, "weight_percent", 0, 100);
  auto actor = get_string(j, "actor");
  auto reason = get_string(j, "reason");
  if (!time || !from || !to || !weight || !actor || !reason) return bad("history: bad entry");
  auto f = parse_state(*from), s = parse_state(*to);
  if (!f || !s) return bad("history: unknown state");
  return Transition{*time, *f, *s, static_cast<int>(*weight), *actor, *reason};
}

}  // namespace

json to_json(const Release& r, bool with_history) {
  json candidate = json::array();
  for (const auto& e : r.spec.candidate) candidate.push_back(e.to_string());
  json j = {{"id", r.id},
            {"service", r.service},
            {"strategy", to_string(r.spec.strategy)},
            {"state", to_string(r.state)},
            {"adopted", r.adopted},
            {"candidate", candidate},
            {"steps", r.spec.steps},
            {"step", r.step},
            {"weight_percent", weight_percent(r)},
            {"step_interval_ms", r.spec.step_interval_ms},
            {"header", r.spec.header_name},
            {"header_value", r.spec.header_value},
            {"analysis_window_ms", r.spec.analysis_window_ms},
            {"created_ms", r.created_ms},
            {"updated_ms", r.updated_ms},
            {"step_started_ms", r.step_started_ms},
            {"reason", r.reason}};
  if (r.spec.strategy == Strategy::kBlueGreen)
    j["smoke"] = {{"path", r.spec.smoke.path}, {"expect_status", r.spec.smoke.expect_status},
                  {"timeout_ms", r.spec.smoke.timeout_ms}};
  if (with_history) {
    json h = json::array();
    for (const auto& t : r.history)
      h.push_back({{"time_ms", t.time_ms},
                   {"from", to_string(t.from)},
                   {"to", to_string(t.to)},
                   {"weight_percent", t.weight_percent},
                   {"actor", t.actor},
                   {"reason", t.reason}});
    j["history"] = std::move(h);
  }
  return j;
}

json to_json(const std::vector<Release>& releases) {
  json list = json::array();
  for (const auto& r : releases) list.push_back(to_json(r, false));
  return {{"releases", std::move(list)}};
}

x0::Result<Release> release_from_json(const json& j) {
  if (!j.is_object()) return bad("release: expected an object");
  Release r;
  auto id = get_string(j, "id");
  auto service = get_string(j, "service");
  auto strategy = get_string(j, "strategy");
  auto state = get_string(j, "state");
  if (!id || !service || !strategy || !state)
    return bad("release: missing id/service/strategy/state");
  r.id = *id;
  r.service = *service;
  auto st = parse_strategy(*strategy);
  auto s = parse_state(*state);
  if (!st || !s || !valid_service_name(r.service) || r.id.empty())
    return bad("release " + r.id + ": bad strategy, state or service");
  r.spec.strategy = *st;
  r.state = *s;
  auto adopted = j.find("adopted");
  if (adopted == j.end() || !adopted->is_boolean()) return bad("release " + r.id + ": adopted");
  r.adopted = adopted->get<bool>();
  auto candidate = get_endpoints(j, "candidate");
  auto steps = get_steps(j);
  auto step = get_int(j, "step", 0, 100);
  auto interval = get_int(j, "step_interval_ms", 1, std::numeric_limits<int64_t>::max());
  auto header = get_string(j, "header");
  auto header_value = get_string(j, "header_value");
  auto created = get_int(j, "created_ms", 0, std::numeric_limits<int64_t>::max());
  auto updated = get_int(j, "updated_ms", 0, std::numeric_limits<int64_t>::max());
  auto started = get_int(j, "step_started_ms", 0, std::numeric_limits<int64_t>::max());
  auto reason = get_string(j, "reason");
  if (!candidate) return bad("release " + r.id + ": " + candidate.error().detail);
  if (!steps) return bad("release " + r.id + ": " + steps.error().detail);
  if (!step || !interval || !header || !header_value || !created || !updated || !started || !reason)
    return bad("release " + r.id + ": missing or mistyped field");
  r.spec.candidate = *candidate;
  r.spec.steps = *steps;
  r.step = static_cast<size_t>(*step);
  r.spec.step_interval_ms = *interval;
  r.spec.header_name = *header;
  r.spec.header_value = *header_value;
  r.created_ms = *created;
  r.updated_ms = *updated;
  r.step_started_ms = *started;
  r.reason = *reason;
  if (j.contains("analysis_window_ms")) {  // absent in files written before it existed
    auto w = get_int(j, "analysis_window_ms", 0, 3600 * 1000);
    if (!w) return bad("release " + r.id + ": " + w.error().detail);
    r.spec.analysis_window_ms = *w;
  }
  if (r.spec.strategy == Strategy::kBlueGreen) {
    auto smoke = j.find("smoke");
    if (smoke == j.end()) return bad("release " + r.id + ": smoke missing");
    auto sm = parse_smoke(*smoke);
    if (!sm) return bad("release " + r.id + ": " + sm.error().detail);
    r.spec.smoke = *sm;
  }
  if (auto ok = validate_spec(r.spec); !ok)
    return bad("release " + r.id + ": " + ok.error().detail);
  if (r.spec.strategy == Strategy::kCanary && r.step >= r.spec.steps.size())
    return bad("release " + r.id + ": step out of range");
  if (r.spec.strategy == Strategy::kBlueGreen && r.step != 0)
    return bad("release " + r.id + ": blue_green has no steps");
  if (r.adopted && r.state != State::kPromoted)
    return bad("release " + r.id + ": only a promoted release can be adopted");
  auto history = j.find("history");
  if (history == j.end() || !history->is_array()) return bad("release " + r.id + ": history");
  for (const auto& h : *history) {
    auto t = transition_from_json(h);
    if (!t) return bad("release " + r.id + ": " + t.error().detail);
    r.history.push_back(std::move(*t));
  }
  return r;
}

x0::Result<ReleaseSpec> parse_start_body(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("body: not valid JSON");
  if (!j.is_object()) return bad("body: expected a JSON object");
  if (auto ok = check_keys(j,
                           {"strategy", "candidate", "steps", "step_interval_s", "step_interval_ms",
                            "header", "header_value", "smoke", "analysis_window_s"},
                           "");
      !ok)
    return std::unexpected(ok.error());
  auto strategy = get_string(j, "strategy");
  if (!strategy) return std::unexpected(strategy.error());
  auto st = parse_strategy(*strategy);
  if (!st) return bad("strategy: expected \"canary\" or \"blue_green\", got \"" + *strategy + "\"");
  ReleaseSpec spec;
  spec.strategy = *st;
  auto candidate = get_endpoints(j, "candidate");
  if (!candidate) return std::unexpected(candidate.error());
  spec.candidate = *candidate;
  if (auto ok = parse_start_options(j, spec); !ok) return std::unexpected(ok.error());
  if (auto ok = validate_spec(spec); !ok) return std::unexpected(ok.error());
  return spec;
}

x0::Result<std::string> parse_reason_body(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return std::string();
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("body: not valid JSON");
  if (!j.is_object()) return bad("body: expected a JSON object");
  if (auto ok = check_keys(j, {"reason"}, ""); !ok) return std::unexpected(ok.error());
  if (!j.contains("reason")) return std::string();
  auto reason = get_string(j, "reason");
  if (!reason) return reason;
  if (reason->size() > kMaxReason) return bad("reason: at most 512 characters");
  return reason;
}

}  // namespace x0::release
