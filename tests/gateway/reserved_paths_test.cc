// The operator endpoint table: every path of SPEC section 2 is the node's, and nothing that only
// starts like one is (those belong to the services on the data port).
#include "gateway/reserved_paths.h"

#include <gtest/gtest.h>

#include <string>

namespace x0::gateway {
namespace {

using E = OperatorEndpoint;

// The data plane's view with one configured service, "shop".
E on_data_port(std::string_view path) {
  return reserved_endpoint(path, [](std::string_view name) { return name == "shop"; });
}

TEST(ReservedPaths, EverySpecEndpointIsReserved) {
  const std::pair<const char*, E> spec[] = {
      {"/health", E::kHealth},
      {"/health/live", E::kHealthLive},
      {"/health/ready", E::kHealthReady},
      {"/health/startup", E::kHealthStartup},
      {"/metrics", E::kMetrics},
      {"/api/v1/status", E::kStatus},
      {"/security/pqc/status", E::kPqcStatus},
      {"/mesh/peers", E::kMeshPeers},
      {"/mesh/status", E::kMeshStatus},
      {"/admin/cache/clear", E::kCacheAdmin},
      {"/admin/cache/verify", E::kCacheAdmin},
      {"/admin/cache/snapshot", E::kCacheAdmin},
      {"/admin/cache/restore", E::kCacheAdmin},
      {"/admin/cache/warm", E::kCacheAdmin},
      {"/admin/data/verify", E::kDataVerify},
      {"/admin/isolate", E::kIsolate},
      {"/incidents", E::kIncidents},
      {"/incidents/INC-20261124-0001", E::kIncidents},
      {"/incidents/INC-20261124-12345", E::kIncidents},
      {"/incidents/INC-20261124-0001/report", E::kIncidents},
      {"/incidents/INC-20261124-0001/ack", E::kIncidents},
      {"/incidents/INC-20261124-0001/update", E::kIncidents},
      {"/incidents/INC-20261124-0001/resolve", E::kIncidents},
      {"/releases", E::kReleases},
      {"/releases/shop", E::kReleases},
      {"/releases/shop/start", E::kReleases},
      {"/releases/shop/promote", E::kReleases},
      {"/releases/shop/rollback", E::kReleases},
      {"/releases/shop/pause", E::kReleases},
      {"/releases/shop/resume", E::kReleases},
      {"/releases/shop/abort", E::kReleases},
      {"/alerts/alertmanager", E::kAlertmanager},
      {"/status", E::kStatusPage},
      {"/status.json", E::kStatusPage},
  };
  for (const auto& [path, endpoint] : spec) {
    EXPECT_EQ(on_data_port(path), endpoint) << path;
  }
}

TEST(ReservedPaths, PathsThatOnlyStartLikeAnEndpointBelongToTheServices) {
  for (const char* path : {"/",
                           "",
                           "health",
                           "/healthz",
                           "/health/",
                           "/health/nope",
                           "/health/live/x",
                           "/metrics/x",
                           "/metrics/",
                           "/metricsx",
                           "/api",
                           "/api/v1",
                           "/api/v1/",
                           "/api/v1/users",
                           "/api/v1/status/x",
                           "/api/v2/status",
                           "/security/",
                           "/security/pqc",
                           "/security/pqc/status/x",
                           "/mesh",
                           "/mesh/",
                           "/mesh/other",
                           "/mesh/peers/x",
                           "/admin",
                           "/admin/",
                           "/admin/cache",
                           "/admin/cache/",
                           "/admin/cache/dump",
                           "/admin/cache/clear/x",
                           "/admin/data",
                           "/admin/users",
                           "/status/",
                           "/status/x",
                           "/status.json/x",
                           "/statusx",
                           "/status.html",
                           "/incidents/",
                           "/incidentsfoo",
                           "/incidents/foo",
                           "/incidents/123",
                           "/incidents/INC-2026112-0001",
                           "/incidents/INC-20261124-001",
                           "/incidents/inc-20261124-0001",
                           "/incidents/INC-2026112x-0001",
                           "/incidents/INC-20261124-0001/",
                           "/incidents/INC-20261124-0001/delete",
                           "/incidents/INC-20261124-0001/ack/x",
                           "/incidents/INC-20261124-00000000000000000001",
                           "/releases/",
                           "/releasesfoo",
                           "/releases/2024",
                           "/releases/2024/start",
                           "/releases/shop/",
                           "/releases/shop/deploy",
                           "/releases/shop/start/x",
                           "/releases//start",
                           "/releases/Shop",
                           "/alerts",
                           "/alerts/",
                           "/alerts/other",
                           "/alerts/alertmanager/x",
                           "//health",
                           "/HEALTH"}) {
    EXPECT_EQ(on_data_port(path), E::kNone) << path;
  }
}

TEST(ReservedPaths, ReleasePathsNameTheirServiceForTheCallerToCheck) {
  EndpointMatch m = match_endpoint_shape("/releases/2024/promote");
  EXPECT_EQ(m.endpoint, E::kReleases);
  EXPECT_EQ(m.service, "2024");
  EXPECT_EQ(match_endpoint_shape("/releases").service, "");
  EXPECT_EQ(match_endpoint_shape("/health").service, "");
  // On a listener of its own the operator API takes any well-shaped name (and answers 404 for
  // a service it does not know); a badly shaped one is no endpoint anywhere.
  auto any = [](std::string_view) { return true; };
  EXPECT_EQ(reserved_endpoint("/releases/2024", any), E::kReleases);
  EXPECT_EQ(reserved_endpoint("/releases/my_svc-2/pause", any), E::kReleases);
  EXPECT_EQ(reserved_endpoint("/releases/has.dot", any), E::kNone);
  EXPECT_EQ(reserved_endpoint("/releases/" + std::string(65, 'a'), any), E::kNone);
  EXPECT_EQ(reserved_endpoint("/releases/" + std::string(64, 'a'), any), E::kReleases);
}

}  // namespace
}  // namespace x0::gateway
