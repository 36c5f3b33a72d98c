// The mesh listener's per-address cap on links still proving themselves.
#include "mesh/unproven_links.h"

#include <gtest/gtest.h>

#include <vector>

namespace x0::mesh {
namespace {

TEST(UnprovenLinks, AnAddressHoldsAtMostTheCapAndOthersAreUnaffected) {
  auto links = std::make_shared<UnprovenLinks>();
  std::vector<UnprovenLinks::Ticket> held;
  for (int i = 0; i < UnprovenLinks::kMaxPerAddress; ++i) {
    auto t = links->take("10.0.0.9");
    ASSERT_TRUE(t) << i;
    held.push_back(*std::move(t));
  }
  EXPECT_FALSE(links->take("10.0.0.9"));
  EXPECT_EQ(links->in_setup("10.0.0.9"), UnprovenLinks::kMaxPerAddress);
  auto other = links->take("10.0.0.10");
  EXPECT_TRUE(other);
  EXPECT_EQ(links->in_setup("10.0.0.10"), 1);

  held.back().release();  // that link proved itself (or was refused)
  EXPECT_EQ(links->in_setup("10.0.0.9"), UnprovenLinks::kMaxPerAddress - 1);
  held.back().release();  // twice is once
  EXPECT_EQ(links->in_setup("10.0.0.9"), UnprovenLinks::kMaxPerAddress - 1);
  EXPECT_TRUE(links->take("10.0.0.9"));  // a temporary: back at once
  held.clear();
  EXPECT_EQ(links->in_setup("10.0.0.9"), 0);
}

TEST(UnprovenLinks, AMovedTicketIsGivenBackOnce) {
  auto links = std::make_shared<UnprovenLinks>();
  auto a = links->take("::1");
  ASSERT_TRUE(a);
  UnprovenLinks::Ticket b = *std::move(a);
  a.reset();
  EXPECT_EQ(links->in_setup("::1"), 1);
  UnprovenLinks::Ticket c = *links->take("::1");
  c = std::move(b);  // c's own place goes back, b's moves in
  EXPECT_EQ(links->in_setup("::1"), 1);
  c.release();
  EXPECT_EQ(links->in_setup("::1"), 0);
}

}  // namespace
}  // namespace x0::mesh
