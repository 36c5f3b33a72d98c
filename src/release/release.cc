// Release model: names of strategies and states, spec validation, and the traffic split a
// release implies (routing_for), which the controller assembles into the published RoutingSet.
#include "release/release.h"

#include <set>

namespace x0::release {
namespace {

constexpr size_t kMaxCandidates = 64;
constexpr size_t kMaxSteps = 20;
constexpr int64_t kMaxIntervalMs = 7LL * 24 * 3600 * 1000;

bool is_tchar(char c) {  // RFC 9110 token characters
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

x0::Result<void> bad(std::string detail) { return x0::fail(Errc::kBadRequest, std::move(detail)); }

x0::Result<void> validate_steps(const ReleaseSpec& spec) {
  if (spec.strategy == Strategy::kBlueGreen) {
    if (!spec.steps.empty()) return bad("steps: blue_green releases have no weight steps");
    return {};
  }
  if (spec.steps.empty() || spec.steps.size() > kMaxSteps)
    return bad("steps: expected 1 to " + std::to_string(kMaxSteps) + " weights in percent");
  int prev = 0;
  for (int s : spec.steps) {
    if (s < 1 || s > 100)
      return bad("steps: each weight must be within 1..100, got " + std::to_string(s));
    if (s <= prev) return bad("steps: weights must be strictly increasing");
    prev = s;
  }
  return {};
}

x0::Result<void> validate_header(const ReleaseSpec& spec) {
  if (spec.header_name.empty()) {
    if (spec.strategy == Strategy::kBlueGreen)
      return bad("header: blue_green needs a header override for the smoke check");
    return {};
  }
  if (spec.header_name.size() > 64) return bad("header: longer than 64 characters");
  for (char c : spec.header_name)
    if (!is_tchar(c)) return bad("header: not a valid header name");
  if (spec.header_value.empty() || spec.header_value.size() > 128)
    return bad("header_value: expected 1 to 128 characters");
  for (char c : spec.header_value)
    if (c < 0x21 || c > 0x7e) return bad("header_value: only visible ASCII characters");
  return {};
}

}  // namespace

std::string_view to_string(Strategy s) { return s == Strategy::kCanary ? "canary" : "blue_green"; }

std::string_view to_string(State s) {
  switch (s) {
    case State::kRunning:
      return "running";
    case State::kPaused:
      return "paused";
    case State::kPromoted:
      return "promoted";
    case State::kRolledBack:
      return "rolled_back";
    case State::kAborted:
      return "aborted";
  }
  return "unknown";
}

std::optional<Strategy> parse_strategy(std::string_view text) {
  if (text == "canary") return Strategy::kCanary;
  if (text == "blue_green") return Strategy::kBlueGreen;
  return std::nullopt;
}

std::optional<State> parse_state(std::string_view text) {
  for (State s :
       {State::kRunning, State::kPaused, State::kPromoted, State::kRolledBack, State::kAborted})
    if (to_string(s) == text) return s;
  return std::nullopt;
}

bool valid_service_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

x0::Result<void> validate_spec(const ReleaseSpec& spec) {
  if (spec.candidate.empty()) return bad("candidate: at least one endpoint is required");
  if (spec.candidate.size() > kMaxCandidates)
    return bad("candidate: at most " + std::to_string(kMaxCandidates) + " endpoints");
  std::set<std::string> seen;
  for (const auto& e : spec.candidate) {
    if (e.host.empty() || e.port == 0) return bad("candidate: empty host or port 0");
    if (!seen.insert(e.to_string()).second)
      return bad("candidate: duplicate endpoint " + e.to_string());
  }
  if (auto r = validate_steps(spec); !r) return r;
  if (spec.step_interval_ms < 1 || spec.step_interval_ms > kMaxIntervalMs)
    return bad("step_interval: must be between 1 ms and 7 days");
  if (auto r = validate_header(spec); !r) return r;
  if (spec.strategy == Strategy::kBlueGreen) {
    if (!spec.smoke.path.starts_with('/') || spec.smoke.path.size() > 1024)
      return bad("smoke.path: must start with '/' (at most 1024 characters)");
    for (char c : spec.smoke.path)
      if (c < 0x21 || c > 0x7e) return bad("smoke.path: only visible ASCII characters");
    if (spec.smoke.expect_status < 100 || spec.smoke.expect_status > 599)
      return bad("smoke.expect_status: must be within 100..599");
  }
  return {};
}

int weight_percent(const Release& r) {
  switch (r.state) {
    case State::kRunning:
    case State::kPaused:
      if (r.spec.strategy == Strategy::kBlueGreen || r.step >= r.spec.steps.size()) return 0;
      return r.spec.steps[r.step];
    case State::kPromoted:
      return r.adopted ? 0 : 100;
    case State::kRolledBack:
    case State::kAborted:
      return 0;
  }
  return 0;
}

bool is_active(const Release& r) {
  return r.state == State::kRunning || r.state == State::kPaused ||
         (r.state == State::kPromoted && !r.adopted);
}

std::optional<ReleaseRouting> routing_for(const Release& r) {
  if (!is_active(r)) return std::nullopt;
  ReleaseRouting out;
  out.candidate = r.spec.candidate;
  out.weight_bp = weight_percent(r) * 100;
  out.header_name = r.spec.header_name;
  out.header_value = r.spec.header_value;
  out.candidate_only = r.state == State::kPromoted;
  return out;
}

}  // namespace x0::release
