// Probing and gossip one node at a time: rounds, ping-req fanout, local health, retransmit
// budgets, caps under a spraying peer, address moves, leave and partitioned().
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "mesh/membership.h"

namespace x0::mesh {
namespace {

constexpr int64_t kT0 = 1'000'000;

Update claim(const std::string& id, PeerState s, uint64_t inc) {
  return Update{id, id + ":7946", s, inc, ""};
}

Membership cluster(size_t n) {
  Membership m("self", "self:7946", Timers::test(), 7);
  std::vector<Update> ups;
  for (size_t i = 1; i < n; ++i)
    ups.push_back(claim(std::string("n").append(std::to_string(i)), PeerState::kUp, 0));
  m.merge(ups, kT0);
  m.take_changes();
  return m;
}

// Ticks every 10 ms until a probe comes out; returns it and when.
std::pair<Probe, int64_t> next_probe(Membership& m, int64_t& now) {
  for (int i = 0; i < 10'000; ++i, now += 10) {
    auto probes = m.tick(now);
    if (!probes.empty()) return {probes.front(), now};
  }
  ADD_FAILURE() << "no probe";
  return {};
}

TEST(Probing, RoundRobinProbesEveryMemberOncePerRound) {
  Membership m = cluster(5);
  int64_t now = kT0;
  for (int round = 0; round < 3; ++round) {
    std::multiset<std::string> seen;
    for (int i = 0; i < 4; ++i) {
      auto [p, at] = next_probe(m, now);
      EXPECT_TRUE(p.via.empty());
      EXPECT_EQ(p.timeout_ms, 100);
      EXPECT_EQ(p.target_address, p.target + ":7946");
      seen.insert(p.target);
      m.on_ack(p.seq, now + 5);
    }
    EXPECT_EQ(seen, (std::multiset<std::string>{"n1", "n2", "n3", "n4"})) << "round " << round;
  }
}

TEST(Probing, OneDirectProbePerIntervalEvenWhenTickedOften) {
  Membership m = cluster(3);
  int64_t now = kT0;
  auto [first, t1] = next_probe(m, now);
  m.on_ack(first.seq, t1 + 1);
  now += 10;
  auto [second, t2] = next_probe(m, now);
  EXPECT_EQ(t2 - t1, 200);
  EXPECT_GT(second.seq, first.seq);
}

TEST(Probing, AClosedLinkGetsItsMemberProbedOutOfTurnOncePerInterval) {
  Membership m = cluster(6);
  int64_t now = kT0;
  auto [first, at] = next_probe(m, now);
  std::string other = first.target == "n3" ? "n4" : "n3";
  // Asked while a probe is in flight: it waits for that one to end, then goes first.
  m.probe_soon(other, now);
  EXPECT_TRUE(m.tick(now + 1).empty());
  m.on_ack(first.seq, now + 2);
  EXPECT_EQ(m.next_due_ms(now + 2), now + 2);
  auto urgent = m.tick(now + 2);
  ASSERT_EQ(urgent.size(), 1u);
  EXPECT_EQ(urgent.front().target, other);
  EXPECT_TRUE(urgent.front().via.empty());
  m.on_ack(urgent.front().seq, now + 3);
  // The cadence did not move: the next regular probe is one interval after the first.
  auto [regular, t2] = next_probe(m, now);
  EXPECT_EQ(t2 - at, 200);
  m.on_ack(regular.seq, t2 + 1);
  // Once per interval: a second close within it is the same event.
  m.probe_soon(other, t2 + 2);
  auto second = m.tick(t2 + 2);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second.front().target, other);
  m.on_ack(second.front().seq, t2 + 3);
  m.probe_soon(other, t2 + 50);
  EXPECT_TRUE(m.tick(t2 + 50).empty());
  m.probe_soon(other, t2 + 202);
  auto third = m.tick(t2 + 202);
  ASSERT_FALSE(third.empty());
  EXPECT_EQ(third.front().target, other);
}

TEST(Probing, SeveralClosedLinksAreEachProbedOutOfTurnOneAtATime) {
  Membership m = cluster(6);
  int64_t now = kT0;
  auto [first, at] = next_probe(m, now);
  m.on_ack(first.seq, at + 1);
  std::vector<std::string> closed;
  for (const char* id : {"n1", "n2", "n3", "n4", "n5"})
    if (first.target != id && closed.size() < 2) closed.push_back(id);
  for (const std::string& id : closed) m.probe_soon(id, at + 2);
  auto one = m.tick(at + 2);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one.front().target, closed[0]);
  m.on_ack(one.front().seq, at + 3);
  auto two = m.tick(at + 3);
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two.front().target, closed[1]);
}

TEST(Probing, ADegradedNodeDoesNotChaseClosedLinks) {
  Membership m = cluster(4);
  m.note_degraded(kT0);  // Lifeguard: our own loop ran late
  ASSERT_GT(m.local_health(), 0);
  int64_t now = kT0;
  auto [p, at] = next_probe(m, now);
  m.on_ack(p.seq, at + 1);  // a success lowers it again...
  m.note_degraded(at + 1);  // ...and another lag raises it
  std::string other = p.target == "n1" ? "n2" : "n1";
  m.probe_soon(other, at + 2);
  EXPECT_TRUE(m.tick(at + 2).empty());
}

TEST(Probing, OnlyUpMembersAreProbedOutOfTurn) {
  Membership m = cluster(4);
  m.merge({claim("n1", PeerState::kSuspect, 0), claim("n2", PeerState::kDown, 0)}, kT0);
  int64_t now = kT0;
  auto [p, at] = next_probe(m, now);
  m.on_ack(p.seq, at + 1);
  for (const char* id : {"n1", "n2", "nobody", "self"}) m.probe_soon(id, at + 2);
  EXPECT_EQ(m.next_due_ms(at + 2), at + 200);
  EXPECT_TRUE(m.tick(at + 2).empty());
}

TEST(Probing, NextDueIsTheEarliestSuspicionOrProbe) {
  Timers timers = Timers::test();
  timers.suspicion_mult = 1;  // a suspicion shorter than an in-flight probe's backstop
  Membership m("self", "self:7946", timers, 7);
  m.merge({claim("n1", PeerState::kUp, 0), claim("n2", PeerState::kUp, 0)}, kT0);
  int64_t now = kT0;
  auto [p, at] = next_probe(m, now);
  m.on_ack(p.seq, at + 1);
  EXPECT_EQ(m.next_due_ms(at + 1), at + 200);  // the next probe
  std::string other = p.target == "n1" ? "n2" : "n1";
  m.merge({Update{other, other + ":7946", PeerState::kSuspect, 0, p.target}}, at + 150);
  auto probes = m.tick(at + 200);
  ASSERT_EQ(probes.size(), 1u);  // in flight until at + 500 at the latest
  EXPECT_EQ(m.next_due_ms(at + 200), at + 150 + timers.suspicion_timeout_ms(3, 0));
  EXPECT_LT(at + 150 + timers.suspicion_timeout_ms(3, 0), at + 500);
}

TEST(Probing, PingReqFanoutPicksUpMembersOtherThanTheTarget) {
  Membership m = cluster(6);
  m.merge({Update{"n5", "n5:7946", PeerState::kSuspect, 0, "n1"}}, kT0);
  int64_t now = kT0;
  for (int i = 0; i < 10; ++i) {
    auto [p, at] = next_probe(m, now);
    m.on_failed(p.seq, now);
    auto ind = m.tick(now);
    ASSERT_EQ(ind.size(), 1u);
    const Probe& q = ind.front();
    EXPECT_EQ(q.target, p.target);
    EXPECT_NE(q.seq, p.seq);
    EXPECT_EQ(q.via.size(), 3u);
    std::set<std::string> vias(q.via.begin(), q.via.end());
    EXPECT_EQ(vias.size(), q.via.size());
    EXPECT_FALSE(vias.contains(p.target));
    EXPECT_FALSE(vias.contains("n5")) << "a suspect member is not asked to relay";
    EXPECT_FALSE(vias.contains("self"));
    m.on_ack(q.seq, now);  // a via relayed the target's ack: no suspicion
    EXPECT_NE(m.find(p.target)->state, PeerState::kDown);
  }
}

TEST(Probing, DownAndLeftMembersAreNotProbed) {
  Membership m = cluster(4);
  m.merge({claim("n1", PeerState::kDown, 0), claim("n2", PeerState::kLeft, 0)}, kT0);
  int64_t now = kT0;
  for (int i = 0; i < 6; ++i) {
    auto [p, at] = next_probe(m, now);
    EXPECT_EQ(p.target, "n3");
    m.on_ack(p.seq, now);
  }
}

TEST(Probing, AProbeNobodyReportsFailsOnItsOwn) {
  Membership m = cluster(5);
  int64_t now = kT0;
  auto [p, at] = next_probe(m, now);
  EXPECT_TRUE(m.tick(at + 299).empty());
  auto ind = m.tick(at + 300);  // 3 * timeout: the agent lost it, count it as failed
  ASSERT_EQ(ind.size(), 1u);
  EXPECT_FALSE(ind.front().via.empty());
}

TEST(LocalHealth, FailuresWithoutNacksRaiseItAndSuccessesLowerIt) {
  Membership m = cluster(2);  // nobody to ask for a ping-req
  int64_t now = kT0;
  auto [p, at] = next_probe(m, now);
  m.on_failed(p.seq, now);
  EXPECT_TRUE(m.tick(now).empty());  // no via: the direct failure is the verdict
  EXPECT_EQ(m.local_health(), 1);
  EXPECT_EQ(m.find("n1")->state, PeerState::kSuspect);
  // Scaled by health: twice the interval and timeout.
  now = at + 10;
  auto [q, at2] = next_probe(m, now);
  EXPECT_EQ(at2 - at, 400);
  EXPECT_EQ(q.timeout_ms, 200);
  m.on_ack(q.seq, now);
  EXPECT_EQ(m.local_health(), 0);
  m.on_ack(q.seq, now);  // a duplicate ack does not count twice
  EXPECT_EQ(m.local_health(), 0);
}

TEST(LocalHealth, MissingNacksCountAgainstUs) {
  Membership m = cluster(5);
  int64_t now = kT0;
  auto [p, at] = next_probe(m, now);
  m.on_failed(p.seq, now);
  auto ind = m.tick(now).front();
  m.on_nack(ind.seq, ind.via[0], now);
  m.on_nack(ind.seq, ind.via[0], now);  // counted once
  m.on_nack(ind.seq, "stranger", now);  // not one we asked
  m.on_failed(ind.seq, now);
  EXPECT_EQ(m.local_health(), 2);  // 3 vias asked, 1 nacked
  EXPECT_EQ(m.counters().probes_failed, 1u);
}

TEST(LocalHealth, DegradedLoopRaisesItUpToTheCap) {
  Membership m = cluster(3);
  for (int i = 0; i < 20; ++i) m.note_degraded(kT0);
  EXPECT_EQ(m.local_health(), 7);  // max_local_health - 1: at most 8x the interval
  int64_t now = kT0;
  auto [p, at] = next_probe(m, now);
  EXPECT_EQ(p.timeout_ms, 800);
}

TEST(Gossip, EachUpdateIsSentItsBudgetThenDropped) {
  Membership m("self", "self:7946", Timers::test(), 1);
  m.merge({claim("a", PeerState::kUp, 0)}, kT0);
  m.merge({claim("b", PeerState::kUp, 0)}, kT0);
  // known() = 3: 4 * ceil(log10 4) = 4 sends each (a, b and our own announcement); newest
  // first among the least sent.
  auto first = m.gossip(1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, "b");
  EXPECT_EQ(m.gossip(1)[0].id, "a");
  size_t sent = 2;
  while (!m.gossip(1).empty()) ++sent;
  EXPECT_EQ(sent, 12u);
  EXPECT_EQ(m.queued(), 0u);
}

TEST(Gossip, AMessageToASuspectLeadsWithTheSuspicion) {
  Membership m = cluster(4);
  m.gossip(100);
  m.gossip(100);
  m.gossip(100);
  m.gossip(100);  // spend the joins
  m.merge({Update{"n2", "n2:7946", PeerState::kSuspect, 0, "n1"}}, kT0);
  for (int i = 0; i < 10; ++i) {
    auto out = m.gossip(3, "n2");
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out[0], (Update{"n2", "n2:7946", PeerState::kSuspect, 0, "n1"}));
  }
  EXPECT_TRUE(m.gossip(0, "n2").empty());
}

TEST(Gossip, FullStateHasEveryoneIncludingSelf) {
  Membership m = cluster(3);
  m.merge({claim("n2", PeerState::kLeft, 0)}, kT0);
  auto all = m.full_state();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], (Update{"self", "self:7946", PeerState::kUp, 0, ""}));
  EXPECT_EQ(all[2].state, PeerState::kLeft);
}

TEST(Merge, JoinStateReadsDownAsSuspect) {
  Membership m = cluster(3);
  m.merge_state({claim("n1", PeerState::kDown, 0), claim("fresh", PeerState::kDown, 4)}, kT0);
  EXPECT_EQ(m.find("n1")->state, PeerState::kSuspect);
  EXPECT_EQ(m.find("fresh")->state, PeerState::kSuspect);
  EXPECT_EQ(m.find("fresh")->incarnation, 4u);
}

TEST(Merge, OnlyAHigherUpMovesAnAddress) {
  Membership m = cluster(2);
  m.merge({Update{"n1", "evil:1", PeerState::kSuspect, 5, ""}}, kT0);
  EXPECT_EQ(m.find("n1")->address, "n1:7946");
  m.merge({Update{"n1", "moved:7946", PeerState::kUp, 6, ""}}, kT0);
  EXPECT_EQ(m.find("n1")->address, "moved:7946");
  m.merge({Update{"n1", "stale:7946", PeerState::kUp, 6, ""}}, kT0);
  EXPECT_EQ(m.find("n1")->address, "moved:7946");
}

TEST(Merge, ChangesComeOutInOrderAndNewMembersHaveFromEqualTo) {
  Membership m("self", "self:7946", Timers::test(), 1);
  m.merge({claim("a", PeerState::kUp, 0), claim("a", PeerState::kSuspect, 0),
           claim("a", PeerState::kUp, 1), claim("b", PeerState::kDown, 0)},
          kT0);
  auto c = m.take_changes();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].id, "a");
  EXPECT_EQ(c[0].from, PeerState::kUp);
  EXPECT_EQ(c[0].to, PeerState::kUp);
  EXPECT_EQ(c[1].to, PeerState::kSuspect);
  EXPECT_EQ(c[2].to, PeerState::kUp);
  EXPECT_EQ(c[2].incarnation, 1u);
  EXPECT_EQ(c[3].id, "b");
  EXPECT_EQ(c[3].to, PeerState::kDown);
  EXPECT_TRUE(m.take_changes().empty());
}

TEST(Caps, ASprayingPeerCannotGrowTheTableOrTheQueue) {
  Membership m("self", "self:7946", Timers::test(), 1);
  std::vector<Update> spray;
  for (int i = 0; i < 3000; ++i)
    spray.push_back(claim(std::string("x").append(std::to_string(i)), PeerState::kUp, 0));
  m.merge(spray, kT0);
  EXPECT_EQ(m.members().size(), kMaxMembers);
  EXPECT_EQ(m.counters().table_full, 3000 - kMaxMembers);
  EXPECT_LE(m.queued(), kMaxMembers + 1);
  EXPECT_LE(m.gossip(50).size(), 50u);
  // Flapping known members cannot grow the change log without bound either.
  for (uint64_t inc = 1; inc < 20; ++inc) {
    std::vector<Update> flap;
    for (int i = 0; i < 1024; ++i) {
      flap.push_back(claim(std::string("x").append(std::to_string(i)), PeerState::kSuspect, inc));
      flap.push_back(claim(std::string("x").append(std::to_string(i)), PeerState::kUp, inc + 1));
    }
    m.merge(flap, kT0);
  }
  EXPECT_LE(m.take_changes().size(), 4 * kMaxMembers);
  EXPECT_LE(m.queued(), kMaxMembers + 1);
}

TEST(Caps, InvalidUpdatesAreDroppedAndCounted) {
  Membership m("self", "self:7946", Timers::test(), 1);
  m.merge(
      {Update{"-bad", "h:1", PeerState::kUp, 0, ""}, Update{".x", "h:1", PeerState::kUp, 0, ""},
       Update{"a b", "h:1", PeerState::kUp, 0, ""}, Update{"", "h:1", PeerState::kUp, 0, ""},
       Update{"ok", "nohost", PeerState::kUp, 0, ""}, Update{"ok", "h:0", PeerState::kUp, 0, ""},
       Update{"ok", "h:1", PeerState::kUp, kMaxIncarnation, ""},
       Update{"ok", "h:1", PeerState::kSuspect, 0, "bad from"}},
      kT0);
  EXPECT_TRUE(m.members().empty());
  EXPECT_EQ(m.counters().invalid_updates, 8u);
  // A claim about us at the top of the range cannot make us overflow.
  m.merge({Update{"self", "self:7946", PeerState::kSuspect, kMaxIncarnation, ""}}, kT0);
  EXPECT_EQ(m.self().incarnation, 0u);
}

TEST(Leave, SelfLeavesGossipsItAndStopsProbing) {
  Membership m = cluster(3);
  m.gossip(100);
  m.leave(kT0 + 5);
  EXPECT_EQ(m.self().state, PeerState::kLeft);
  auto c = m.take_changes();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].id, "self");
  EXPECT_EQ(c[0].to, PeerState::kLeft);
  auto out = m.gossip(1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (Update{"self", "self:7946", PeerState::kLeft, 0, ""}));
  for (int64_t t = kT0; t < kT0 + 5000; t += 10) EXPECT_TRUE(m.tick(t).empty());
  m.merge({claim("self", PeerState::kDown, 3)}, kT0);  // nothing left to defend
  EXPECT_EQ(m.self().incarnation, 0u);
}

TEST(Leave, ALeftMemberComesBackOnlyWithAHigherUp) {
  Membership m = cluster(2);
  m.merge({claim("n1", PeerState::kLeft, 3)}, kT0);
  EXPECT_EQ(m.find("n1")->state, PeerState::kLeft);
  EXPECT_EQ(m.known(), 1u);
  m.merge({claim("n1", PeerState::kUp, 3), claim("n1", PeerState::kSuspect, 9)}, kT0);
  EXPECT_EQ(m.find("n1")->state, PeerState::kLeft);
  m.merge({claim("n1", PeerState::kUp, 4)}, kT0);  // it rejoined and refuted
  EXPECT_EQ(m.find("n1")->state, PeerState::kUp);
}

TEST(Partitioned, FewerThanAMajorityOfTheKnownMembers) {
  Membership lone("self", "self:7946", Timers::test(), 1);
  EXPECT_EQ(lone.known(), 1u);
  EXPECT_FALSE(lone.partitioned());

  Membership m = cluster(5);
  EXPECT_FALSE(m.partitioned());
  m.merge({claim("n1", PeerState::kDown, 0), claim("n2", PeerState::kSuspect, 0)}, kT0);
  EXPECT_EQ(m.reachable(), 4u);  // a suspect is still reachable
  EXPECT_FALSE(m.partitioned());
  m.merge({claim("n3", PeerState::kDown, 0)}, kT0);
  EXPECT_EQ(m.reachable(), 3u);  // 3 of 5: a majority
  EXPECT_FALSE(m.partitioned());
  m.merge({claim("n2", PeerState::kDown, 0)}, kT0);
  EXPECT_TRUE(m.partitioned());  // 2 of 5
  // Members that left do not count.
  m.merge({claim("n1", PeerState::kLeft, 0), claim("n2", PeerState::kLeft, 0),
           claim("n3", PeerState::kLeft, 0)},
          kT0);
  EXPECT_EQ(m.known(), 2u);
  EXPECT_FALSE(m.partitioned());

  Membership pair = cluster(2);
  pair.merge({claim("n1", PeerState::kDown, 0)}, kT0);
  EXPECT_TRUE(pair.partitioned());  // 1 of 2 is no majority
}

}  // namespace
}  // namespace x0::mesh
