// JSON for the API: incident round trip, and the request-body parsers' validation errors.
#include <gtest/gtest.h>

#include "incident/incident_json.h"
#include "test_support.h"

namespace x0::incident {
namespace {

using nlohmann::json;
using testing::kT0;

Incident sample() {
  Incident inc;
  inc.id = "INC-20261124-0003";
  inc.title = "latency p95 > 500 ms";
  inc.severity = Severity::kSev2;
  inc.status = Status::kMitigated;
  inc.detection = DetectionMethod::kAlert;
  inc.rule = "latency_p95_high";
  inc.target = "search";
  inc.affected_services = {"search", "suggest"};
  inc.impact = "slow search";
  inc.root_cause = "GC pauses";
  inc.lessons_learned = "watch heap";
  inc.action_items = {"tune GC"};
  inc.created_ms = kT0;
  inc.updated_ms = kT0 + 5000;
  inc.timeline = {{kT0 - 1500, TimelineKind::kFirstAnomalousSample, "autopilot", "", {}, 1},
                  {kT0, TimelineKind::kDetected, "autopilot", "p95 612 ms", {{"p95_ms", 612}}, 2},
                  {kT0 + 2500, TimelineKind::kMitigated, "autopilot", "", {}, 3}};
  return inc;
}

TEST(IncidentJson, RoundTripKeepsEveryField) {
  const Incident inc = sample();
  json j = inc;  // ADL hook
  EXPECT_EQ(j["severity"], "SEV-2");
  EXPECT_EQ(j["status"], "mitigated");
  EXPECT_EQ(j["detection_method"], "Alert");
  EXPECT_EQ(j["mttd_seconds"], 1.5);
  EXPECT_EQ(j["mttr_seconds"], 4.0);
  EXPECT_EQ(j["timeline"][1]["time"], "2026-11-24T15:00:00.000Z");
  EXPECT_EQ(j["timeline"][1]["fields"]["p95_ms"], 612);

  auto back = incident_from_json(json::parse(j.dump()));
  ASSERT_TRUE(back.has_value()) << back.error().detail;
  EXPECT_EQ(to_json(*back), j);
  EXPECT_EQ(back->timeline.size(), 3u);
  EXPECT_EQ(back->timeline[1].seq, 2);

  json summary = to_json(inc, false);
  EXPECT_FALSE(summary.contains("timeline"));
  EXPECT_TRUE(to_json(Incident{})["mttr_seconds"].is_null());
}

TEST(IncidentJson, OpenRequestParsesEveryField) {
  auto r = parse_open_request(R"({"title": "checkout down", "severity": "SEV-1",
      "services": ["checkout"], "impact": "all checkouts fail", "detection_method": "monitoring",
      "rule": "svc_down", "target": "checkout", "actor": "alertmanager",
      "first_anomalous_ms": 1000, "detected_ms": 2000, "fields": {"alert": "X0TTA6BL4HealthCheckFailed"}})");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->title, "checkout down");
  EXPECT_EQ(r->severity, Severity::kSev1);
  EXPECT_EQ(r->affected_services, std::vector<std::string>{"checkout"});
  EXPECT_EQ(r->detection, DetectionMethod::kMonitoring);
  EXPECT_EQ(r->first_anomalous_ms, 1000);
  EXPECT_EQ(r->detected_ms, 2000);
  EXPECT_EQ(r->fields["alert"], "X0TTA6BL4HealthCheckFailed");

  auto minimal = parse_open_request(R"({"title": "t", "severity": "sev3"})");
  ASSERT_TRUE(minimal.has_value());
  EXPECT_EQ(minimal->detection, DetectionMethod::kManual);
  EXPECT_EQ(minimal->actor, "operator");
}

void expect_bad(const Result<OpenRequest>& r, const std::string& words) {
  ASSERT_FALSE(r.has_value()) << "accepted; wanted an error about " << words;
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  EXPECT_NE(r.error().detail.find(words), std::string::npos) << r.error().detail;
  EXPECT_EQ(http_status(r.error()), 400);
}

TEST(IncidentJson, OpenRequestValidationErrorsNameTheField) {
  expect_bad(parse_open_request(R"({"severity": "SEV-1"})"), "title is required");
  expect_bad(parse_open_request(R"({"title": "", "severity": "SEV-1"})"),
             "title must not be empty");
  expect_bad(parse_open_request(R"({"title": "t", "severity": "SEV-9"})"),
             "unknown severity \"SEV-9\"");
  expect_bad(parse_open_request(R"({"title": "t"})"), "severity is required");
  expect_bad(parse_open_request(R"({"title": 5, "severity": "SEV-1"})"), "title must be a string");
  expect_bad(parse_open_request(R"({"title": "t", "severity": "SEV-1", "services": "a"})"),
             "services must be an array of strings");
  expect_bad(parse_open_request(R"({"title": "t", "severity": "SEV-1", "services": [1]})"),
             "services must be an array of strings");
  expect_bad(parse_open_request(R"({"title": "t", "severity": "SEV-1", "detected_ms": "now"})"),
             "detected_ms must be a non-negative integer");
  expect_bad(parse_open_request(R"({"title": "t", "severity": "SEV-1", "sevrity": 1})"),
             "unknown field \"sevrity\"");
  expect_bad(parse_open_request(R"({"title": "t", "severity": "SEV-1", "detection_method": "x"})"),
             "unknown detection_method");
  expect_bad(parse_open_request(R"({"title": "t", "severity": "SEV-1",
      "first_anomalous_ms": 5, "detected_ms": 4})"),
             "later than");
  expect_bad(parse_open_request("{\"title\": \"t\""), "not valid JSON");
  expect_bad(parse_open_request("[1, 2]"), "must be a JSON object");
  expect_bad(parse_open_request(""), "not valid JSON");
  expect_bad(parse_open_request(R"({"title": ")" + std::string(300, 'a') + R"(", "severity": 1})"),
             "longer than 200");
  expect_bad(parse_open_request(std::string(kMaxBodyBytes + 1, ' ')), "larger than");
}

TEST(IncidentJson, NoteRequests) {
  auto ack = parse_ack_request("");
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->actor, "operator");
  auto ack2 = parse_ack_request(R"({"actor": "alice"})");
  ASSERT_TRUE(ack2.has_value());
  EXPECT_EQ(ack2->actor, "alice");
  auto upd = parse_update_request(R"({"text": "rolled back, watching"})");
  ASSERT_TRUE(upd.has_value());
  EXPECT_EQ(upd->text, "rolled back, watching");
  auto missing = parse_update_request("{}");
  ASSERT_FALSE(missing.has_value());
  EXPECT_NE(missing.error().detail.find("text is required"), std::string::npos);
  EXPECT_FALSE(parse_update_request("").has_value());
  EXPECT_FALSE(parse_ack_request(R"({"text": 3})").has_value());
}

TEST(IncidentJson, ResolveRequest) {
  auto r = parse_resolve_request(R"({"root_cause": "bad deploy", "resolution": "rollback",
      "lessons_learned": "smaller canary", "action_items": ["a", "b"]})");
  ASSERT_TRUE(r.has_value()) << r.error().detail;
  EXPECT_EQ(r->action_items, (std::vector<std::string>{"a", "b"}));
  auto no_rc = parse_resolve_request(R"({"resolution": "rollback"})");
  ASSERT_FALSE(no_rc.has_value());
  EXPECT_NE(no_rc.error().detail.find("root_cause is required"), std::string::npos);
  auto bad_items = parse_resolve_request(
      R"({"root_cause": "x", "resolution": "y", "action_items": [{"a": 1}]})");
  ASSERT_FALSE(bad_items.has_value());
  EXPECT_NE(bad_items.error().detail.find("action_items"), std::string::npos);
}

TEST(IncidentJson, ErrorsMapToStatusCodes) {
  EXPECT_EQ(http_status({Errc::kNotFound, ""}), 404);
  EXPECT_EQ(http_status({Errc::kInvalidTransition, ""}), 409);
  EXPECT_EQ(http_status({Errc::kStoreFull, ""}), 507);
  EXPECT_EQ(http_status({Errc::kStoreUnavailable, ""}), 503);
  EXPECT_EQ(http_status({Errc::kStoreCorrupt, ""}), 500);
  EXPECT_EQ(error_json({Errc::kNotFound, "no incident X"}),
            (json{{"error", "not_found"}, {"detail", "no incident X"}}));
  EXPECT_EQ(open_counts_json({1, 2, 0, 0})["total"], 3);
}

TEST(IncidentJson, ListFilterFromQuery) {
  auto all = parse_list_filter(std::nullopt, std::nullopt, std::nullopt);
  ASSERT_TRUE(all.has_value());
  EXPECT_FALSE(all->status.has_value());
  EXPECT_EQ(all->limit, 100);
  auto f = parse_list_filter("acknowledged", "sev1", "20");
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->status, Status::kAcknowledged);
  EXPECT_EQ(f->severity, Severity::kSev1);
  EXPECT_EQ(f->limit, 20);
  EXPECT_TRUE(parse_list_filter("unresolved", std::nullopt, std::nullopt)->unresolved_only);
  EXPECT_FALSE(parse_list_filter("closed", std::nullopt, std::nullopt).has_value());
  EXPECT_FALSE(parse_list_filter(std::nullopt, "SEV-7", std::nullopt).has_value());
  for (const char* bad_limit : {"0", "1001", "-1", "ten", "", "99999"})
    EXPECT_FALSE(parse_list_filter(std::nullopt, std::nullopt, bad_limit).has_value()) << bad_limit;
}

TEST(IncidentJson, FromJsonRejectsBadShapes) {
  EXPECT_FALSE(incident_from_json(json::array()).has_value());
  json j = to_json(sample());
  j["severity"] = "SEV-0";
  EXPECT_FALSE(incident_from_json(j).has_value());
  j = to_json(sample());
  j["timeline"][0]["kind"] = "exploded";
  EXPECT_FALSE(incident_from_json(j).has_value());
  j = to_json(sample());
  j["timeline"] = "none";
  EXPECT_FALSE(incident_from_json(j).has_value());
}

}  // namespace
}  // namespace x0::incident
