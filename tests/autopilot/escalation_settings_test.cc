// The policy file's [escalation] table: SPEC section 6 defaults when absent, overrides per key,
// the shipped file spelling out the same defaults, and mistakes refused with file:line:key.
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "autopilot/policy.h"

namespace x0::autopilot {
namespace {

constexpr int64_t kMin = 60'000, kHour = 60 * kMin, kDay = 24 * kHour;
const std::string kRule = "[[rules]]\nname = \"x\"\nsignal = \"error_rate\"\nabove = 0.1\n";

void expect_spec_defaults(const EscalationSettings& e) {
  EXPECT_EQ(e.response_ms, (std::array<int64_t, 4>{15 * kMin, kHour, 4 * kHour, kDay}));
  EXPECT_EQ(e.resolution_ms, (std::array<int64_t, 4>{4 * kHour, kDay, 3 * kDay, 7 * kDay}));
  EXPECT_EQ(e.sev1_team_lead_after_ms, 0);
  EXPECT_EQ(e.sev1_cto_after_ms, kHour);
  EXPECT_EQ(e.sev2_team_lead_after_ms, kHour);
  EXPECT_EQ(e.update_every_ms, (std::array<int64_t, 4>{30 * kMin, kHour, 0, 0}));
}

TEST(EscalationSettings, AbsentTableMeansSpecDefaults) {
  auto policy = parse_policy(kRule, "p.toml");
  ASSERT_TRUE(policy.has_value()) << policy.error().detail;
  expect_spec_defaults(policy->escalation);
}

TEST(EscalationSettings, ShippedFileSpellsOutTheSpecDefaults) {
  auto file = load_policy(X0_POLICY_DIR "/default.toml");
  ASSERT_TRUE(file.has_value()) << file.error().detail;
  expect_spec_defaults(file->escalation);
  auto embedded = parse_policy(default_policy_text(), "<embedded>");
  ASSERT_TRUE(embedded.has_value()) << embedded.error().detail;
  expect_spec_defaults(embedded->escalation);
}

TEST(EscalationSettings, OverridesReplaceOnlyTheKeysGiven) {
  auto policy = parse_policy(kRule +
                                 "[escalation]\n"
                                 "response_s = [1, 2.5, 3, 4]\n"
                                 "sev1_cto_after_s = 7200\n"
                                 "update_every_s = [60, 0, 0, 600]\n",
                             "p.toml");
  ASSERT_TRUE(policy.has_value()) << policy.error().detail;
  const EscalationSettings& e = policy->escalation;
  EXPECT_EQ(e.response_ms, (std::array<int64_t, 4>{1000, 2500, 3000, 4000}));
  EXPECT_EQ(e.sev1_cto_after_ms, 2 * kHour);
  EXPECT_EQ(e.update_every_ms, (std::array<int64_t, 4>{kMin, 0, 0, 10 * kMin}));
  // untouched keys keep SPEC values
  EXPECT_EQ(e.resolution_ms, (std::array<int64_t, 4>{4 * kHour, kDay, 3 * kDay, 7 * kDay}));
  EXPECT_EQ(e.sev1_team_lead_after_ms, 0);
  EXPECT_EQ(e.sev2_team_lead_after_ms, kHour);
}

TEST(EscalationSettings, BadValuesNameFileLineAndKey) {
  auto policy = parse_policy(kRule +
                                 "[escalation]\n"              // line 5
                                 "response_s = [900, 3600]\n"  // 6: two values
                                 "resolution_s = [0, 1, 2, 3]\n"
                                 "sev2_team_lead_after_s = -5\n"
                                 "update_every_s = [1, \"often\", 0, 0]\n"
                                 "escalate_after = 3\n",       // 10
                             "p.toml");
  ASSERT_FALSE(policy.has_value());
  const std::string& d = policy.error().detail;
  EXPECT_NE(d.find("p.toml:6: [escalation] response_s: expected 4 numbers"), std::string::npos) << d;
  EXPECT_NE(d.find("p.toml:7: [escalation] resolution_s: SEV-1: expected a positive number"),
            std::string::npos) << d;
  EXPECT_NE(d.find("p.toml:8: [escalation] sev2_team_lead_after_s: must not be negative"),
            std::string::npos) << d;
  EXPECT_NE(d.find("p.toml:9: [escalation] update_every_s: SEV-2: expected a non-negative"),
            std::string::npos) << d;
  EXPECT_NE(d.find("p.toml:10: [escalation] escalate_after: unknown key"), std::string::npos) << d;
}

TEST(EscalationSettings, InconsistentTimersAreRefused) {
  auto policy = parse_policy(kRule +
                                 "[escalation]\n"
                                 "sev1_team_lead_after_s = 600\n"
                                 "sev1_cto_after_s = 300\n"
                                 "resolution_s = [60, 86400, 259200, 604800]\n",
                             "p.toml");
  ASSERT_FALSE(policy.has_value());
  const std::string& d = policy.error().detail;
  EXPECT_NE(d.find("p.toml:7: [escalation] sev1_cto_after_s: must not come before"), std::string::npos) << d;
  EXPECT_NE(d.find("p.toml:8: [escalation] resolution_s: SEV-1: must not be shorter than response_s"),
            std::string::npos) << d;
}

TEST(EscalationSettings, EscalationMustBeATable) {
  auto policy = parse_policy("escalation = 3\n" + kRule, "p.toml");
  ASSERT_FALSE(policy.has_value());
  EXPECT_NE(policy.error().detail.find("p.toml:1: [] escalation: expected a table"), std::string::npos)
      << policy.error().detail;
}

TEST(RuleActionKeys, EjectForAndExecTimeoutParseAndMustBePositive) {
  auto policy = parse_policy(kRule + "action = \"eject_endpoint\"\neject_for_s = 12.5\nexec_timeout_s = 0.25\n",
                             "p.toml");
  ASSERT_TRUE(policy.has_value()) << policy.error().detail;
  EXPECT_EQ(policy->rules[0].action, Action::kEjectEndpoint);
  EXPECT_EQ(policy->rules[0].eject_for_ms, 12500);
  EXPECT_EQ(policy->rules[0].exec_timeout_ms, 250);
  auto defaults = parse_policy(kRule, "p.toml");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->rules[0].eject_for_ms, 30000);

  auto bad = parse_policy(kRule + "eject_for_s = 0\nexec_timeout_s = 0\n", "p.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().detail.find("p.toml:5: [rules.0] eject_for_s: must be positive"), std::string::npos)
      << bad.error().detail;
  EXPECT_NE(bad.error().detail.find("p.toml:6: [rules.0] exec_timeout_s: must be positive"),
            std::string::npos) << bad.error().detail;
}

}  // namespace
}  // namespace x0::autopilot
