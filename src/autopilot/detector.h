// Turning measurements into decisions, one rule and one target at a time: a rule fires when its
// condition has held for `for_ms` with enough samples, and not again within its cooldown
// (anti-flap). Candidate rules compare the candidate with the stable set over the same window
// (docs/AUTOPILOT.md): a slow day for everyone does not abort a good release.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "autopilot/policy.h"
#include "autopilot/target.h"

namespace x0::autopilot {

// One rule's view of one target over the rule's window.
struct Measurement {
  double value = 0;         // the signal (the candidate's, for candidate rules)
  uint64_t samples = 0;     // requests in the window behind `value`
  uint64_t events = 0;      // errors in the window (error_rate): used by the proportion test
  double stable_value = 0;  // candidate rules: the stable set's value over the same window
  uint64_t stable_samples = 0;
  uint64_t stable_events = 0;
  int64_t first_bad_ms = 0;  // earliest tick in the window where the signal was bad (0: unknown)
  int64_t window_ms = 0;     // candidate rules: the window both sides were measured over
  // Where a recovery began, for signals kept in windows (0: unknown, "now"): the end of the
  // window's last bad tick, else (the whole window good) the window's start.
  int64_t last_bad_end_ms = 0;
  int64_t window_start_ms = 0;
  // A candidate rule after its release ended (rolled back): `value` is the stable set's since
  // the end, compared with the rule's margins over `stable_value`, the stable set's when the
  // rule fired; it says whether the traffic the candidate had recovered, never fires.
  bool after_release = false;
  // Service rules during a release: the stable side breaches the rule by itself and the
  // candidate is no worse, so the release is not the cause (Autopilot::decide then holds it and
  // acts on the stable set instead of rolling the candidate back). `attribution` says why, with
  // both sides' figures, for the incident.
  bool stable_to_blame = false;
  std::string attribution;
  // Node rules: who the value is about (NodeSample's names), appended to the incident's text.
  std::string subject;
};

enum class Verdict { kInsufficientData, kClean, kBreached };

// The rule's condition alone, no timing.
Verdict evaluate(const Rule& rule, const Measurement& m);

// A candidate rule's comparison in words, both sides' figures and the rule's thresholds: what
// the incident says decided ("candidate error_rate 0.07 (28 of 400) vs stable 0 (0 of 1200)
// over 3 s; rule canary_error_rate: above stable by 0.05, z 6.9 >= 3.09").
std::string explain(const Rule& rule, const Measurement& m);

// One-sided 99.9 %: the candidate must be worse with p < 0.001, not merely look worse. The
// test is repeated every tick over sliding windows, so a single test's 1 % false-positive rate
// would add up to several false rollbacks an hour (bench/chaos.sh measured 1 in 5 healthy
// canaries at 99 % with 1 s windows); 99.9 % with a continuity correction keeps real faults
// (a 50 % error canary: z > 10) caught at once.
inline constexpr double kZCritical = 3.090;

// One-sided two-proportion z statistic of (a_events/a_n) > (b_events/b_n).
double proportion_z(uint64_t a_events, uint64_t a_n, uint64_t b_events, uint64_t b_n);
// Whether a's error rate is worse than b's with the significance the canary rules use.
bool significantly_worse(uint64_t a_events, uint64_t a_n, uint64_t b_events, uint64_t b_n);

struct Firing {
  const Rule* rule = nullptr;
  Target target;
  int64_t first_anomalous_ms = 0;
  int64_t detected_ms = 0;
  double value = 0;
  double baseline = 0;      // stable value for candidate rules
  bool alert_only = false;  // alert_after reached, for_ms not yet: warn, do not act
};

// A fired rule's target that has recovered (Detector::observe).
struct Recovery {
  int64_t recovered_ms = 0;  // where the clean run began: the mitigation's time; 0: none
  int64_t first_anomalous_ms =
      0;  // of the firing it ends (0: unknown, e.g. fired before a restart)
};

class Detector {
 public:
  // Feeds the measurement taken at now_ms; returns a firing when the rule fires (or reaches
  // its early alert) for this target. `recovery` (optional) is set, once per firing, when a
  // rule with mitigate_when_clear that fired for this target has been clean for its
  // recovery_hold_ms.
  std::optional<Firing> observe(const Rule& rule, const Target& target, const Measurement& m,
                                int64_t now_ms, Recovery* recovery = nullptr);
  // Whether the rule fired for the target and its recovery has not been seen yet.
  bool awaiting_recovery(const Rule& rule, const Target& target) const;
  // The stable value the rule's last firing for the target compared with (candidate rules).
  double fired_baseline(const Rule& rule, const Target& target) const;
  // After an action the target's breaches start over (cooldowns are kept).
  void reset(const Target& target);
  // A new policy takes over (SIGHUP): a rule that is unchanged (same name, every field equal)
  // keeps all its state, so a reload that did not touch it neither delays nor repeats its
  // firing; a changed rule that keeps its name keeps its cooldowns (a reload does not re-fire a
  // rule that just fired) and starts its breaches over; the state of rules that are gone is
  // dropped.
  void hand_over(const Policy& old, const Policy& next);

 private:
  struct State {
    bool in_breach = false;
    int64_t breach_since_ms = 0;
    int64_t first_bad_ms = 0;
    int64_t last_fired_ms = -1;
    bool alerted = false;
    // Fired and not recovered yet (mitigate_when_clear). Starts true: after a restart or a
    // reload the incident it opened may still be open, and the first recovery looks
    // (IncidentRecorder::cleared finds none when there is none).
    bool fired = true;
    int64_t clean_since_ms = -1;  // while fired: where the clean run that may end it began
    double fired_baseline = 0;
    int64_t fired_first_bad_ms = 0;
    std::string fired_subject;  // Measurement::subject when it fired
  };
  std::map<std::pair<std::string, Target>, State> states_;  // (rule name, target)
};

}  // namespace x0::autopilot
