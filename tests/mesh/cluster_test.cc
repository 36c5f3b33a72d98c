// Whole clusters in simulated time (sim_cluster.h): joining through one seed, detecting a dead
// node within Timers::detection_bound_ms, a restart refuting its own death, a lossy network
// without false verdicts, and a 1-vs-4 partition that heals.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sim_cluster.h"

namespace x0::mesh {
namespace {

using testing::SimCluster;
using testing::SimOptions;

std::string address_of(size_t i) {
  return std::string("10.0.0.").append(std::to_string(i + 1)) + ":7946";
}

// Five nodes, each joining through node 0, 100 ms apart.
SimCluster five(uint64_t seed, bool push_pull = true) {
  SimOptions o;
  o.seed = seed;
  o.push_pull = push_pull;
  SimCluster c(o);
  for (size_t i = 0; i < 5; ++i)
    c.add(std::string("node-").append(std::to_string(i)), address_of(i));
  for (size_t i = 1; i < 5; ++i) {
    c.join(i, 0);
    c.run_for(100);
  }
  return c;
}

std::string dump(SimCluster& c) {
  std::string out;
  for (size_t a = 0; a < c.size(); ++a) {
    out += c.node(a).self().id + "@" + std::to_string(c.node(a).self().incarnation) + ":";
    for (const auto& m : c.node(a).members())
      out +=
          " " + m.id + "=" + std::string(state_name(m.state)) + "@" + std::to_string(m.incarnation);
    out += "\n";
  }
  return out;
}

bool all_see_all_up(SimCluster& c) {
  for (size_t a = 0; a < c.size(); ++a)
    for (size_t b = 0; b < c.size(); ++b)
      if (a != b && c.alive(a) && c.view(a, b) != PeerState::kUp) return false;
  return true;
}

// The first time observer's view of subject changed to `to` at or after `since`; -1 if never.
int64_t first(const SimCluster& c, size_t observer, const std::string& subject, PeerState to,
              int64_t since) {
  for (const auto& e : c.events())
    if (e.node == observer && e.change.id == subject && e.change.to == to && e.change.from != to &&
        e.at >= since)
      return e.at;
  return -1;
}

TEST(Cluster, FiveNodesJoiningThroughOneSeedLearnEachOther) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SimCluster c = five(seed, /*push_pull=*/false);  // gossip alone, no anti-entropy
    const int64_t t0 = c.now();
    ASSERT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 10'000)) << "seed " << seed << "\n"
                                                                        << dump(c);
    std::printf("[sim] seed %llu: 5 nodes converged %lld ms after the last join\n",
                static_cast<unsigned long long>(seed), static_cast<long long>(c.now() - t0));
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(c.node(i).known(), 5u);
      EXPECT_FALSE(c.node(i).partitioned());
    }
    EXPECT_EQ(c.count(PeerState::kSuspect), 0u);
  }
}

TEST(Cluster, KilledNodeGoesSuspectThenDownEverywhereWithinTheBound) {
  const Timers t = Timers::test();
  // membership.h: (2n-3) * interval + 3 * timeout + suspicion_max_ms(n), plus the agent's tick.
  const int64_t bound = t.detection_bound_ms(5);
  ASSERT_EQ(bound, 7 * 200 + 3 * 100 + 6 * 4 * 200);
  const int64_t slack = 2 * SimOptions{}.tick_ms;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SimCluster c = five(seed);
    ASSERT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 10'000));
    c.run_for(1000);
    const int64_t t0 = c.now();
    c.kill(4);
    auto all_down = [&] {
      for (size_t i = 0; i < 4; ++i)
        if (c.view(i, 4) != PeerState::kDown) return false;
      return true;
    };
    ASSERT_TRUE(c.run_until(all_down, 3 * bound)) << "seed " << seed;
    int64_t worst_suspect = 0, worst_down = 0;
    for (size_t i = 0; i < 4; ++i) {
      const int64_t suspect = first(c, i, "node-4", PeerState::kSuspect, t0);
      const int64_t down = first(c, i, "node-4", PeerState::kDown, t0);
      ASSERT_GE(suspect, t0) << "node " << i << " never suspected node-4 (seed " << seed << ")";
      EXPECT_LE(suspect, down);
      EXPECT_LE(suspect - t0, t.suspect_bound_ms(5) + slack);
      EXPECT_LE(down - t0, bound + slack) << "node " << i << " seed " << seed;
      worst_suspect = std::max(worst_suspect, suspect - t0);
      worst_down = std::max(worst_down, down - t0);
    }
    std::printf(
        "[sim] seed %llu: node-4 killed; last suspect after %lld ms, last down after %lld "
        "ms (bound %lld ms)\n",
        static_cast<unsigned long long>(seed), static_cast<long long>(worst_suspect),
        static_cast<long long>(worst_down), static_cast<long long>(bound));
    // Nobody else was declared anything.
    EXPECT_EQ(c.count(PeerState::kDown), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_FALSE(c.node(i).partitioned());
  }
}

TEST(Cluster, RestartedNodeRefutesItsDeathAndIsUpEverywhereOnItsNewAddress) {
  SimCluster c = five(7);
  ASSERT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 10'000));
  c.kill(4);
  ASSERT_TRUE(c.run_until(
      [&] { return c.view(0, 4) == PeerState::kDown && c.view(3, 4) == PeerState::kDown; },
      20'000));
  c.run_for(2000);
  const uint64_t dead_at = c.node(0).find("node-4")->incarnation;

  c.restart(4, "10.0.1.5:7946");  // a new instance: incarnation 0
  ASSERT_EQ(c.node(4).self().incarnation, 0u);
  c.join(4, 0);
  const int64_t t0 = c.now();
  ASSERT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 10'000));
  std::printf("[sim] restarted node-4 up everywhere %lld ms after its join\n",
              static_cast<long long>(c.now() - t0));
  EXPECT_GT(c.node(4).self().incarnation, dead_at);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(c.node(i).find("node-4")->address, "10.0.1.5:7946");
    EXPECT_EQ(c.node(i).find("node-4")->incarnation, c.node(4).self().incarnation);
  }
  EXPECT_EQ(c.node(4).known(), 5u);
}

TEST(Cluster, FivePercentLossForAMinuteDeclaresNobodyDown) {
  size_t total_suspects = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SimCluster c = five(seed);
    ASSERT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 10'000));
    c.set_loss(0.05);  // every message, both directions
    c.run_for(60'000);
    const size_t suspects = c.count(PeerState::kSuspect);
    total_suspects += suspects;
    int max_health = 0;
    for (size_t i = 0; i < 5; ++i) max_health = std::max(max_health, c.node(i).local_health());
    std::printf(
        "[sim] seed %llu: 5%% loss for 60 s: %zu suspect verdicts, %zu down, local "
        "health now <= %d\n",
        static_cast<unsigned long long>(seed), suspects, c.count(PeerState::kDown), max_health);
    EXPECT_EQ(c.count(PeerState::kDown), 0u) << "seed " << seed;
    c.set_loss(0);
    EXPECT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 10'000)) << dump(c);
  }
  std::printf("[sim] 5%% loss: %zu suspects over 5 runs of 5 nodes x 60 s\n", total_suspects);
}

TEST(Cluster, OneVersusFourPartitionThenHeal) {
  SimCluster c = five(3);
  ASSERT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 10'000));
  c.partition({2});
  const int64_t t0 = c.now();
  auto split = [&] {
    if (c.node(2).reachable() != 1) return false;
    for (size_t i : {0u, 1u, 3u, 4u})
      if (c.view(i, 2) != PeerState::kDown) return false;
    return true;
  };
  ASSERT_TRUE(c.run_until(split, 60'000));
  std::printf("[sim] 1-vs-4 partition seen by all after %lld ms\n",
              static_cast<long long>(c.now() - t0));
  for (size_t i : {0u, 1u, 3u, 4u}) {
    EXPECT_FALSE(c.node(i).partitioned()) << i;
    EXPECT_EQ(c.node(i).reachable(), 4u);
  }
  EXPECT_TRUE(c.node(2).partitioned());
  EXPECT_EQ(c.node(2).known(), 5u);
  // The majority did not turn on itself.
  for (size_t a : {0u, 1u, 3u, 4u})
    for (size_t b : {0u, 1u, 3u, 4u}) {
      if (a != b) {
        EXPECT_EQ(c.view(a, b), PeerState::kUp);
      }
    }

  c.heal();
  const int64_t t1 = c.now();
  ASSERT_TRUE(c.run_until([&] { return all_see_all_up(c); }, 30'000));
  std::printf("[sim] healed: all up everywhere %lld ms after the heal\n",
              static_cast<long long>(c.now() - t1));
  for (size_t i = 0; i < 5; ++i) EXPECT_FALSE(c.node(i).partitioned()) << i;
}

}  // namespace
}  // namespace x0::mesh
