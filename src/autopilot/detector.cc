// Rule evaluation, canary statistics and anti-flap timing (see detector.h).
#include "autopilot/detector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace x0::autopilot {
namespace {

bool needs_samples(Signal s) {
  return s == Signal::kErrorRate || s == Signal::kLatencyP95Ms || s == Signal::kEmptyResponseRate ||
         s == Signal::kResponseBytes;
}

// Signals that are a share of the requests (events / samples): compared with the z-test.
bool is_proportion(Signal s) { return s == Signal::kErrorRate || s == Signal::kEmptyResponseRate; }

// Hysteresis: a breach in progress ends only once the value is this fraction below `above`, so
// a signal hovering at the threshold (a window's average of 12 % and 8 % is about 10 %) keeps
// one breach running instead of restarting its for_s at every crossing.
constexpr double kHysteresis = 0.10;

Verdict absolute(const Rule& rule, double value) {
  if (rule.above && !(value > *rule.above)) return Verdict::kClean;
  if (rule.at_most && value > *rule.at_most) return Verdict::kClean;  // a stricter rule's band
  return Verdict::kBreached;
}

Verdict against_stable(const Rule& rule, const Measurement& m) {
  if (m.samples < rule.min_samples) return Verdict::kInsufficientData;
  if (m.stable_samples < rule.min_samples) {
    // Nothing to compare with (e.g. all traffic on the candidate): fall back to the margin as an
    // absolute limit, so a broken candidate is still caught.
    if (rule.signal == Signal::kErrorRate && rule.above_stable_by) {
      return m.value > *rule.above_stable_by ? Verdict::kBreached : Verdict::kClean;
    }
    return Verdict::kInsufficientData;
  }
  double diff = m.value - m.stable_value;
  if (rule.above_stable_by && !(diff > *rule.above_stable_by)) return Verdict::kClean;
  if (rule.above_stable_ratio && !(m.value > m.stable_value * *rule.above_stable_ratio)) {
    return Verdict::kClean;
  }
  if (rule.below_stable_ratio && !(m.value < m.stable_value * *rule.below_stable_ratio)) {
    return Verdict::kClean;
  }
  if (is_proportion(rule.signal) &&
      proportion_z(m.events, m.samples, m.stable_events, m.stable_samples) < kZCritical) {
    return Verdict::kClean;  // the difference could be noise at these sample sizes
  }
  return Verdict::kBreached;
}

}  // namespace

double proportion_z(uint64_t a_events, uint64_t a_n, uint64_t b_events, uint64_t b_n) {
  if (a_n == 0 || b_n == 0) return 0;
  double pa = static_cast<double>(a_events) / static_cast<double>(a_n);
  double pb = static_cast<double>(b_events) / static_cast<double>(b_n);
  double pooled = static_cast<double>(a_events + b_events) / static_cast<double>(a_n + b_n);
  double inv = 1.0 / static_cast<double>(a_n) + 1.0 / static_cast<double>(b_n);
  double se = std::sqrt(pooled * (1 - pooled) * inv);
  if (se == 0) return pa > pb ? INFINITY : 0;
  // Yates' continuity correction: with few events (1 % of 60 requests is less than one) the
  // normal approximation overstates significance; this pulls the difference back by half a
  // count per sample.
  double diff = pa - pb;
  double corrected = diff > 0 ? std::max(0.0, diff - 0.5 * inv) : diff;
  return corrected / se;
}

bool significantly_worse(uint64_t a_events, uint64_t a_n, uint64_t b_events, uint64_t b_n) {
  return proportion_z(a_events, a_n, b_events, b_n) >= kZCritical;
}

std::string explain(const Rule& rule, const Measurement& m) {
  auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", v);
    return std::string(text);
  };
  bool proportion = is_proportion(rule.signal);
  auto side = [&](double value, uint64_t events, uint64_t samples) {
    std::string text = number(value) + " (";
    if (proportion) text += std::to_string(events) + " of ";
    if (rule.signal == Signal::kResponseBytes) text += "mean of ";
    return text + std::to_string(samples) + " requests)";
  };
  std::string text = "candidate " + std::string(to_string(rule.signal)) + " " +
                     side(m.value, m.events, m.samples) + " vs stable " +
                     side(m.stable_value, m.stable_events, m.stable_samples);
  if (m.window_ms > 0) text += " over " + number(static_cast<double>(m.window_ms) / 1000) + " s";
  std::string limits;
  auto add = [&](const std::string& part) { limits += (limits.empty() ? "" : ", ") + part; };
  if (m.stable_samples < rule.min_samples) {
    add("stable below min_samples " + std::to_string(rule.min_samples) + ": candidate above " +
        number(rule.above_stable_by.value_or(0)));
  } else {
    if (rule.above_stable_by) add("above stable by " + number(*rule.above_stable_by));
    if (rule.above_stable_ratio) add("above stable x " + number(*rule.above_stable_ratio));
    if (rule.below_stable_ratio) add("below stable x " + number(*rule.below_stable_ratio));
    if (proportion) {
      add("z " + number(proportion_z(m.events, m.samples, m.stable_events, m.stable_samples)) +
          " >= " + number(kZCritical));
    }
  }
  return text + "; rule " + rule.name + ": " + limits;
}

namespace {

// A rolled-back candidate's traffic, now on the stable set: recovered when it is within the
// rule's margins of what the stable set did when the rule fired (no significance test: the
// question is whether it still fails, not whether it differs).
Verdict after_release(const Rule& rule, const Measurement& m) {
  if (rule.signal == Signal::kServiceDown)
    return m.value > 0 ? Verdict::kBreached : Verdict::kClean;  // the stable set is up
  if (m.samples < rule.min_samples || m.samples == 0) return Verdict::kInsufficientData;
  if (rule.above_stable_by && m.value > m.stable_value + *rule.above_stable_by)
    return Verdict::kBreached;
  if (rule.above_stable_ratio && !rule.above_stable_by &&
      m.value > m.stable_value * *rule.above_stable_ratio)
    return Verdict::kBreached;
  if (rule.below_stable_ratio && m.value < m.stable_value * *rule.below_stable_ratio)
    return Verdict::kBreached;
  return Verdict::kClean;
}

}  // namespace

Verdict evaluate(const Rule& rule, const Measurement& m) {
  if (m.after_release) return after_release(rule, m);
  if (rule.scope == Scope::kCandidate && rule.signal != Signal::kServiceDown) {
    return against_stable(rule, m);
  }
  if (needs_samples(rule.signal) && m.samples < rule.min_samples) return Verdict::kInsufficientData;
  return absolute(rule, m.value);
}

std::optional<Firing> Detector::observe(const Rule& rule, const Target& target,
                                        const Measurement& m, int64_t now_ms, Recovery* recovery) {
  State& s = states_[{rule.name, target}];
  Verdict verdict = evaluate(rule, m);
  if (verdict == Verdict::kInsufficientData)
    return std::nullopt;  // neither starts nor ends a breach, nor a recovery
  // A band rule (`at_most`) whose value went above its band: the stricter rule's business, so it
  // does not fire, but its breach goes on: the signal is at least as bad as the band says, and
  // a value alternating across the band's top must not restart both rules' timers (no gap
  // between bands). Likewise a value just below `above` within the hysteresis keeps the breach
  // but does not fire: a firing always reports a value inside the rule's band.
  bool hold_only = false;
  bool absolute_rule = rule.scope != Scope::kCandidate || rule.signal == Signal::kServiceDown;
  if (verdict == Verdict::kClean && absolute_rule && rule.above && !m.after_release) {
    bool breaching = s.in_breach || (s.fired && s.last_fired_ms >= 0);
    bool above_band = rule.at_most && m.value > *rule.at_most;
    bool within_hysteresis =
        breaching && m.value > *rule.above - kHysteresis * std::abs(*rule.above);
    hold_only = above_band || within_hysteresis;
    if (hold_only) verdict = Verdict::kBreached;
  }
  if (verdict == Verdict::kClean) {
    s.in_breach = false;
    s.alerted = false;
    if (!s.fired) return std::nullopt;
    if (!rule.mitigate_when_clear) {
      s.fired = false;
      return std::nullopt;
    }
    // Recovered only once the signal has stayed clean for the hold: a dip between two bad
    // stretches is not a mitigation. The recovery is dated from where the clean run began.
    if (s.clean_since_ms < 0) {
      s.clean_since_ms = m.last_bad_end_ms > 0   ? m.last_bad_end_ms
                         : m.window_start_ms > 0 ? m.window_start_ms
                                                 : now_ms;
    } else if (m.last_bad_end_ms > s.clean_since_ms) {
      s.clean_since_ms = m.last_bad_end_ms;  // a bad tick since: the clean run starts after it
    }
    s.clean_since_ms = std::min(s.clean_since_ms, now_ms);
    if (now_ms - s.clean_since_ms < rule.recovery_hold_ms) return std::nullopt;
    if (recovery != nullptr) *recovery = {s.clean_since_ms, s.fired_first_bad_ms};
    // Its incident is mitigated now: if the condition comes back, say so at once (the incident
    // re-opens) rather than after the cooldown. The cooldown stays for rules that act: it is
    // what spaces their actions.
    if (!rule.acts()) s.last_fired_ms = -1;
    s.fired = false;
    s.clean_since_ms = -1;
    return std::nullopt;
  }
  s.clean_since_ms = -1;  // failing (again): a recovery starts over
  if (m.after_release) return std::nullopt;
  if (!s.in_breach) {
    s.in_breach = true;
    s.breach_since_ms = now_ms;
    s.first_bad_ms = m.first_bad_ms != 0 && m.first_bad_ms < now_ms ? m.first_bad_ms : now_ms;
  }
  if (s.last_fired_ms >= 0 && now_ms - s.last_fired_ms < rule.cooldown_ms) return std::nullopt;
  // A rule that only tells people has told them: its incident is open and says so. Firing again
  // at every cooldown while the same condition holds (a peer down all night) would only add the
  // same two timeline entries a minute. It fires again (after the cooldown) when what it is about
  // changed (a second peer down), or once the condition has cleared and come back.
  if (!rule.acts() && s.fired && s.last_fired_ms >= 0 && m.subject == s.fired_subject)
    return std::nullopt;
  int64_t held = now_ms - s.breach_since_ms;
  Firing firing{&rule, target, s.first_bad_ms, now_ms, m.value, m.stable_value, false};
  if (hold_only) return std::nullopt;
  if (held >= rule.for_ms) {
    s.last_fired_ms = now_ms;
    s.fired = true;
    s.fired_baseline = m.stable_value;
    s.fired_first_bad_ms = s.first_bad_ms;
    s.fired_subject = m.subject;
    s.in_breach = false;
    s.alerted = false;
    return firing;
  }
  if (rule.alert_after_ms && held >= *rule.alert_after_ms && !s.alerted) {
    s.alerted = true;
    firing.alert_only = true;
    return firing;
  }
  return std::nullopt;
}

bool Detector::awaiting_recovery(const Rule& rule, const Target& target) const {
  auto it = states_.find({rule.name, target});
  return it != states_.end() && it->second.fired && it->second.last_fired_ms >= 0 &&
         rule.mitigate_when_clear;
}

double Detector::fired_baseline(const Rule& rule, const Target& target) const {
  auto it = states_.find({rule.name, target});
  return it == states_.end() ? 0.0 : it->second.fired_baseline;
}

void Detector::reset(const Target& target) {
  // Forget breaches in progress, keep the cooldowns: they are what stops flapping.
  for (auto& [key, state] : states_) {
    if (key.second != target) continue;
    state.in_breach = false;
    state.alerted = false;
  }
}

void Detector::hand_over(const Policy& old, const Policy& next) {
  std::erase_if(states_,
                [&](const auto& entry) { return next.find(entry.first.first) == nullptr; });
  for (auto& [key, state] : states_) {
    const Rule* before = old.find(key.first);
    if (before != nullptr && *before == *next.find(key.first)) continue;  // unchanged
    state.in_breach = false;
    state.alerted = false;
  }
}

}  // namespace x0::autopilot
