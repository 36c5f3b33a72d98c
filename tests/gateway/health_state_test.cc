// The endpoint health state machine (thresholds, first result, recovery).
#include "gateway/health_state.h"

#include <gtest/gtest.h>

namespace x0::gateway {
namespace {

TEST(HealthState, FirstFailureTakesAnEndpointOutAtOnce) {
  HealthTally tally;
  EXPECT_FALSE(next_health(true, false, tally, 2, 3));
}

TEST(HealthState, LaterFailuresNeedTheUnhealthyThreshold) {
  HealthTally tally;
  bool healthy = next_health(true, true, tally, 2, 3);
  ASSERT_TRUE(healthy);
  healthy = next_health(healthy, false, tally, 2, 3);
  EXPECT_TRUE(healthy);
  healthy = next_health(healthy, false, tally, 2, 3);
  EXPECT_TRUE(healthy);
  healthy = next_health(healthy, false, tally, 2, 3);
  EXPECT_FALSE(healthy);
}

TEST(HealthState, ASuccessResetsTheFailureRun) {
  HealthTally tally;
  bool healthy = next_health(true, true, tally, 2, 2);
  healthy = next_health(healthy, false, tally, 2, 2);
  healthy = next_health(healthy, true, tally, 2, 2);
  healthy = next_health(healthy, false, tally, 2, 2);
  EXPECT_TRUE(healthy);  // never two failures in a row
}

TEST(HealthState, RecoveryNeedsTheHealthyThreshold) {
  HealthTally tally;
  bool healthy = next_health(true, false, tally, 3, 2);
  ASSERT_FALSE(healthy);
  healthy = next_health(healthy, true, tally, 3, 2);
  EXPECT_FALSE(healthy);
  healthy = next_health(healthy, true, tally, 3, 2);
  EXPECT_FALSE(healthy);
  healthy = next_health(healthy, true, tally, 3, 2);
  EXPECT_TRUE(healthy);
}

TEST(HealthState, AFailureInterruptsRecovery) {
  HealthTally tally;
  bool healthy = next_health(true, false, tally, 2, 2);
  healthy = next_health(healthy, true, tally, 2, 2);
  healthy = next_health(healthy, false, tally, 2, 2);
  healthy = next_health(healthy, true, tally, 2, 2);
  EXPECT_FALSE(healthy);
  healthy = next_health(healthy, true, tally, 2, 2);
  EXPECT_TRUE(healthy);
}

}  // namespace
}  // namespace x0::gateway
