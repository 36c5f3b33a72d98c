// The membership rules one node at a time: SWIM precedence, refutation, Lifeguard's suspicion
// timeouts and local health, probing rounds, gossip budgets, caps under a spraying peer, leave
// and partitioned().
#include "mesh/membership.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

namespace x0::mesh {
namespace {

constexpr int64_t kT0 = 1'000'000;

Update claim(const std::string& id, PeerState s, uint64_t inc, const std::string& from = "") {
  return Update{id, id + ":7946", s, inc, s == PeerState::kSuspect ? from : ""};
}

// Self plus others "n1".."n<n-1>", all up at incarnation 0.
Membership cluster(size_t n, Timers t = Timers::test()) {
  Membership m("self", "self:7946", t, 42);
  std::vector<Update> ups;
  for (size_t i = 1; i < n; ++i)
    ups.push_back(claim(std::string("n").append(std::to_string(i)), PeerState::kUp, 0));
  m.merge(ups, kT0);
  m.take_changes();
  return m;
}

Probe next_probe(Membership& m, int64_t& now) {
  for (int i = 0; i < 1000; ++i, now += 10) {
    auto probes = m.tick(now);
    if (!probes.empty()) return probes.front();
  }
  ADD_FAILURE() << "no probe within 10 s";
  return {};
}

// One probe that fails: the direct ping times out, then every via nacks (or, with nack false,
// the ping-reqs time out). Returns the direct probe.
Probe fail_probe(Membership& m, int64_t& now, bool nack = true) {
  Probe p = next_probe(m, now);
  EXPECT_TRUE(p.via.empty());
  now += p.timeout_ms;
  m.on_failed(p.seq, now);
  auto indirect = m.tick(now);
  if (indirect.empty()) return p;  // nobody to ask
  const Probe& ind = indirect.front();
  EXPECT_EQ(ind.target, p.target);
  now += ind.timeout_ms;
  if (nack) {
    for (const auto& via : ind.via) m.on_nack(ind.seq, via, now);
  } else {
    m.on_failed(ind.seq, now);
  }
  return p;
}

TEST(PeerStates, NamesRoundTrip) {
  for (PeerState s : {PeerState::kUp, PeerState::kSuspect, PeerState::kDown, PeerState::kLeft})
    EXPECT_EQ(parse_state(state_name(s)), s);
  EXPECT_EQ(state_name(PeerState::kSuspect), "suspect");
  EXPECT_FALSE(parse_state("dead"));
  EXPECT_FALSE(parse_state("Up"));
}

TEST(Validation, MemberIds) {
  for (const char* ok : {"a", "node-1", "n1.mesh.example", "A9", "x-"})
    EXPECT_TRUE(valid_member_id(ok)) << ok;
  for (const char* bad : {"", "-a", ".a", "a b", "a_b", "a:1", "ü"})
    EXPECT_FALSE(valid_member_id(bad)) << bad;
  EXPECT_TRUE(valid_member_id(std::string(253, 'a')));
  EXPECT_FALSE(valid_member_id(std::string(254, 'a')));
}

TEST(Validation, Addresses) {
  for (const char* ok : {"h:1", "10.0.0.1:7946", "[::1]:7946", "[fe80::1]:65535", "a.b-c:80"})
    EXPECT_TRUE(valid_address(ok)) << ok;
  for (const char* bad : {"", "h", ":80", "h:", "h:0", "h:65536", "h:01", "h:8a", "[]:80",
                          "[zz::1]:80", "::1:80", "h h:80", "[1.2.3.4]:80"})
    EXPECT_FALSE(valid_address(bad)) << bad;
}

struct PrecedenceCase {
  PeerState held;
  uint64_t held_inc;
  PeerState claim;
  uint64_t claim_inc;
  PeerState want;
  uint64_t want_inc;
};

TEST(Membership, PrecedenceTable) {
  using enum PeerState;
  const PrecedenceCase cases[] = {
      {kUp, 1, kUp, 2, kUp, 2},
      {kUp, 1, kUp, 0, kUp, 1},
      {kUp, 1, kSuspect, 0, kUp, 1},
      {kUp, 1, kSuspect, 1, kSuspect, 1},
      {kUp, 1, kSuspect, 2, kSuspect, 2},
      {kUp, 1, kDown, 0, kUp, 1},
      {kUp, 1, kDown, 1, kDown, 1},
      {kUp, 1, kLeft, 0, kUp, 1},
      {kUp, 1, kLeft, 1, kLeft, 1},
      {kSuspect, 1, kUp, 1, kSuspect, 1},
      {kSuspect, 1, kUp, 2, kUp, 2},
      {kSuspect, 1, kSuspect, 2, kSuspect, 2},
      {kSuspect, 1, kDown, 0, kSuspect, 1},
      {kSuspect, 1, kDown, 1, kDown, 1},
      {kSuspect, 1, kLeft, 1, kLeft, 1},
      {kDown, 1, kUp, 1, kDown, 1},
      {kDown, 1, kUp, 2, kUp, 2},
      {kDown, 1, kSuspect, 5, kDown, 1},
      {kDown, 1, kDown, 2, kDown, 2},
      {kDown, 1, kLeft, 1, kLeft, 1},
      {kLeft, 1, kUp, 1, kLeft, 1},
      {kLeft, 1, kUp, 2, kUp, 2},
      {kLeft, 1, kSuspect, 9, kLeft, 1},
      {kLeft, 1, kDown, 9, kLeft, 1},
      {kLeft, 1, kLeft, 2, kLeft, 2},
  };
  for (const auto& c : cases) {
    Membership m("self", "self:7946", Timers::test(), 1);
    if (c.held == kLeft) m.merge({claim("b", kUp, 0)}, kT0);  // unknown `left` is not added
    m.merge({claim("b", c.held, c.held_inc)}, kT0);
    ASSERT_EQ(m.find("b")->state, c.held);
    m.merge({claim("b", c.claim, c.claim_inc)}, kT0 + 1);
    const std::string what = std::string(state_name(c.held)) + "@" + std::to_string(c.held_inc) +
                             " <- " + std::string(state_name(c.claim)) + "@" +
                             std::to_string(c.claim_inc);
    EXPECT_EQ(m.find("b")->state, c.want) << what;
    EXPECT_EQ(m.find("b")->incarnation, c.want_inc) << what;
    EXPECT_EQ(overrides(c.claim, c.claim_inc, c.held, c.held_inc),
              c.want != c.held || c.want_inc != c.held_inc)
        << what;
  }
}

TEST(Membership, RefutesClaimsAboutItself) {
  Membership m = cluster(3);
  m.merge({claim("self", PeerState::kSuspect, 0, "n1")}, kT0);
  EXPECT_EQ(m.self().incarnation, 1u);
  EXPECT_EQ(m.self().state, PeerState::kUp);
  EXPECT_EQ(m.local_health(), 1);  // being suspected hints that we are the slow one
  auto out = m.gossip(10);
  EXPECT_NE(std::find(out.begin(), out.end(), Update{"self", "self:7946", PeerState::kUp, 1, ""}),
            out.end());

  m.merge({claim("self", PeerState::kDown, 5)}, kT0);
  EXPECT_EQ(m.self().incarnation, 6u);
  m.merge({claim("self", PeerState::kSuspect, 3)}, kT0);  // older than our refutation
  EXPECT_EQ(m.self().incarnation, 6u);
  m.merge({claim("self", PeerState::kLeft, 6)}, kT0);  // we did not leave
  EXPECT_EQ(m.self().incarnation, 7u);
  m.merge({Update{"self", "elsewhere:1", PeerState::kUp, 7, ""}}, kT0);  // not our address
  EXPECT_EQ(m.self().incarnation, 8u);
  m.merge({Update{"self", "self:7946", PeerState::kUp, 8, ""}}, kT0);  // our own echo
  EXPECT_EQ(m.self().incarnation, 8u);
  EXPECT_EQ(m.counters().refutations, 4u);
  EXPECT_TRUE(m.take_changes().empty());  // refuting is not a change of our state
}

TEST(Membership, RestartedNodeLearnsItWasDeclaredDownAndRefutes) {
  Membership m("n4", "n4-new:7946", Timers::test(), 1);
  ASSERT_EQ(m.self().incarnation, 0u);
  // The seed's answer to our join: we were up@2, then declared down@2.
  m.merge_state({Update{"seed", "seed:7946", PeerState::kUp, 0, ""},
                 Update{"n4", "n4-old:7946", PeerState::kDown, 2, ""}},
                kT0);
  EXPECT_EQ(m.self().incarnation, 3u);
  EXPECT_EQ(m.self().address, "n4-new:7946");
  auto out = m.gossip(10);
  EXPECT_NE(std::find(out.begin(), out.end(), Update{"n4", "n4-new:7946", PeerState::kUp, 3, ""}),
            out.end());
}

TEST(Timers, SuspicionTimeoutsFollowMemberlistAndLifeguard) {
  const Timers lan = Timers::lan();
  EXPECT_EQ(lan.suspicion_min_ms(5), 4000);  // 4 * max(1, log10 5) * 1 s
  EXPECT_EQ(lan.suspicion_max_ms(5), 24000);
  EXPECT_EQ(lan.suspicion_min_ms(100), 8000);  // log10 100 = 2
  EXPECT_EQ(lan.suspicion_min_ms(1), 4000);
  EXPECT_EQ(lan.expected_confirmations(5), 2);
  EXPECT_EQ(lan.expected_confirmations(3), 0);  // only one other member could confirm
  EXPECT_EQ(lan.suspicion_timeout_ms(5, 0), 24000);
  EXPECT_EQ(lan.suspicion_timeout_ms(5, 1), 11381);  // 24 - log 2 / log 3 * 20 s
  EXPECT_EQ(lan.suspicion_timeout_ms(5, 2), 4000);
  EXPECT_EQ(lan.suspicion_timeout_ms(5, 7), 4000);
  EXPECT_EQ(lan.suspicion_timeout_ms(3, 0), 4000);  // k = 0: no confirmations to wait for
  EXPECT_EQ(lan.retransmit_limit(5), 4);            // 4 * ceil(log10 6)
  EXPECT_EQ(lan.retransmit_limit(10), 8);
  EXPECT_EQ(lan.retransmit_limit(1), 4);
  EXPECT_EQ(lan.detection_bound_ms(5), 7 * 1000 + 3 * 500 + 24000);
  EXPECT_EQ(Timers::test().detection_bound_ms(5), 6500);
}

TEST(Membership, SuspectWithoutConfirmationsGoesDownAfterTheMaximumTimeout) {
  Membership m = cluster(5);
  int64_t now = kT0;
  const Probe p = fail_probe(m, now);
  EXPECT_EQ(m.find(p.target)->state, PeerState::kSuspect);
  EXPECT_EQ(m.local_health(), 0);  // every via nacked: the target's fault, not ours
  const int64_t suspected = now;
  m.tick(suspected + 4799);
  EXPECT_EQ(m.find(p.target)->state, PeerState::kSuspect);
  m.tick(suspected + 4800);  // 6 * 4 * 200 ms
  EXPECT_EQ(m.find(p.target)->state, PeerState::kDown);
  auto changes = m.take_changes();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].to, PeerState::kSuspect);
  EXPECT_EQ(changes[1].from, PeerState::kSuspect);
  EXPECT_EQ(changes[1].to, PeerState::kDown);
  EXPECT_EQ(m.find(p.target)->since_ms, suspected + 4800);
  // Our verdict is gossiped.
  auto out = m.gossip(10);
  EXPECT_NE(std::find_if(
                out.begin(), out.end(),
                [&](const Update& u) { return u.id == p.target && u.state == PeerState::kDown; }),
            out.end());
}

TEST(Membership, IndependentConfirmationsShortenTheSuspicion) {
  Membership m = cluster(5);
  int64_t now = kT0;
  const std::string x = fail_probe(m, now).target;
  const int64_t start = now;
  std::vector<std::string> others;
  for (const auto& mem : m.members())
    if (mem.id != x) others.push_back(mem.id);
  // Not confirmations: the suspect itself, an unknown id, no `from`, our own suspicion again.
  m.merge({claim(x, PeerState::kSuspect, 0, x), claim(x, PeerState::kSuspect, 0, "stranger"),
           claim(x, PeerState::kSuspect, 0, ""), claim(x, PeerState::kSuspect, 0, "self")},
          now);
  m.tick(start + 2276);
  EXPECT_EQ(m.find(x)->state, PeerState::kSuspect);
  // One independent confirmation: 4800 - log 2 / log 3 * 4000 = 2276 ms.
  m.merge({claim(x, PeerState::kSuspect, 0, others[0])}, now);
  m.merge({claim(x, PeerState::kSuspect, 0, others[0])}, now);  // counted once
  m.tick(start + 2275);
  EXPECT_EQ(m.find(x)->state, PeerState::kSuspect);
  // The second drives it to the minimum (800 ms), already past: down at once.
  m.merge({claim(x, PeerState::kSuspect, 0, others[1])}, start + 2275);
  EXPECT_EQ(m.find(x)->state, PeerState::kDown);
}

TEST(Membership, TwoConfirmationsGiveTheMinimumTimeout) {
  Membership m = cluster(5);
  int64_t now = kT0;
  const std::string x = fail_probe(m, now).target;
  std::vector<std::string> others;
  for (const auto& mem : m.members())
    if (mem.id != x) others.push_back(mem.id);
  m.merge(
      {claim(x, PeerState::kSuspect, 0, others[0]), claim(x, PeerState::kSuspect, 0, others[1])},
      now);
  m.tick(now + 799);
  EXPECT_EQ(m.find(x)->state, PeerState::kSuspect);
  m.tick(now + 800);
  EXPECT_EQ(m.find(x)->state, PeerState::kDown);
}

TEST(Membership, SuspicionHeardFromOthersStartsAtTheMaximumAndOurProbeConfirms) {
  Membership m = cluster(5);
  m.merge({claim("n1", PeerState::kSuspect, 0, "n2")}, kT0);
  EXPECT_EQ(m.find("n1")->state, PeerState::kSuspect);
  // Our own failed probe of n1 is a confirmation (n2 started it).
  int64_t now = kT0;
  for (int i = 0; i < 8 && m.find("n1")->state == PeerState::kSuspect; ++i) {
    Probe p = next_probe(m, now);
    if (p.target != "n1") {
      m.on_ack(p.seq, now);
      continue;
    }
    now += p.timeout_ms;
    m.on_failed(p.seq, now);
    auto ind = m.tick(now);
    ASSERT_EQ(ind.size(), 1u);
    for (const auto& via : ind.front().via) m.on_nack(ind.front().seq, via, now);
    break;
  }
  auto out = m.gossip(10);
  EXPECT_NE(std::find(out.begin(), out.end(), claim("n1", PeerState::kSuspect, 0, "self")),
            out.end());
  m.tick(kT0 + 2275);
  EXPECT_EQ(m.find("n1")->state, PeerState::kSuspect);
  m.tick(kT0 + 2276);
  EXPECT_EQ(m.find("n1")->state, PeerState::kDown);
}

TEST(Membership, RefutationBeatsTheSuspicion) {
  Membership m = cluster(5);
  int64_t now = kT0;
  const std::string x = fail_probe(m, now).target;
  m.merge({claim(x, PeerState::kUp, 1)}, now + 100);
  EXPECT_EQ(m.find(x)->state, PeerState::kUp);
  m.tick(now + 10'000);
  EXPECT_EQ(m.find(x)->state, PeerState::kUp);
}

}  // namespace
}  // namespace x0::mesh
