// Per-worker request coalescing: one leader per key, waiters released with the outcome.
#include "cache/coalescer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cache_test_util.h"

namespace x0::cache {
namespace {

using testing::entry;
using testing::key;

TEST(Coalescer, LeaderThenWaitersGetTheStoredResponse) {
  Coalescer c;
  std::vector<std::string> served;
  int fetch_self = 0;
  auto waiter = [&](const CoalescedOutcome& o) {
    if (o.response)
      served.push_back(o.response->body);
    else
      ++fetch_self;
  };
  EXPECT_EQ(c.join(key("/a"), waiter), JoinRole::kLeader);
  EXPECT_EQ(c.join(key("/a"), waiter), JoinRole::kWaiter);
  EXPECT_EQ(c.join(key("/a"), waiter), JoinRole::kWaiter);
  EXPECT_EQ(c.join(key("/b"), waiter), JoinRole::kLeader);  // another key: its own flight
  EXPECT_EQ(c.waiters(key("/a")), 2u);
  EXPECT_EQ(c.flights(), 2u);
  EXPECT_TRUE(served.empty());  // nobody is answered before the leader completes
  EXPECT_EQ(c.complete(key("/a"), entry("/a", "A")), 2u);
  EXPECT_EQ(served, (std::vector<std::string>{"A", "A"}));
  EXPECT_EQ(fetch_self, 0);
  EXPECT_EQ(c.flights(), 1u);
  EXPECT_EQ(c.join(key("/a"), waiter), JoinRole::kLeader);  // the flight is over
}

TEST(Coalescer, NotCacheableReleasesWaitersToFetch) {
  Coalescer c;
  int fetch_self = 0, served = 0;
  auto waiter = [&](const CoalescedOutcome& o) { o.response ? ++served : ++fetch_self; };
  ASSERT_EQ(c.join(key("/x"), waiter), JoinRole::kLeader);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c.join(key("/x"), waiter), JoinRole::kWaiter);
  EXPECT_EQ(c.complete(key("/x"), nullptr), 3u);
  EXPECT_EQ(fetch_self, 3);
  EXPECT_EQ(served, 0);
  EXPECT_EQ(c.flights(), 0u);
  EXPECT_EQ(c.complete(key("/x"), nullptr), 0u);  // a second complete is harmless
}

TEST(Coalescer, WaiterMayStartANewFlightFromItsCallback) {
  Coalescer c;
  std::vector<JoinRole> roles;
  ASSERT_EQ(c.join(key("/r"), {}), JoinRole::kLeader);
  c.join(key("/r"), [&](const CoalescedOutcome&) { roles.push_back(c.join(key("/r"), {})); });
  c.join(key("/r"), [&](const CoalescedOutcome&) { roles.push_back(c.join(key("/r"), {})); });
  c.complete(key("/r"), nullptr);
  EXPECT_EQ(roles, (std::vector<JoinRole>{JoinRole::kLeader, JoinRole::kWaiter}));
}

TEST(Coalescer, BoundedWaitersBypass) {
  Coalescer c(2);
  ASSERT_EQ(c.join(key("/a"), {}), JoinRole::kLeader);
  EXPECT_EQ(c.join(key("/a"), {}), JoinRole::kWaiter);
  EXPECT_EQ(c.join(key("/a"), {}), JoinRole::kWaiter);
  EXPECT_EQ(c.join(key("/a"), {}), JoinRole::kBypass);
}

TEST(Coalescer, UncacheableKeysBypassUntilTheMarkExpires) {
  Coalescer c;
  c.mark_uncacheable(key("/u"), 1000, 500);
  EXPECT_EQ(c.join(key("/u"), {}, 1000), JoinRole::kBypass);
  EXPECT_EQ(c.join(key("/u"), {}, 1499), JoinRole::kBypass);
  EXPECT_EQ(c.join(key("/v"), {}, 1000), JoinRole::kLeader);  // other keys still coalesce
  EXPECT_EQ(c.join(key("/u"), {}, 1500), JoinRole::kLeader);  // expired: coalesced again
  EXPECT_EQ(c.join(key("/u"), {}, 1500), JoinRole::kWaiter);
}

TEST(Coalescer, UncacheableMarksAreBounded) {
  Coalescer c;
  for (size_t i = 0; i < Coalescer::kMaxUncacheableKeys + 10; ++i) {
    c.mark_uncacheable(key("/k" + std::to_string(i)), 0, 1000);
  }
  // The oldest marks were dropped when the table filled up: no unbounded growth.
  EXPECT_EQ(c.join(key("/k0"), {}, 1), JoinRole::kLeader);
  EXPECT_EQ(c.join(key("/k" + std::to_string(Coalescer::kMaxUncacheableKeys + 9)), {}, 1),
            JoinRole::kBypass);
}

}  // namespace
}  // namespace x0::cache
