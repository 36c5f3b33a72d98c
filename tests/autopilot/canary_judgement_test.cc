// canary_compare_action against the shipped matrix: "rollback" keeps the candidate rules as
// written; "recommend" places the candidate's own value in the matrix's bands (SPEC section 6).
#include "autopilot/canary_judgement.h"

#include <gtest/gtest.h>

namespace x0::autopilot {
namespace {

// A candidate error rate of `rate` over n requests.
Measurement errors_of(double rate, uint64_t n = 1000) {
  Measurement m;
  m.value = rate;
  m.samples = n;
  m.events = static_cast<uint64_t>(rate * static_cast<double>(n) + 0.5);
  return m;
}

Measurement p95_of(double ms) {
  Measurement m;
  m.value = ms;
  m.samples = 1000;
  return m;
}

Policy shipped(CanaryCompareAction choice) {
  auto policy = load_policy(X0_POLICY_DIR "/default.toml");
  EXPECT_TRUE(policy.has_value()) << policy.error().detail;
  policy->canary_compare_action = choice;
  return *policy;
}

TEST(CanaryJudgement, RollbackKeepsTheCandidateRuleAsWritten) {
  Policy p = shipped(CanaryCompareAction::kRollback);
  CanaryJudgement j = judge_candidate(p, *p.find("canary_error_rate"), errors_of(0.07));
  EXPECT_EQ(j.action, Action::kRollback);
  EXPECT_EQ(j.authority, Authority::kSystem);
  EXPECT_EQ(j.severity, Severity::kSev2);
  EXPECT_EQ(j.band, nullptr);
  EXPECT_TRUE(j.text.empty());
}

TEST(CanaryJudgement, RecommendLeavesTheElevatedBandsToTheOnCall) {
  Policy p = shipped(CanaryCompareAction::kRecommend);
  CanaryJudgement errors = judge_candidate(p, *p.find("canary_error_rate"), errors_of(0.07));
  EXPECT_EQ(errors.action, Action::kRollback);
  EXPECT_EQ(errors.authority, Authority::kOnCall);
  EXPECT_EQ(errors.severity, Severity::kSev2);  // error rate 5-10 %: SEV-2, on-call
  ASSERT_NE(errors.band, nullptr);
  EXPECT_EQ(errors.band->name, "error_rate_elevated");
  EXPECT_NE(errors.text.find("error_rate_elevated (above 0.05, at most 0.1)"), std::string::npos)
      << errors.text;
  CanaryJudgement slow = judge_candidate(p, *p.find("canary_latency"), p95_of(310));
  EXPECT_EQ(slow.authority, Authority::kOnCall);
  EXPECT_EQ(slow.severity, Severity::kSev3);  // P95 200-500 ms: SEV-3, on-call
  EXPECT_EQ(slow.band->name, "latency_p95_elevated");
}

TEST(CanaryJudgement, RecommendStillRollsBackWhereTheMatrixActs) {
  Policy p = shipped(CanaryCompareAction::kRecommend);
  CanaryJudgement errors = judge_candidate(p, *p.find("canary_error_rate"), errors_of(0.5));
  EXPECT_EQ(errors.action, Action::kRollback);
  EXPECT_EQ(errors.authority, Authority::kSystem);
  EXPECT_EQ(errors.severity, Severity::kSev1);  // > 10 %: SEV-1, automatic
  EXPECT_EQ(errors.band->name, "error_rate_critical");
  CanaryJudgement slow = judge_candidate(p, *p.find("canary_latency"), p95_of(800));
  EXPECT_EQ(slow.authority, Authority::kSystem);
  EXPECT_EQ(slow.severity, Severity::kSev2);  // > 500 ms: SEV-2, automatic
  // A band's top is inclusive (above < value <= at_most): 10 % is still the on-call's.
  EXPECT_EQ(judge_candidate(p, *p.find("canary_error_rate"), errors_of(0.10)).authority,
            Authority::kOnCall);
}

TEST(CanaryJudgement, AnErrorRateOnlyJustAboveTheAutomaticBandIsNotActedOn) {
  Policy p = shipped(CanaryCompareAction::kRecommend);
  // 7 of 60 (11.7 %) is what a 7 % canary shows now and then: not evidence of > 10 %.
  CanaryJudgement j = judge_candidate(p, *p.find("canary_error_rate"), errors_of(7.0 / 60, 60));
  EXPECT_EQ(j.authority, Authority::kOnCall);
  EXPECT_EQ(j.severity, Severity::kSev2);
  ASSERT_NE(j.band, nullptr);
  EXPECT_EQ(j.band->name, "error_rate_elevated");
  EXPECT_NE(j.text.find("not significantly above 0.1"), std::string::npos) << j.text;
  // 30 % of 60 is.
  EXPECT_EQ(judge_candidate(p, *p.find("canary_error_rate"), errors_of(0.3, 60)).authority,
            Authority::kSystem);
}

TEST(CanaryJudgement, BelowEveryBandIsTheMildestBandsSeverity) {
  Policy p = shipped(CanaryCompareAction::kRecommend);
  // 150 ms against a 20 ms stable side breaches canary_latency, but the matrix starts at 200.
  CanaryJudgement j = judge_candidate(p, *p.find("canary_latency"), p95_of(150));
  EXPECT_EQ(j.band, nullptr);
  EXPECT_EQ(j.authority, Authority::kOnCall);
  EXPECT_EQ(j.severity, Severity::kSev3);
  EXPECT_NE(j.text.find("below the matrix's bands"), std::string::npos) << j.text;
}

TEST(CanaryJudgement, RulesThatDoNotRollBackAreLeftAlone) {
  Policy p = shipped(CanaryCompareAction::kRecommend);
  Rule alert = *p.find("canary_error_rate");
  alert.action = Action::kAlert;
  CanaryJudgement j = judge_candidate(p, alert, errors_of(0.07));
  EXPECT_EQ(j.action, Action::kAlert);
  EXPECT_EQ(j.authority, Authority::kSystem);
  EXPECT_TRUE(j.text.empty());
}

TEST(CanaryJudgement, MatrixBandPicksTheStrictestBandThatHoldsTheValue) {
  Policy p = shipped(CanaryCompareAction::kRecommend);
  EXPECT_EQ(matrix_band(p, Signal::kErrorRate, 0.02), nullptr);
  EXPECT_EQ(matrix_band(p, Signal::kErrorRate, 0.06)->name, "error_rate_elevated");
  EXPECT_EQ(matrix_band(p, Signal::kErrorRate, 0.11)->name, "error_rate_critical");
  EXPECT_EQ(matrix_band(p, Signal::kLatencyP95Ms, 501)->name, "latency_p95_critical");
}

}  // namespace
}  // namespace x0::autopilot
