// The /mesh/v1/ bodies: every message round-trips, and each malformed or oversized body is
// refused with kBadRequest and a sentence naming the field.
#include "mesh/gossip_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace x0::mesh {
namespace {

std::vector<Update> sample_updates() {
  return {Update{"node-a.mesh", "10.0.0.1:7946", PeerState::kUp, 3, ""},
          Update{"node-b", "[::1]:7946", PeerState::kSuspect, 0, "node-a.mesh"},
          Update{"node-c", "c.example:1", PeerState::kDown, kMaxIncarnation, ""},
          Update{"node-d", "d:65535", PeerState::kLeft, 9, ""}};
}

template <class T>
std::string error_of(const Result<T>& r) {
  if (r) return "(accepted)";
  EXPECT_EQ(r.error().code, Errc::kBadRequest);
  return r.error().detail;
}

TEST(GossipCodec, PingRoundTrips) {
  Ping m{"node-a", 42, sample_updates(), {{"api", true, 2}, {"web_1", false, 0}}};
  auto back = decode_ping(encode(m));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, m);
}

TEST(GossipCodec, AckRoundTripsWithMaximalSeqAndNoUpdates) {
  Ack m{"node-b", UINT64_MAX, {}, {}};
  auto back = decode_ack(encode(m));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, m);
}

TEST(GossipCodec, PingReqRoundTrips) {
  PingReq m{"node-a", 7, "node-c", "10.0.0.3:7946", 500, sample_updates()};
  auto back = decode_ping_req(encode(m));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, m);
}

TEST(GossipCodec, PingReqResultRoundTripsAckAndNack) {
  for (bool ack : {true, false}) {
    PingReqResult m{"node-b", 7, ack, sample_updates()};
    auto back = decode_ping_req_result(encode(m));
    ASSERT_TRUE(back) << back.error().detail;
    EXPECT_EQ(*back, m);
  }
}

TEST(GossipCodec, JoinRoundTripsAFullTable) {
  Join m{"node-e", "10.0.0.5:7946", {}};
  for (int i = 0; i < 1024; ++i)
    m.members.push_back(Update{std::string("n").append(std::to_string(i)), "10.1.0.1:7946",
                               PeerState::kUp, static_cast<uint64_t>(i), ""});
  auto back = decode_join(encode(m));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, m);
}

TEST(GossipCodec, IgnoresUnknownKeysForNewerPeers) {
  auto m = decode_ping(R"({"from":"a","seq":1,"updates":[],"version":2,)"
                       R"("extra":{"x":[1,2]}})");
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->from, "a");
}

TEST(GossipCodec, RefusesWhatIsNotAnObject) {
  EXPECT_EQ(error_of(decode_ping("")), "body: not JSON");
  EXPECT_EQ(error_of(decode_ping("{\"from\":")), "body: not JSON");
  EXPECT_EQ(error_of(decode_ping("[1,2]")), "body: expected a JSON object");
  EXPECT_EQ(error_of(decode_join("\"x\"")), "body: expected a JSON object");
  EXPECT_EQ(error_of(decode_ack("{\"from\":\"\xff\",\"seq\":1,\"updates\":[]}")), "body: not JSON");
}

TEST(GossipCodec, RefusesMissingAndMistypedFields) {
  EXPECT_EQ(error_of(decode_ping(R"({"seq":1,"updates":[]})")), "from: missing");
  EXPECT_EQ(error_of(decode_ping(R"({"from":1,"seq":1,"updates":[]})")), "from: expected a string");
  EXPECT_EQ(error_of(decode_ping(R"({"from":"","seq":1,"updates":[]})")), "from: empty");
  EXPECT_EQ(error_of(decode_ping(R"({"from":"a","updates":[]})")), "seq: missing");
  for (const char* seq : {"-1", "1.5", "\"1\"", "true", "null", "18446744073709551616"})
    EXPECT_EQ(error_of(decode_ping(std::string(R"({"from":"a","updates":[],"seq":)") + seq + "}")),
              "seq: expected a non-negative integer")
        << seq;
  EXPECT_EQ(error_of(decode_ping(R"({"from":"a","seq":1})")), "updates: missing");
  EXPECT_EQ(error_of(decode_ping(R"({"from":"a","seq":1,"updates":{}})")),
            "updates: expected a list of updates");
  EXPECT_EQ(error_of(decode_ping_req_result(R"({"from":"a","seq":1,"updates":[]})")),
            "ack: missing");
  EXPECT_EQ(error_of(decode_ping_req_result(R"({"from":"a","seq":1,"updates":[],"ack":1})")),
            "ack: expected true or false");
  EXPECT_EQ(error_of(decode_join(R"({"from":"a","members":[]})")), "address: missing");
  EXPECT_EQ(error_of(decode_join(R"({"from":"a","address":"b:1"})")), "members: missing");
}

TEST(GossipCodec, RefusesBadPingReqTargetsAndTimeouts) {
  const std::string head = R"({"from":"a","seq":1,"updates":[],)";
  EXPECT_EQ(error_of(decode_ping_req(head + R"("target_address":"b:1","timeout_ms":5})")),
            "target: missing");
  EXPECT_EQ(error_of(decode_ping_req(head + R"("target":"b","timeout_ms":5})")),
            "target_address: missing");
  EXPECT_EQ(error_of(decode_ping_req(head + R"("target":"b","target_address":"b:1"})")),
            "timeout_ms: missing");
  EXPECT_EQ(
      error_of(decode_ping_req(head + R"("target":"b","target_address":"b:1","timeout_ms":0})")),
      "timeout_ms: must be at least 1");
  EXPECT_EQ(error_of(decode_ping_req(head +
                                     R"("target":"b","target_address":"b:1","timeout_ms":60001})")),
            "timeout_ms: larger than 60000");
}

std::string ping_with(const std::string& update) {
  return R"({"from":"a","seq":1,"updates":[)" + update + "]}";
}

TEST(GossipCodec, RefusesBadUpdates) {
  EXPECT_EQ(error_of(decode_ping(ping_with("1"))), "updates[0]: expected an object");
  EXPECT_EQ(error_of(decode_ping(ping_with(R"({"address":"b:1","state":"up","incarnation":0})"))),
            "updates[0]: id: missing");
  EXPECT_EQ(error_of(decode_ping(
                ping_with(R"({"id":"b","address":"b:1","state":"dead","incarnation":0})"))),
            "updates[0]: state: unknown state \"dead\"");
  EXPECT_EQ(error_of(decode_ping(
                ping_with(R"({"id":"b","address":"b:1","state":"UP","incarnation":0})"))),
            "updates[0]: state: unknown state \"UP\"");
  EXPECT_EQ(error_of(decode_ping(ping_with(R"({"id":"b","address":"b:1","state":"up"})"))),
            "updates[0]: incarnation: missing");
  EXPECT_EQ(error_of(decode_ping(ping_with(
                R"({"id":"b","address":"b:1","state":"up","incarnation":9007199254740992})"))),
            "updates[0]: incarnation: larger than 9007199254740991");
  EXPECT_EQ(error_of(decode_ping(ping_with(
                R"({"id":"b","address":"b:1","state":"suspect","incarnation":0,"from":7})"))),
            "updates[0]: from: expected a string");
}

TEST(GossipCodec, RefusesOverlongStrings) {
  const std::string id254(254, 'a');
  EXPECT_EQ(error_of(decode_ping(R"({"from":")" + id254 + R"(","seq":1,"updates":[]})")),
            "from: longer than 253 bytes");
  EXPECT_EQ(error_of(decode_ping(ping_with(R"({"id":")" + id254 +
                                           R"(","address":"b:1","state":"up","incarnation":0})"))),
            "updates[0]: id: longer than 253 bytes");
  const std::string address(kMaxAddressLength + 1, 'b');
  EXPECT_EQ(error_of(decode_ping(ping_with(R"({"id":"b","address":")" + address +
                                           R"(","state":"up","incarnation":0})"))),
            "updates[0]: address: longer than 261 bytes");
  // Exactly at the limits is fine.
  auto ok = decode_ping(ping_with(R"({"id":")" + std::string(253, 'a') + R"(","address":")" +
                                  std::string(kMaxAddressLength, 'b') +
                                  R"(","state":"up","incarnation":0})"));
  EXPECT_TRUE(ok) << ok.error().detail;
}

TEST(GossipCodec, RefusesTooManyUpdatesAndTooLargeBodies) {
  Ping m{"a", 1, {}, {}};
  for (int i = 0; i < 1025; ++i) m.updates.push_back(Update{"b", "b:1", PeerState::kUp, 0, ""});
  EXPECT_EQ(error_of(decode_ping(encode(m))), "updates: more than 1024 updates");

  std::string huge =
      R"({"from":"a","seq":1,"updates":[],"pad":")" + std::string(kMaxBodyBytes, 'x') + "\"}";
  EXPECT_EQ(error_of(decode_ping(huge)), "body: larger than 1 MiB");
  EXPECT_EQ(error_of(decode_join(huge)), "body: larger than 1 MiB");
}

TEST(GossipCodec, ServicesAreOptionalAndChecked) {
  auto none = decode_ping(R"({"from":"a","seq":1,"updates":[]})");
  ASSERT_TRUE(none) << none.error().detail;
  EXPECT_TRUE(none->services.empty());  // an older peer, or one without services
  auto with = [](std::string services) {
    return decode_ack(R"({"from":"a","seq":1,"updates":[],"services":)" + services + "}");
  };
  EXPECT_NE(error_of(with(R"("api")")).find("services: expected a list"), std::string::npos);
  EXPECT_NE(error_of(with(R"([{"name":"API","healthy":true,"healthy_endpoints":1}])")).find(
                "[a-z0-9_-]"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"([{"name":"api","healthy":"yes","healthy_endpoints":1}])")).find(
                "healthy"),
            std::string::npos);
  EXPECT_NE(error_of(with(R"([{"name":"api","healthy":true}])")).find("healthy_endpoints"),
            std::string::npos);
  std::string many = "[";
  for (size_t i = 0; i <= kMaxServicesPerNode; ++i)
    many += std::string(i ? "," : "") + R"({"name":"s)" + std::to_string(i) +
            R"(","healthy":true,"healthy_endpoints":1})";
  EXPECT_NE(error_of(with(many + "]")).find("more than"), std::string::npos);
}

TEST(GossipCodec, MeshFailoverAndRelayFlagsRoundTripAndAreOptional) {
  Ack ack;
  ack.from = "b";
  ack.seq = 7;
  ack.services = {{"shop", true, 2, true, false}, {"cart", false, 0, true, true}, {"api", true, 1}};
  auto back = decode_ack(encode(ack));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(*back, ack);
  EXPECT_EQ(encode(ack).find("\"relays\":false"), std::string::npos);  // absent when false
  auto bad = decode_ack(
      R"({"from":"a","seq":1,"updates":[],"services":[{"name":"api","healthy":true,"healthy_endpoints":1,"relays":1}]})");
  EXPECT_NE(error_of(bad).find("relays: expected true or false"), std::string::npos);
}

TEST(GossipCodec, SurvivesDeepNesting) {
  std::string deep = R"({"from":"a","seq":1,"updates":[],"x":)" + std::string(200'000, '[') +
                     std::string(200'000, ']') + "}";
  EXPECT_TRUE(decode_ping(deep));  // unknown key: ignored, but parsed without a stack overflow
}

TEST(GossipCodec, EncodesEmptyFromAsAbsent) {
  const std::string body = encode(Ping{"a", 1, {Update{"b", "b:1", PeerState::kUp, 0, ""}}, {}});
  EXPECT_EQ(body.find("\"from\":\"\""), std::string::npos);
  EXPECT_EQ(
      body,
      R"({"from":"a","seq":1,"updates":[{"address":"b:1","id":"b","incarnation":0,"state":"up"}]})");
}

}  // namespace
}  // namespace x0::mesh
