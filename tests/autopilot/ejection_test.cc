// eject_endpoint's choice: the worst available endpoint by failure ratio since the last look,
// never one without failures or traffic, never the last available endpoint of its set.
#include "autopilot/ejection.h"

#include <gtest/gtest.h>

namespace x0::autopilot {
namespace {

constexpr int kStable = 0, kCandidate = 1;

TEST(Ejection, PicksTheHighestFailureRatio) {
  std::vector<EndpointCounts> e = {{"a:1", kStable, 100, 10, true},
                                   {"b:1", kStable, 40, 21, true},
                                   {"c:1", kStable, 50, 0, true}};
  EjectionChoice c = choose_endpoint_to_eject(e);
  ASSERT_TRUE(c.index.has_value()) << c.reason;
  EXPECT_EQ(*c.index, 1u);
  EXPECT_NEAR(c.failure_ratio, 0.525, 1e-9);
  EXPECT_EQ(c.requests, 40u);
}

TEST(Ejection, TiesGoToTheEndpointWithMoreEvidence) {
  std::vector<EndpointCounts> e = {{"a:1", kStable, 2, 2, true},
                                   {"b:1", kStable, 30, 30, true},
                                   {"c:1", kStable, 10, 0, true}};
  EXPECT_EQ(choose_endpoint_to_eject(e).index, 1u);
}

TEST(Ejection, NothingWithoutFailuresOrTraffic) {
  std::vector<EndpointCounts> e = {{"a:1", kStable, 0, 0, true}, {"b:1", kStable, 50, 0, true}};
  EjectionChoice c = choose_endpoint_to_eject(e);
  EXPECT_FALSE(c.index.has_value());
  EXPECT_NE(c.reason.find("no available endpoint failed"), std::string::npos) << c.reason;
  EXPECT_FALSE(choose_endpoint_to_eject({}).index.has_value());
}

TEST(Ejection, NeverTheLastAvailableEndpointOfTheSet) {
  // b is already out (ejected or unhealthy): a is the last one standing, however bad.
  std::vector<EndpointCounts> e = {{"a:1", kStable, 20, 20, true}, {"b:1", kStable, 20, 5, false}};
  EjectionChoice c = choose_endpoint_to_eject(e);
  EXPECT_FALSE(c.index.has_value());
  EXPECT_NE(c.reason.find("last available"), std::string::npos) << c.reason;
  // A single-endpoint service keeps its endpoint.
  EXPECT_FALSE(choose_endpoint_to_eject({{"a:1", kStable, 9, 9, true}}).index.has_value());
}

TEST(Ejection, TheLastAvailableRuleIsPerSet) {
  // The candidate's only endpoint fails everything but is its set's last; the stable set has
  // two endpoints, one slightly failing: that one may go.
  std::vector<EndpointCounts> e = {{"s1:1", kStable, 100, 3, true},
                                   {"s2:1", kStable, 100, 0, true},
                                   {"c1:1", kCandidate, 50, 50, true}};
  EjectionChoice c = choose_endpoint_to_eject(e);
  ASSERT_TRUE(c.index.has_value()) << c.reason;
  EXPECT_EQ(*c.index, 0u);
  // With a second candidate endpoint the failing candidate is the one to go.
  e.push_back({"c2:1", kCandidate, 50, 0, true});
  EXPECT_EQ(choose_endpoint_to_eject(e).index, 2u);
}

TEST(Ejection, UnavailableEndpointsAreNotChosenAgain) {
  std::vector<EndpointCounts> e = {{"a:1", kStable, 10, 10, false},
                                   {"b:1", kStable, 10, 1, true},
                                   {"c:1", kStable, 10, 0, true}};
  EXPECT_EQ(choose_endpoint_to_eject(e).index, 1u);
}

}  // namespace
}  // namespace x0::autopilot
