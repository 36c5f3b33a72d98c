// canary_compare_action and the matrix's bands (see canary_judgement.h).
#include "autopilot/canary_judgement.h"

#include <cmath>
#include <cstdio>

namespace x0::autopilot {
namespace {

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

std::string band_text(const Rule& band) {
  std::string text = band.name + " (above " + number(band.above.value_or(0));
  if (band.at_most) text += ", at most " + number(*band.at_most);
  return text + ")";
}

bool is_band(const Rule& r, Signal signal) {
  return r.scope == Scope::kService && r.signal == signal && r.above.has_value();
}

// One-sided one-sample z of events/n above the rate p0.
double rate_above_z(uint64_t events, uint64_t n, double p0) {
  if (n == 0 || p0 <= 0 || p0 >= 1) return n == 0 ? 0 : INFINITY;
  double p = static_cast<double>(events) / static_cast<double>(n);
  return (p - p0) / std::sqrt(p0 * (1 - p0) / static_cast<double>(n));
}

}  // namespace

const Rule* matrix_band(const Policy& policy, Signal signal, double value) {
  const Rule* best = nullptr;
  for (const Rule& r : policy.rules) {
    if (!is_band(r, signal) || !(value > *r.above)) continue;
    if (r.at_most && value > *r.at_most) continue;
    if (best == nullptr || *r.above > *best->above) best = &r;
  }
  return best;
}

CanaryJudgement judge_candidate(const Policy& policy, const Rule& rule, const Measurement& m) {
  CanaryJudgement j{rule.severity, rule.authority, rule.action, rule.then, nullptr, ""};
  if (policy.canary_compare_action != CanaryCompareAction::kRecommend || !rule.acts() ||
      rule.action != Action::kRollback) {
    return j;
  }
  std::string prefix = "canary_compare_action = recommend: the candidate's " +
                       std::string(to_string(rule.signal)) + " " + number(m.value);
  std::string in_band = " is in band ";
  j.band = matrix_band(policy, rule.signal, m.value);
  if (j.band != nullptr && j.band->acts() && rule.signal == Signal::kErrorRate) {
    double z = rate_above_z(m.events, m.samples, *j.band->above);
    if (z < kZCritical) {
      prefix += " over " + std::to_string(m.samples) + " requests is not significantly above " +
                number(*j.band->above) + " (z " + number(z) + " < " + number(kZCritical) + ")";
      j.band = matrix_band(policy, rule.signal, *j.band->above);  // the band below it
      in_band = ", so it counts in band ";
    }
  }
  if (j.band != nullptr) {
    j.severity = j.band->severity;
    if (j.band->acts()) {  // the matrix acts here by itself (e.g. error rate > 10 %)
      j.authority = Authority::kSystem;
      j.text = prefix + in_band + band_text(*j.band) + ", which the node acts on";
      return j;
    }
    j.authority = j.band->authority;
    j.then = Action::kNone;
    j.text = prefix + in_band + band_text(*j.band) + ": the rollback is " +
             std::string(to_string(j.authority)) + "'s decision";
    return j;
  }
  // Below every band, or a signal the matrix has no band for.
  const Rule* mildest = nullptr;
  for (const Rule& r : policy.rules) {
    if (is_band(r, rule.signal) && (mildest == nullptr || *r.above < *mildest->above)) mildest = &r;
  }
  j.authority = mildest != nullptr && !mildest->acts() ? mildest->authority : Authority::kOnCall;
  j.then = Action::kNone;
  if (mildest != nullptr) {
    j.severity = mildest->severity;
    j.text = prefix + " is below the matrix's bands (the mildest: " + band_text(*mildest) + ")";
  } else {
    j.text = prefix + " has no band in the matrix";
  }
  j.text += ": the rollback is " + std::string(to_string(j.authority)) + "'s decision";
  return j;
}

}  // namespace x0::autopilot
