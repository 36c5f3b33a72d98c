// Release model: spec validation and the traffic split each state implies.
#include <gtest/gtest.h>

#include "release/release.h"
#include "release_test_util.h"

namespace x0::release {
namespace {

using testing::blue_green_spec;
using testing::canary_spec;
using testing::ep;

TEST(ReleaseSpec, ValidCanaryAndBlueGreenPass) {
  EXPECT_TRUE(validate_spec(canary_spec()).has_value());
  EXPECT_TRUE(validate_spec(blue_green_spec()).has_value());
  EXPECT_TRUE(validate_spec(canary_spec({100})).has_value());
}

TEST(ReleaseSpec, RefusesBadSpecsNamingTheField) {
  struct Case {
    ReleaseSpec spec;
    std::string field;
  };
  std::vector<Case> cases;
  auto no_candidate = canary_spec();
  no_candidate.candidate.clear();
  cases.push_back({no_candidate, "candidate"});
  auto dup = canary_spec();
  dup.candidate = {ep("a", 1), ep("a", 1)};
  cases.push_back({dup, "duplicate"});
  cases.push_back({canary_spec({}), "steps"});
  cases.push_back({canary_spec({5, 5, 100}), "increasing"});
  cases.push_back({canary_spec({50, 25}), "increasing"});
  cases.push_back({canary_spec({0, 50}), "1..100"});
  cases.push_back({canary_spec({50, 101}), "1..100"});
  auto interval = canary_spec();
  interval.step_interval_ms = 0;
  cases.push_back({interval, "step_interval"});
  auto header = canary_spec();
  header.header_name = "X Canary";
  cases.push_back({header, "header"});
  auto value = canary_spec();
  value.header_value = "a\r\nb";
  cases.push_back({value, "header_value"});
  auto bg_steps = blue_green_spec();
  bg_steps.steps = {50};
  cases.push_back({bg_steps, "steps"});
  auto bg_header = blue_green_spec();
  bg_header.header_name.clear();
  cases.push_back({bg_header, "header"});
  auto bg_path = blue_green_spec();
  bg_path.smoke.path = "health";
  cases.push_back({bg_path, "smoke.path"});
  auto bg_status = blue_green_spec();
  bg_status.smoke.expect_status = 600;
  cases.push_back({bg_status, "smoke.expect_status"});
  for (const auto& c : cases) {
    auto r = validate_spec(c.spec);
    ASSERT_FALSE(r.has_value()) << c.field;
    EXPECT_EQ(r.error().code, Errc::kBadRequest);
    EXPECT_NE(r.error().detail.find(c.field), std::string::npos) << r.error().detail;
  }
}

TEST(ReleaseSpec, ServiceNames) {
  EXPECT_TRUE(valid_service_name("api-v2_x"));
  EXPECT_FALSE(valid_service_name(""));
  EXPECT_FALSE(valid_service_name("Api"));
  EXPECT_FALSE(valid_service_name("a/b"));
  EXPECT_FALSE(valid_service_name(std::string(65, 'a')));
}

TEST(ReleaseRoutingFor, FollowsStateAndStep) {
  Release r;
  r.service = "api";
  r.spec = canary_spec();
  r.step = 1;
  auto rr = routing_for(r);
  ASSERT_TRUE(rr);
  EXPECT_EQ(rr->weight_bp, 2500);
  EXPECT_EQ(rr->candidate, r.spec.candidate);
  EXPECT_EQ(rr->header_name, "X-Canary");
  EXPECT_EQ(rr->header_value, "always");
  EXPECT_FALSE(rr->candidate_only);

  r.state = State::kPaused;
  EXPECT_EQ(routing_for(r)->weight_bp, 2500);
  r.state = State::kPromoted;
  EXPECT_TRUE(routing_for(r)->candidate_only);
  EXPECT_EQ(routing_for(r)->weight_bp, 10000);
  r.adopted = true;
  EXPECT_FALSE(routing_for(r));
  r.adopted = false;
  r.state = State::kRolledBack;
  EXPECT_FALSE(routing_for(r));
  r.state = State::kAborted;
  EXPECT_FALSE(routing_for(r));

  Release bg;
  bg.spec = blue_green_spec();
  EXPECT_EQ(routing_for(bg)->weight_bp, 0);
  EXPECT_FALSE(routing_for(bg)->candidate_only);
}

TEST(ReleaseNames, RoundTrip) {
  for (State s :
       {State::kRunning, State::kPaused, State::kPromoted, State::kRolledBack, State::kAborted})
    EXPECT_EQ(parse_state(to_string(s)), s);
  EXPECT_EQ(parse_strategy("blue_green"), Strategy::kBlueGreen);
  EXPECT_EQ(parse_strategy("canary"), Strategy::kCanary);
  EXPECT_FALSE(parse_strategy("Canary"));
  EXPECT_FALSE(parse_state("done"));
}

}  // namespace
}  // namespace x0::release
