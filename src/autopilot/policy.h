// The autopilot's policy: the runbooks' decision matrix as data (policy/default.toml), parsed
// and validated at load with file:line errors. Nothing in it is a constant in code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/severity.h"

namespace x0::autopilot {

enum class Signal {
  kErrorRate, kLatencyP95Ms, kServiceDown, kPqcFallback, kPqcHandshakeFailures,
  kMemoryRatio, kCpuRatio, kRestarts, kAuthFailures, kMeshPeersDown, kMeshPartitioned,
  kServedRemotely, kEmptyResponseRate, kResponseBytes
};
enum class Action {
  kNone, kRollback, kDivertToFallback, kEjectEndpoint, kIsolate, kAlert, kEscalate,
  kScaleRecommendation, kRestart, kHoldRelease
};
enum class Authority { kSystem, kOnCall, kTeamLead, kCto };
enum class Scope { kService, kCandidate, kNode };

std::string_view to_string(Signal s);
std::string_view to_string(Action a);
std::string_view to_string(Authority a);

struct Rule {
  std::string name;
  Scope scope = Scope::kService;
  Signal signal = Signal::kErrorRate;
  // Absolute thresholds: fires while above < value <= at_most (at_most optional).
  std::optional<double> above;
  std::optional<double> at_most;
  // Candidate scope: fires while candidate > stable + above_stable_by, and (if set)
  // candidate > stable * above_stable_ratio; see docs/AUTOPILOT.md for the statistics.
  std::optional<double> above_stable_by;
  std::optional<double> above_stable_ratio;
  // response_bytes only: fires while candidate < stable * below_stable_ratio (0 < ratio < 1).
  std::optional<double> below_stable_ratio;
  int64_t window_ms = 60000;  // the sliding window a value is measured over
  int64_t for_ms = 0;         // how long the condition must hold before the rule fires
  std::optional<int64_t> alert_after_ms;  // an earlier alert (no action) while for_ms runs
  int64_t cooldown_ms = 60000;
  uint64_t min_samples = 20;  // requests in the window; below it the rule says nothing
  Severity severity = Severity::kSev2;
  Action action = Action::kAlert;
  Action then = Action::kNone;  // a follow-up action, e.g. divert after rollback
  Authority authority = Authority::kOnCall;
  // The incident it opened is mitigated once the signal has been back within bounds for
  // recovery_hold_ms (a rolled-back canary: the service's traffic back on the stable set and
  // not failing), and MTTR ends where the recovery began. false: only an operator mitigates
  // (the default for isolate rules: the node stays isolated until an operator lifts it).
  bool mitigate_when_clear = true;
  int64_t recovery_hold_ms = 10000;
  std::string exec;              // optional hook command run on action
  int64_t exec_timeout_ms = 30000;
  // eject_endpoint: how long the chosen endpoint stays out of rotation (a passing active
  // health check ends the ejection earlier, like a passive one).
  int64_t eject_for_ms = 30000;

  bool acts() const { return authority == Authority::kSystem; }
  bool operator==(const Rule&) const = default;  // every field: a policy reload's "unchanged"
};

// SLA and escalation timers of incidents (SPEC section 6), the optional [escalation] table.
// Arrays are indexed by severity - 1 (SEV-1 first). The node turns this into
// incident::EscalationPolicy (app/escalation_tick.h: escalation_policy_from).
struct EscalationSettings {
  static constexpr int64_t kMinuteMs = 60'000, kHourMs = 60 * kMinuteMs, kDayMs = 24 * kHourMs;
  std::array<int64_t, 4> response_ms{15 * kMinuteMs, kHourMs, 4 * kHourMs, kDayMs};
  std::array<int64_t, 4> resolution_ms{4 * kHourMs, kDayMs, 3 * kDayMs, 7 * kDayMs};
  int64_t sev1_team_lead_after_ms = 0;
  int64_t sev1_cto_after_ms = kHourMs;
  int64_t sev2_team_lead_after_ms = kHourMs;
  std::array<int64_t, 4> update_every_ms{30 * kMinuteMs, kHourMs, 0, 0};  // 0: no reminders
};

// What a candidate rule that says "rollback" does (the top-level `canary_compare_action` key).
// kRollback: the node rolls the canary back itself, as Flagger and Argo Rollouts abort a canary
// that is significantly worse than its baseline. kRecommend: the candidate's own value is placed
// in the matrix's bands (the service rules of the same signal, SPEC section 6): a value in a band
// whose rule acts (error rate > 10 %) is still rolled back, one in a band left to a person (5-10 %)
// opens the incident with that band's severity and authority and recommends the rollback; the
// release's steps stay held meanwhile (its analysis is dirty). docs/AUTOPILOT.md, "Canary
// analysis".
enum class CanaryCompareAction { kRollback, kRecommend };
std::string_view to_string(CanaryCompareAction a);

struct Policy {
  std::vector<Rule> rules;
  EscalationSettings escalation;
  CanaryCompareAction canary_compare_action = CanaryCompareAction::kRollback;
  std::string source;
  const Rule* find(std::string_view name) const;
};

// Parses and validates. Errors name the file (`name`), line and key, one per line.
Result<Policy> parse_policy(std::string_view toml_text, std::string_view name);
Result<Policy> load_policy(const std::string& path);
// policy/default.toml as embedded in the binary.
std::string_view default_policy_text();

}  // namespace x0::autopilot
