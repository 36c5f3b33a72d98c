// The policy file: the default matrix loads, and mistakes are refused with file:line:key.
#include "autopilot/policy.h"

#include <gtest/gtest.h>

namespace x0::autopilot {
namespace {

TEST(Policy, DefaultPolicyCarriesTheRunbookMatrix) {
  auto policy = load_policy(X0_POLICY_DIR "/default.toml");
  ASSERT_TRUE(policy.has_value()) << policy.error().detail;
  const Rule* errors = policy->find("error_rate_critical");
  ASSERT_NE(errors, nullptr);
  EXPECT_DOUBLE_EQ(*errors->above, 0.10);
  EXPECT_EQ(errors->for_ms, 300000);
  EXPECT_EQ(errors->severity, Severity::kSev1);
  EXPECT_EQ(errors->action, Action::kRollback);
  EXPECT_TRUE(errors->acts());
  const Rule* elevated = policy->find("error_rate_elevated");
  ASSERT_NE(elevated, nullptr);
  EXPECT_FALSE(elevated->acts());  // on-call recommends, the system does not act
  EXPECT_DOUBLE_EQ(*elevated->at_most, 0.10);
  const Rule* down = policy->find("service_down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->then, Action::kDivertToFallback);
  EXPECT_EQ(*down->alert_after_ms, 120000);
  const Rule* canary = policy->find("canary_latency");
  ASSERT_NE(canary, nullptr);
  EXPECT_EQ(canary->scope, Scope::kCandidate);
  EXPECT_DOUBLE_EQ(*canary->above_stable_ratio, 1.5);
  EXPECT_EQ(policy->find("security_breach")->authority, Authority::kCto);
  EXPECT_EQ(policy->find("pqc_fallback")->authority, Authority::kTeamLead);
}

TEST(Policy, EmbeddedDefaultIsTheShippedFile) {
  auto embedded = parse_policy(default_policy_text(), "<embedded>");
  auto file = load_policy(X0_POLICY_DIR "/default.toml");
  ASSERT_TRUE(embedded.has_value() && file.has_value());
  EXPECT_EQ(embedded->rules.size(), file->rules.size());
  EXPECT_GE(embedded->rules.size(), 12u);
}

TEST(Policy, UnknownKeyNamesFileLineAndKey) {
  auto policy = parse_policy("[[rules]]\nname = \"x\"\nsignal = \"error_rate\"\nabove = 0.1\nthreshhold = 3\n",
                             "p.toml");
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().detail.find("p.toml:5: [rules.0] threshhold: unknown key"), std::string::npos)
      << policy.error().detail;
}

TEST(Policy, BadValuesAreRefused) {
  auto policy = parse_policy(
      "[[rules]]\nname = \"x\"\nsignal = \"error_ratio\"\nabove = 0.1\nseverity = \"SEV-9\"\n"
      "authority = \"boss\"\n",
      "p.toml");
  ASSERT_FALSE(policy.has_value());
  const std::string& d = policy.error().detail;
  EXPECT_NE(d.find("p.toml:3: [rules.0] signal: unknown value \"error_ratio\""), std::string::npos) << d;
  EXPECT_NE(d.find("p.toml:5: [rules.0] severity"), std::string::npos) << d;
  EXPECT_NE(d.find("p.toml:6: [rules.0] authority: unknown value \"boss\""), std::string::npos) << d;
}

TEST(Policy, StructuralMistakes) {
  auto missing_threshold = parse_policy("[[rules]]\nname = \"x\"\nsignal = \"error_rate\"\n", "p.toml");
  ASSERT_FALSE(missing_threshold.has_value());
  EXPECT_NE(missing_threshold.error().detail.find("above: required"), std::string::npos);
  auto inverted = parse_policy("[[rules]]\nname = \"x\"\nsignal = \"error_rate\"\nabove = 0.2\nat_most = 0.1\n",
                               "p.toml");
  ASSERT_FALSE(inverted.has_value());
  EXPECT_NE(inverted.error().detail.find("at_most: must be greater than above"), std::string::npos);
  auto canary = parse_policy("[[rules]]\nname = \"c\"\nscope = \"candidate\"\nsignal = \"error_rate\"\n", "p.toml");
  ASSERT_FALSE(canary.has_value());
  EXPECT_NE(canary.error().detail.find("needs above_stable_by"), std::string::npos);
  auto duplicate = parse_policy(
      "[[rules]]\nname = \"x\"\nsignal = \"cpu_ratio\"\nabove = 0.8\n"
      "[[rules]]\nname = \"x\"\nsignal = \"cpu_ratio\"\nabove = 0.9\n",
      "p.toml");
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_NE(duplicate.error().detail.find("duplicate rule name"), std::string::npos);
  auto syntax = parse_policy("[[rules]\n", "p.toml");
  ASSERT_FALSE(syntax.has_value());
  EXPECT_NE(syntax.error().detail.find("p.toml:1"), std::string::npos);
}

TEST(Policy, CanaryCompareActionDefaultsToRollbackAndIsValidated) {
  auto shipped = load_policy(X0_POLICY_DIR "/default.toml");
  ASSERT_TRUE(shipped.has_value()) << shipped.error().detail;
  EXPECT_EQ(shipped->canary_compare_action, CanaryCompareAction::kRollback);
  auto unset =
      parse_policy("[[rules]]\nname = \"x\"\nsignal = \"cpu_ratio\"\nabove = 0.8\n", "p.toml");
  ASSERT_TRUE(unset.has_value());
  EXPECT_EQ(unset->canary_compare_action, CanaryCompareAction::kRollback);
  auto recommend = parse_policy("canary_compare_action = \"recommend\"\n", "p.toml");
  ASSERT_TRUE(recommend.has_value()) << recommend.error().detail;
  EXPECT_EQ(recommend->canary_compare_action, CanaryCompareAction::kRecommend);
  EXPECT_EQ(to_string(recommend->canary_compare_action), "recommend");
  auto unknown = parse_policy("\ncanary_compare_action = \"abort\"\n", "p.toml");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().detail.find(
                "p.toml:2: [] canary_compare_action: unknown value \"abort\" (one of: rollback, "
                "recommend)"),
            std::string::npos)
      << unknown.error().detail;
  auto not_text = parse_policy("canary_compare_action = 1\n", "p.toml");
  ASSERT_FALSE(not_text.has_value());
  EXPECT_NE(not_text.error().detail.find("canary_compare_action: expected a string"),
            std::string::npos);
}

TEST(Policy, ResponseSignalsCompareTheSidesOnly) {
  auto shipped = load_policy(X0_POLICY_DIR "/default.toml");
  ASSERT_TRUE(shipped.has_value());
  const Rule* empty = shipped->find("canary_empty_responses");
  ASSERT_NE(empty, nullptr);
  EXPECT_EQ(empty->signal, Signal::kEmptyResponseRate);
  EXPECT_EQ(empty->scope, Scope::kCandidate);
  EXPECT_TRUE(empty->acts());
  auto size = parse_policy(
      "[[rules]]\nname = \"s\"\nscope = \"candidate\"\nsignal = \"response_bytes\"\n"
      "below_stable_ratio = 0.5\n",
      "p.toml");
  ASSERT_TRUE(size.has_value()) << size.error().detail;
  EXPECT_DOUBLE_EQ(*size->rules[0].below_stable_ratio, 0.5);
  auto service =
      parse_policy("[[rules]]\nname = \"s\"\nsignal = \"response_bytes\"\nabove = 10\n", "p.toml");
  ASSERT_FALSE(service.has_value());
  EXPECT_NE(service.error().detail.find(
                "p.toml:3: [rules.0] signal: compares a release's two sides: needs scope = "
                "\"candidate\""),
            std::string::npos)
      << service.error().detail;
  auto wrong_signal = parse_policy(
      "[[rules]]\nname = \"s\"\nscope = \"candidate\"\nsignal = \"error_rate\"\n"
      "below_stable_ratio = 0.5\n",
      "p.toml");
  ASSERT_FALSE(wrong_signal.has_value());
  EXPECT_NE(wrong_signal.error().detail.find(
                "p.toml:5: [rules.0] below_stable_ratio: only for signal = \"response_bytes\""),
            std::string::npos)
      << wrong_signal.error().detail;
  auto ratio = parse_policy(
      "[[rules]]\nname = \"s\"\nscope = \"candidate\"\nsignal = \"response_bytes\"\n"
      "below_stable_ratio = 1.5\n",
      "p.toml");
  ASSERT_FALSE(ratio.has_value());
  EXPECT_NE(ratio.error().detail.find("below_stable_ratio: must be between 0 and 1"),
            std::string::npos);
}

TEST(Policy, DefaultsApplyToRulesThatDoNotSetThem) {
  auto policy = parse_policy(
      "[defaults]\nmin_samples = 7\ncooldown_s = 5\nwindow_s = 2\n"
      "[[rules]]\nname = \"x\"\nsignal = \"error_rate\"\nabove = 0.1\n"
      "[[rules]]\nname = \"y\"\nsignal = \"error_rate\"\nabove = 0.1\nmin_samples = 3\n",
      "p.toml");
  ASSERT_TRUE(policy.has_value()) << policy.error().detail;
  EXPECT_EQ(policy->find("x")->min_samples, 7u);
  EXPECT_EQ(policy->find("x")->cooldown_ms, 5000);
  EXPECT_EQ(policy->find("x")->window_ms, 2000);
  EXPECT_EQ(policy->find("y")->min_samples, 3u);
}

}  // namespace
}  // namespace x0::autopilot
