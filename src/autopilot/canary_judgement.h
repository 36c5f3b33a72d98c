// What a candidate rule's firing becomes under the policy's `canary_compare_action`: roll the
// canary back (as Flagger and Argo Rollouts do), or place the candidate's own value in the
// matrix's bands (SPEC section 6: the service rules of the same signal) and do what that band
// says: act where the band's rule acts, recommend to the band's authority where it does not.
// A pure function over the policy, so the choice is testable without a node.
#pragma once

#include <string>

#include "autopilot/detector.h"
#include "autopilot/policy.h"

namespace x0::autopilot {

struct CanaryJudgement {
  Severity severity = Severity::kSev2;
  Authority authority = Authority::kOnCall;
  Action action = Action::kNone;
  Action then = Action::kNone;
  const Rule* band = nullptr;  // the service rule whose band the value is in; null: none
  std::string text;            // for the timeline: the choice and the band, with its limits
};

// The service rule of `signal` whose band holds `value` (above < value <= at_most), the strictest
// (highest `above`) when bands overlap; null when none does.
const Rule* matrix_band(const Policy& policy, Signal signal, double value);

// `rule`: a candidate rule that fired on `m` (m.value: the candidate's). With kRollback, the rule
// as written. With kRecommend and a rule that acts and says rollback: the band's severity; the
// rollback if the band's rule acts, else a recommendation to the band's authority. For the error
// rate, the node acts only when the candidate is significantly inside the acting band (one-sided
// z >= kZCritical against the band's `above`): a 7 % canary whose first significant window read
// 11 % of 60 requests is the on-call's, not an automatic rollback. A value below every band
// takes the mildest band's severity (it is not worse than the matrix's mildest case); a signal
// without bands (response_bytes) keeps the rule's severity; both are recommended to the on-call.
CanaryJudgement judge_candidate(const Policy& policy, const Rule& rule, const Measurement& m);

}  // namespace x0::autopilot
