// Policy file parsing and validation (see policy.h).
#include "autopilot/policy.h"

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace x0::autopilot {
namespace {

#include "autopilot/default_policy.inc"

struct Named {
  std::string_view name;
  int value;
};

constexpr Named kSignals[] = {
    {"error_rate", static_cast<int>(Signal::kErrorRate)},
    {"latency_p95_ms", static_cast<int>(Signal::kLatencyP95Ms)},
    {"service_down", static_cast<int>(Signal::kServiceDown)},
    {"pqc_fallback", static_cast<int>(Signal::kPqcFallback)},
    {"pqc_handshake_failures", static_cast<int>(Signal::kPqcHandshakeFailures)},
    {"memory_ratio", static_cast<int>(Signal::kMemoryRatio)},
    {"cpu_ratio", static_cast<int>(Signal::kCpuRatio)},
    {"restarts", static_cast<int>(Signal::kRestarts)},
    {"auth_failures", static_cast<int>(Signal::kAuthFailures)},
    {"mesh_peers_down", static_cast<int>(Signal::kMeshPeersDown)},
    {"mesh_partitioned", static_cast<int>(Signal::kMeshPartitioned)},
    {"served_remotely", static_cast<int>(Signal::kServedRemotely)},
    {"empty_response_rate", static_cast<int>(Signal::kEmptyResponseRate)},
    {"response_bytes", static_cast<int>(Signal::kResponseBytes)}};
constexpr Named kActions[] = {
    {"none", static_cast<int>(Action::kNone)},
    {"rollback", static_cast<int>(Action::kRollback)},
    {"divert_to_fallback", static_cast<int>(Action::kDivertToFallback)},
    {"eject_endpoint", static_cast<int>(Action::kEjectEndpoint)},
    {"isolate", static_cast<int>(Action::kIsolate)},
    {"alert", static_cast<int>(Action::kAlert)},
    {"escalate", static_cast<int>(Action::kEscalate)},
    {"scale_recommendation", static_cast<int>(Action::kScaleRecommendation)},
    {"restart", static_cast<int>(Action::kRestart)},
    {"hold_release", static_cast<int>(Action::kHoldRelease)}};
constexpr Named kAuthorities[] = {{"system", static_cast<int>(Authority::kSystem)},
                                  {"on_call", static_cast<int>(Authority::kOnCall)},
                                  {"team_lead", static_cast<int>(Authority::kTeamLead)},
                                  {"cto", static_cast<int>(Authority::kCto)}};
constexpr Named kCanaryCompareActions[] = {
    {"rollback", static_cast<int>(CanaryCompareAction::kRollback)},
    {"recommend", static_cast<int>(CanaryCompareAction::kRecommend)}};
constexpr Named kScopes[] = {{"service", static_cast<int>(Scope::kService)},
                             {"candidate", static_cast<int>(Scope::kCandidate)},
                             {"node", static_cast<int>(Scope::kNode)}};

template <size_t N>
std::string_view name_of(const Named (&table)[N], int value) {
  for (const auto& n : table) {
    if (n.value == value) return n.name;
  }
  return "?";
}

// Collects every problem; each is "file:line: [rules.N] key: message".
class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}
  void error(const toml::node* node, std::string_view where, std::string_view key,
             std::string_view message) {
    int line = node != nullptr ? static_cast<int>(node->source().begin.line) : 0;
    errors_ << file_ << ":" << line << ": [" << where << "] " << key << ": " << message << "\n";
    ok_ = false;
  }
  bool ok() const { return ok_; }
  std::string text() const {
    std::string t = errors_.str();
    if (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }

 private:
  std::string file_;
  std::ostringstream errors_;
  bool ok_ = true;
};

template <size_t N>
bool read_enum(Reader& r, const toml::table& t, std::string_view where, std::string_view key,
               const Named (&table)[N], int* out) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return false;
  auto text = node->value<std::string>();
  if (!text) {
    r.error(node, where, key, "expected a string");
    return false;
  }
  for (const auto& n : table) {
    if (n.name == *text) {
      *out = n.value;
      return true;
    }
  }
  std::string choices;
  for (const auto& n : table) choices += (choices.empty() ? "" : ", ") + std::string(n.name);
  r.error(node, where, key, "unknown value \"" + *text + "\" (one of: " + choices + ")");
  return false;
}

std::optional<double> read_number(Reader& r, const toml::table& t, std::string_view where,
                                  std::string_view key) {
  const toml::node* node = t.get(key);
  if (node == nullptr) return std::nullopt;
  if (auto v = node->value<double>()) {
    if (*v < 0) {
      r.error(node, where, key, "must not be negative");
      return std::nullopt;
    }
    return *v;
  }
  r.error(node, where, key, "expected a number");
  return std::nullopt;
}

bool known_key(std::string_view key) {
  static constexpr std::string_view kKeys[] = {
      "name", "scope", "signal", "above", "at_most", "above_stable_by", "above_stable_ratio",
      "below_stable_ratio", "window_s", "for_s", "alert_after_s", "cooldown_s", "min_samples",
      "severity", "action", "then", "authority", "exec", "exec_timeout_s", "eject_for_s",
      "mitigate_when_clear", "recovery_hold_s"};
  for (auto k : kKeys) {
    if (k == key) return true;
  }
  return false;
}

Rule read_rule(Reader& r, const toml::table& t, size_t index, const Rule& defaults) {
  std::string where = "rules." + std::to_string(index);
  Rule rule = defaults;
  for (const auto& [key, node] : t) {
    if (!known_key(key.str())) r.error(&node, where, key.str(), "unknown key");
  }
  if (auto name = t["name"].value<std::string>()) {
    rule.name = *name;
  } else {
    r.error(t.get("name") ? t.get("name") : &t, where, "name", "required string");
  }
  int value = 0;
  if (read_enum(r, t, where, "scope", kScopes, &value)) rule.scope = static_cast<Scope>(value);
  if (read_enum(r, t, where, "signal", kSignals, &value)) {
    rule.signal = static_cast<Signal>(value);
  } else if (t.get("signal") == nullptr) {
    r.error(&t, where, "signal", "required");
  }
  if (read_enum(r, t, where, "action", kActions, &value)) rule.action = static_cast<Action>(value);
  if (read_enum(r, t, where, "then", kActions, &value)) rule.then = static_cast<Action>(value);
  if (read_enum(r, t, where, "authority", kAuthorities, &value)) {
    rule.authority = static_cast<Authority>(value);
  }
  rule.above = read_number(r, t, where, "above");
  rule.at_most = read_number(r, t, where, "at_most");
  rule.above_stable_by = read_number(r, t, where, "above_stable_by");
  rule.above_stable_ratio = read_number(r, t, where, "above_stable_ratio");
  rule.below_stable_ratio = read_number(r, t, where, "below_stable_ratio");
  auto seconds = [&](std::string_view key) -> std::optional<int64_t> {
    auto v = read_number(r, t, where, key);
    if (!v) return std::nullopt;
    return static_cast<int64_t>(*v * 1000.0);
  };
  if (auto v = seconds("window_s")) rule.window_ms = *v;
  if (auto v = seconds("for_s")) rule.for_ms = *v;
  if (auto v = seconds("alert_after_s")) rule.alert_after_ms = *v;
  if (auto v = seconds("cooldown_s")) rule.cooldown_ms = *v;
  if (auto v = seconds("exec_timeout_s")) rule.exec_timeout_ms = *v;
  if (auto v = seconds("eject_for_s")) rule.eject_for_ms = *v;
  if (auto v = read_number(r, t, where, "min_samples")) rule.min_samples = static_cast<uint64_t>(*v);
  if (auto s = t["severity"].value<std::string>()) {
    if (auto sev = parse_severity_strict(*s)) {
      rule.severity = *sev;
    } else {
      r.error(t.get("severity"), where, "severity", "one of SEV-1, SEV-2, SEV-3, SEV-4");
    }
  }
  if (auto e = t["exec"].value<std::string>()) rule.exec = *e;
  if (auto v = seconds("recovery_hold_s")) rule.recovery_hold_ms = *v;
  rule.mitigate_when_clear = rule.action != Action::kIsolate;
  if (const toml::node* m = t.get("mitigate_when_clear")) {
    if (auto b = m->value<bool>()) {
      rule.mitigate_when_clear = *b;
    } else {
      r.error(m, where, "mitigate_when_clear", "true or false");
    }
  }

  if (rule.window_ms <= 0) r.error(t.get("window_s"), where, "window_s", "must be positive");
  if (rule.exec_timeout_ms <= 0) {
    r.error(t.get("exec_timeout_s"), where, "exec_timeout_s", "must be positive");
  }
  if (rule.eject_for_ms <= 0) r.error(t.get("eject_for_s"), where, "eject_for_s", "must be positive");
  if (rule.recovery_hold_ms < 0) {
    r.error(t.get("recovery_hold_s"), where, "recovery_hold_s", "must not be negative");
  }
  bool sides_only =
      rule.signal == Signal::kEmptyResponseRate || rule.signal == Signal::kResponseBytes;
  if (sides_only && rule.scope != Scope::kCandidate) {
    r.error(t.get("signal"), where, "signal",
            "compares a release's two sides: needs scope = \"candidate\"");
  }
  if (rule.below_stable_ratio && rule.signal != Signal::kResponseBytes) {
    r.error(t.get("below_stable_ratio"), where, "below_stable_ratio",
            "only for signal = \"response_bytes\"");
  } else if (rule.below_stable_ratio &&
             !(*rule.below_stable_ratio > 0 && *rule.below_stable_ratio < 1)) {
    r.error(t.get("below_stable_ratio"), where, "below_stable_ratio", "must be between 0 and 1");
  }
  if (rule.scope == Scope::kCandidate && rule.signal != Signal::kServiceDown) {
    if (!rule.above_stable_by && !rule.above_stable_ratio && !rule.below_stable_ratio) {
      r.error(&t, where, "above_stable_by",
              "a candidate rule needs above_stable_by, above_stable_ratio or below_stable_ratio");
    }
  } else if (!rule.above && !sides_only) {
    r.error(&t, where, "above", "required (the threshold)");
  }
  if (rule.above && rule.at_most && *rule.at_most <= *rule.above) {
    r.error(t.get("at_most"), where, "at_most", "must be greater than above");
  }
  return rule;
}

// [escalation]: every key optional, each defaulting to SPEC section 6.
EscalationSettings read_escalation(Reader& r, const toml::table& t) {
  constexpr std::string_view kWhere = "escalation";
  static constexpr std::string_view kKeys[] = {
      "response_s", "resolution_s", "sev1_team_lead_after_s", "sev1_cto_after_s",
      "sev2_team_lead_after_s", "update_every_s"};
  EscalationSettings e;
  for (const auto& [key, node] : t) {
    bool known = false;
    for (auto k : kKeys) known = known || k == key.str();
    if (!known) r.error(&node, kWhere, key.str(), "unknown key");
  }
  // Four per-severity durations; zero allowed only where it means "none".
  auto per_severity = [&](std::string_view key, bool zero_ok, std::array<int64_t, 4>* out) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return;
    const toml::array* a = node->as_array();
    if (a == nullptr || a->size() != 4) {
      r.error(node, kWhere, key, "expected 4 numbers of seconds (SEV-1, SEV-2, SEV-3, SEV-4)");
      return;
    }
    std::array<int64_t, 4> values{};
    for (size_t i = 0; i < 4; ++i) {
      auto v = (*a)[i].value<double>();
      if (!v || *v < 0 || (!zero_ok && *v == 0)) {
        r.error(&(*a)[i], kWhere, key,
                "SEV-" + std::to_string(i + 1) + ": expected a " +
                    (zero_ok ? "non-negative" : "positive") + " number of seconds");
        return;
      }
      values[i] = static_cast<int64_t>(*v * 1000.0);
    }
    *out = values;
  };
  per_severity("response_s", false, &e.response_ms);
  per_severity("resolution_s", false, &e.resolution_ms);
  per_severity("update_every_s", true, &e.update_every_ms);
  auto seconds = [&](std::string_view key, int64_t* out) {
    if (auto v = read_number(r, t, kWhere, key)) *out = static_cast<int64_t>(*v * 1000.0);
  };
  seconds("sev1_team_lead_after_s", &e.sev1_team_lead_after_ms);
  seconds("sev1_cto_after_s", &e.sev1_cto_after_ms);
  seconds("sev2_team_lead_after_s", &e.sev2_team_lead_after_ms);
  if (e.sev1_cto_after_ms < e.sev1_team_lead_after_ms) {
    r.error(t.get("sev1_cto_after_s") ? t.get("sev1_cto_after_s") : &t, kWhere, "sev1_cto_after_s",
            "must not come before sev1_team_lead_after_s");
  }
  for (size_t i = 0; i < 4; ++i) {
    if (e.resolution_ms[i] < e.response_ms[i]) {
      r.error(t.get("resolution_s") ? t.get("resolution_s") : &t, kWhere, "resolution_s",
              "SEV-" + std::to_string(i + 1) + ": must not be shorter than response_s");
    }
  }
  return e;
}

}  // namespace

std::string_view to_string(Signal s) { return name_of(kSignals, static_cast<int>(s)); }
std::string_view to_string(Action a) { return name_of(kActions, static_cast<int>(a)); }
std::string_view to_string(Authority a) { return name_of(kAuthorities, static_cast<int>(a)); }
std::string_view to_string(CanaryCompareAction a) {
  return name_of(kCanaryCompareActions, static_cast<int>(a));
}

const Rule* Policy::find(std::string_view name) const {
  for (const Rule& r : rules) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<Policy> parse_policy(std::string_view toml_text, std::string_view name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string(name));
  } catch (const toml::parse_error& e) {
    return fail(Errc::kPolicyInvalid, std::string(name) + ":" +
                                          std::to_string(e.source().begin.line) + ": " +
                                          std::string(e.description()));
  }
  Reader r(name);
  Rule defaults;
  for (const auto& [key, node] : root) {
    std::string_view k = key.str();
    if (k != "defaults" && k != "rules" && k != "escalation" && k != "canary_compare_action") {
      r.error(&node, "", k, "unknown section");
    }
  }
  Policy policy;
  int compare = 0;
  if (read_enum(r, root, "", "canary_compare_action", kCanaryCompareActions, &compare)) {
    policy.canary_compare_action = static_cast<CanaryCompareAction>(compare);
  }
  if (const toml::table* d = root["defaults"].as_table()) {
    for (const auto& [key, node] : *d) {
      std::string_view k = key.str();
      if (k != "min_samples" && k != "cooldown_s" && k != "window_s" && k != "recovery_hold_s") {
        r.error(&node, "defaults", k, "unknown key");
      }
    }
    if (auto v = read_number(r, *d, "defaults", "min_samples")) defaults.min_samples = static_cast<uint64_t>(*v);
    if (auto v = read_number(r, *d, "defaults", "cooldown_s")) defaults.cooldown_ms = static_cast<int64_t>(*v * 1000);
    if (auto v = read_number(r, *d, "defaults", "window_s")) defaults.window_ms = static_cast<int64_t>(*v * 1000);
    if (auto v = read_number(r, *d, "defaults", "recovery_hold_s"))
      defaults.recovery_hold_ms = static_cast<int64_t>(*v * 1000);
  }
  policy.source = std::string(name);
  if (const toml::node* e = root.get("escalation")) {
    if (const toml::table* t = e->as_table()) {
      policy.escalation = read_escalation(r, *t);
    } else {
      r.error(e, "", "escalation", "expected a table");
    }
  }
  if (const toml::array* rules = root["rules"].as_array()) {
    size_t index = 0;
    for (const auto& node : *rules) {
      if (const toml::table* t = node.as_table()) {
        Rule rule = read_rule(r, *t, index, defaults);
        if (policy.find(rule.name) != nullptr) {
          r.error(t->get("name"), "rules." + std::to_string(index), "name", "duplicate rule name \"" + rule.name + "\"");
        }
        policy.rules.push_back(std::move(rule));
      }
      ++index;
    }
  }
  if (!r.ok()) return fail(Errc::kPolicyInvalid, r.text());
  return policy;
}

Result<Policy> load_policy(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(Errc::kPolicyUnreadable, "cannot read policy file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return parse_policy(text.str(), path);
}

}  // namespace x0::autopilot

namespace x0::autopilot {
std::string_view default_policy_text() { return kDefaultPolicy; }
}  // namespace x0::autopilot
