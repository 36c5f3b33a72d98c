// JSON: start-body parsing and its errors, reason bodies, release round trips.
#include "release/release_json.h"

#include <gtest/gtest.h>

#include "release_test_util.h"

namespace x0::release {
namespace {

using testing::canary_spec;
using testing::ep;

std::string error_of(std::string_view body) {
  auto r = parse_start_body(body);
  if (r) return "(accepted)";
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  return r.error().detail;
}

TEST(StartBody, CanaryFromTheIssueExample) {
  auto spec = parse_start_body(
      R"({"strategy":"canary","candidate":["127.0.0.1:9003"],"steps":[5,25,50,100],)"
      R"("step_interval_s":60,"header":"X-Canary"})");
  ASSERT_TRUE(spec) << spec.error().detail;
  EXPECT_EQ(spec->strategy, Strategy::kCanary);
  EXPECT_EQ(spec->candidate, std::vector<config::Endpoint>{ep("127.0.0.1", 9003)});
  EXPECT_EQ(spec->steps, (std::vector<int>{5, 25, 50, 100}));
  EXPECT_EQ(spec->step_interval_ms, 60000);
  EXPECT_EQ(spec->header_name, "X-Canary");
  EXPECT_EQ(spec->header_value, "always");
}

TEST(StartBody, ReleaseOwnAnalysisWindow) {
  auto spec = parse_start_body(
      R"({"strategy":"canary","candidate":["127.0.0.1:9003"],"analysis_window_s":2})");
  ASSERT_TRUE(spec) << spec.error().detail;
  EXPECT_EQ(spec->analysis_window_ms, 2000);
  EXPECT_EQ(parse_start_body(R"({"strategy":"canary","candidate":["h:1"]})")->analysis_window_ms, 0);
  EXPECT_NE(error_of(R"({"strategy":"canary","candidate":["h:1"],"analysis_window_s":0})"), "(accepted)");
  EXPECT_NE(error_of(R"({"strategy":"canary","candidate":["h:1"],"analysis_window_s":"1"})"), "(accepted)");
}

TEST(StartBody, CanaryDefaults) {
  auto spec = parse_start_body(R"({"strategy":"canary","candidate":["[::1]:9003","h:1"]})");
  ASSERT_TRUE(spec) << spec.error().detail;
  EXPECT_EQ(spec->steps, (std::vector<int>{5, 25, 50, 100}));
  EXPECT_EQ(spec->step_interval_ms, 60000);
  EXPECT_EQ(spec->header_name, "");  // canary: no override unless asked
  EXPECT_EQ(spec->candidate[0], ep("::1", 9003));
}

TEST(StartBody, BlueGreenWithSmokeAndDefaults) {
  auto spec = parse_start_body(R"({"strategy":"blue_green","candidate":["127.0.0.1:9005"],)"
                               R"("smoke":{"path":"/health","expect_status":200}})");
  ASSERT_TRUE(spec) << spec.error().detail;
  EXPECT_EQ(spec->strategy, Strategy::kBlueGreen);
  EXPECT_TRUE(spec->steps.empty());
  EXPECT_EQ(spec->header_name, "X-Canary");
  EXPECT_EQ(spec->smoke, (SmokeCheck{"/health", 200}));
  auto ms = parse_start_body(
      R"({"strategy":"blue_green","candidate":["a:1"],"step_interval_ms":250,"header":"X-Blue",)"
      R"("header_value":"yes","smoke":{"path":"/ready"}})");
  ASSERT_TRUE(ms) << ms.error().detail;
  EXPECT_EQ(ms->step_interval_ms, 250);
  EXPECT_EQ(ms->header_name, "X-Blue");
  EXPECT_EQ(ms->header_value, "yes");
  EXPECT_EQ(ms->smoke, (SmokeCheck{"/ready", 200}));
  auto timed = parse_start_body(R"({"strategy":"blue_green","candidate":["a:1"],"smoke":{"timeout_ms":500}})");
  ASSERT_TRUE(timed) << timed.error().detail;
  EXPECT_EQ(timed->smoke.timeout_ms, 500);
  EXPECT_FALSE(parse_start_body(R"({"strategy":"blue_green","candidate":["a:1"],"smoke":{"timeout_ms":5}})"));
}

TEST(StartBody, ClearErrors) {
  EXPECT_EQ(error_of("{"), "body: not valid JSON");
  EXPECT_EQ(error_of("[]"), "body: expected a JSON object");
  EXPECT_EQ(error_of(R"({"candidate":["a:1"]})"), "strategy: missing");
  EXPECT_EQ(error_of(R"({"strategy":"rolling","candidate":["a:1"]})"),
            "strategy: expected \"canary\" or \"blue_green\", got \"rolling\"");
  EXPECT_EQ(error_of(R"({"strategy":"canary"})"), "candidate: missing");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":[]})"),
            "candidate: at least one endpoint is required");
  EXPECT_NE(error_of(R"({"strategy":"canary","candidate":["nohost"]})").find("candidate: nohost"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":"a:1"})"),
            "candidate: expected a list of \"host:port\"");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"steps":[50,25]})"),
            "steps: weights must be strictly increasing");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"steps":[5,101]})"),
            "steps: each weight must be an integer in 1..100");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"steps":[5.5]})"),
            "steps: each weight must be an integer in 1..100");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"step_interval_s":0})"),
            "step_interval_s: must be within 1..604800");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"step_interval_s":"60"})"),
            "step_interval_s: expected an integer");
  EXPECT_EQ(
      error_of(
          R"({"strategy":"canary","candidate":["a:1"],"step_interval_s":1,"step_interval_ms":1})"),
      "step_interval_s, step_interval_ms: give one, not both");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"stepz":[5]})"),
            "stepz: unknown field");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"smoke":{}})"),
            "smoke: only blue_green releases run a smoke check");
  EXPECT_EQ(error_of(R"({"strategy":"blue_green","candidate":["a:1"],"steps":[5]})"),
            "steps: blue_green releases have no weight steps");
  EXPECT_EQ(error_of(R"({"strategy":"blue_green","candidate":["a:1"],"smoke":{"expect":200}})"),
            "smoke.expect: unknown field");
  EXPECT_EQ(
      error_of(R"({"strategy":"blue_green","candidate":["a:1"],"smoke":{"expect_status":99}})"),
      "smoke.expect_status: must be within 100..599");
  EXPECT_EQ(error_of(R"({"strategy":"canary","candidate":["a:1"],"header":"Bad Header"})"),
            "header: not a valid header name");
}

TEST(ReasonBody, OptionalReason) {
  EXPECT_EQ(parse_reason_body("").value(), "");
  EXPECT_EQ(parse_reason_body(" \n").value(), "");
  EXPECT_EQ(parse_reason_body("{}").value(), "");
  EXPECT_EQ(parse_reason_body(R"({"reason":"error_rate: 12%"})").value(), "error_rate: 12%");
  EXPECT_EQ(parse_reason_body(R"({"reason":5})").error().detail, "reason: expected a string");
  EXPECT_EQ(parse_reason_body(R"({"why":"x"})").error().detail, "why: unknown field");
  EXPECT_EQ(parse_reason_body("nope").error().detail, "body: not valid JSON");
  EXPECT_FALSE(parse_reason_body(R"({"reason":")" + std::string(513, 'x') + "\"}"));
}

Release sample_release() {
  Release r;
  r.id = "api-7";
  r.service = "api";
  r.spec = canary_spec();
  r.step = 2;
  r.state = State::kPaused;
  r.created_ms = 1000;
  r.updated_ms = 3000;
  r.step_started_ms = 2500;
  r.reason = "looks odd";
  r.history = {{1000, State::kRunning, State::kRunning, 5, "operator:ann", "started canary"},
               {3000, State::kRunning, State::kPaused, 50, "operator:bob", "looks odd"}};
  return r;
}

TEST(ReleaseJson, RoundTripCanaryAndBlueGreen) {
  Release r = sample_release();
  r.spec.analysis_window_ms = 1000;
  auto back = release_from_json(to_json(r));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, r);

  Release bg = r;
  bg.spec = testing::blue_green_spec();
  bg.step = 0;
  bg.state = State::kPromoted;
  auto back_bg = release_from_json(nlohmann::json::parse(to_json(bg).dump()));
  ASSERT_TRUE(back_bg) << back_bg.error().detail;
  EXPECT_EQ(*back_bg, bg);
}

TEST(ReleaseJson, ApiShape) {
  auto j = to_json(sample_release());
  EXPECT_EQ(j["state"], "paused");
  EXPECT_EQ(j["strategy"], "canary");
  EXPECT_EQ(j["weight_percent"], 50);
  EXPECT_EQ(j["candidate"][0], "127.0.0.1:9003");
  EXPECT_EQ(j["history"].size(), 2u);
  EXPECT_EQ(j["history"][1]["actor"], "operator:bob");
  EXPECT_FALSE(j.contains("smoke"));
  auto list = to_json(std::vector<Release>{sample_release()});
  ASSERT_EQ(list["releases"].size(), 1u);
  EXPECT_FALSE(list["releases"][0].contains("history"));
}

TEST(ReleaseJson, StrictDecodeRefusesDamage) {
  auto good = to_json(sample_release());
  for (const char* key : {"id", "state", "candidate", "steps", "step", "history", "adopted"}) {
    auto j = good;
    j.erase(key);
    EXPECT_FALSE(release_from_json(j)) << key;
  }
  auto j = good;
  j["step"] = 4;  // past the last step
  EXPECT_FALSE(release_from_json(j));
  j = good;
  j["state"] = "finished";
  EXPECT_FALSE(release_from_json(j));
  j = good;
  j["adopted"] = true;  // only a promoted release can be adopted
  EXPECT_FALSE(release_from_json(j));
  j = good;
  j["history"][0]["from"] = 3;
  EXPECT_FALSE(release_from_json(j));
}

}  // namespace
}  // namespace x0::release
