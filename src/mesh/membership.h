// SWIM membership and failure detection with Lifeguard's refinements, as pure logic: no sockets,
// no clocks, no threads. The mesh agent feeds it what happened on the links (acks, timeouts,
// nacks, gossip) with its monotonic now, and does what tick() asks (probes); everything here is
// deterministic given the seed, so tests drive whole clusters in simulated time (SPEC §9).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mesh/gossip_queue.h"
#include "mesh/member.h"

namespace x0::mesh {

struct Probe {
  uint64_t seq = 0;
  std::string target;  // member id to probe
  std::string target_address;
  // Empty: direct ping; else ask each of these member ids to ping target (ping-req).
  std::vector<std::string> via;
  int64_t timeout_ms = 0;  // already scaled by local health
};

// What a hostile or broken peer made us drop, and how often we defended ourselves: for metrics.
struct Counters {
  uint64_t invalid_updates = 0;  // bad id or address, incarnation above kMaxIncarnation
  uint64_t table_full = 0;       // unknown ids ignored because kMaxMembers are known
  uint64_t refutations = 0;      // claims about self answered with a higher incarnation
  uint64_t probes_failed = 0;    // probes that ended with a suspicion (direct and indirect failed)
};

// How the agent drives one node's membership (all calls on one thread, with a never-decreasing
// monotonic now in ms):
//  - call tick() often (every 10-50 ms) and send what it returns: a direct Probe is
//    POST /mesh/v1/ping to target_address, an indirect one is POST /mesh/v1/ping-req to each `via`
//    (whose addresses find() gives), with timeout_ms as the time the via waits for the target;
//  - report each probe's outcome: on_ack(), on_nack() for a ping-req answered ack=false, and
//    on_failed() when a direct ping got no answer in timeout_ms or an indirect one nothing within
//    2 * timeout_ms (a direct failure is followed by an indirect Probe on the next tick());
//    a probe never reported counts as failed 3 * timeout_ms after it was issued;
//  - answer a ping-req by pinging the target with a seq of the agent's own (not a Probe of this
//    Membership) and replying ack=true, or ack=false after the request's timeout_ms;
//  - piggyback gossip(max, to) on every message and merge() what peers piggyback; a join
//    (push-pull) carries full_state() both ways and each side hands the other's to
//    merge_state();
//  - down members are never probed: send a join to reconnect_target() (or whenever the link to
//    a down member comes back), which is how a partition heals and how a dead node that comes
//    back is seen again; and one to push_pull_target() for anti-entropy.
//
// Failure detection bound, for a member that dies in an n-node cluster whose other members are
// healthy (local health 0), lose no messages, answer within probe_timeout_ms / 2 and run the
// agent above: every other member has it `down` within Timers::detection_bound_ms(n) =
//   (2n-3) * probe_interval     its own next probe of it (round-robin: worst case it was first in
//                               one shuffled round and last in the next, n-1 members per round)
//   + 3 * probe_timeout         the direct ping's timeout, then the ping-reqs' nacks (<= 2 T)
//   + suspicion_max_ms(n)       max_mult * mult * max(1, log10 n) * probe_interval: the suspicion
//                               timeout with no confirmations (confirmations only shorten it)
// plus the agent's tick period (it sees timeouts and expiries only when it ticks).
class Membership {
 public:
  Membership(std::string self_id, std::string self_address, Timers timers, uint64_t random_seed);

  // Due probes (one direct per (scaled) interval, round-robin over a shuffled list of up/suspect
  // members), the indirect probe after a failed direct one, and suspicion expiry -> down.
  std::vector<Probe> tick(int64_t now_ms);
  // The target answered (directly, or a via member relayed its ack). Unknown seqs are ignored.
  void on_ack(uint64_t seq, int64_t now_ms);
  // Direct: no answer in time / link refused; indirect: no via member got an ack.
  void on_failed(uint64_t seq, int64_t now_ms);
  // Lifeguard nack: `via` is alive but could not reach the target. Once every via has nacked,
  // the indirect probe has failed (no need for on_failed).
  void on_nack(uint64_t seq, const std::string& via, int64_t now_ms);
  // A link with `id` closed under us (its process died, restarted or closed a connection): the
  // next tick() probes it out of its round-robin turn, as soon as no other probe is in flight,
  // so a crashed node is suspected within a round trip instead of within (2n-3) intervals. At
  // most once per two probe timeouts (or per interval, if shorter) per member, never while this
  // node's local health is degraded (a slow node's links close for its own reasons), and only
  // for an `up` one (a suspect is already being probed; a down one is not probed). The regular
  // cadence is not moved.
  void probe_soon(const std::string& id, int64_t now_ms);
  // When tick() next has something to do (a probe due, a pending indirect probe, a suspicion or
  // an in-flight probe's deadline), so the agent can tick then rather than a period later.
  int64_t next_due_ms(int64_t now_ms) const;

  // SWIM precedence (member.h, apply_rank()); a claim that *self* is suspect/down/left at an
  // incarnation >= ours is refuted (incarnation = claim + 1, an `up` queued); unknown members
  // are added (up to kMaxMembers; unknown `left` ones are not worth a slot); invalid updates are
  // dropped and counted.
  void merge(const std::vector<Update>& updates, int64_t now_ms);
  // merge() for a join's push-pull state: a remote's `down` verdicts count only as suspicion
  // (as memberlist's mergeState does), so a node healing from a partition, whose table says the
  // majority is down, cannot make anyone declare them down with its stale view.
  void merge_state(const std::vector<Update>& updates, int64_t now_ms);

  // Updates to piggyback on the next message, least-sent then newest first, each counted down
  // its retransmit budget (Timers::retransmit_limit(known())).
  std::vector<Update> gossip(size_t max_updates);
  // gossip() for a message to member `to`: if we suspect it, our claim leads (without spending
  // budget), so it hears of the suspicion from every prober and can refute at once.
  std::vector<Update> gossip(size_t max_updates, std::string_view to);
  // Every known member incl. self (and `left` ones): the answer to a join (push-pull).
  std::vector<Update> full_state() const;

  // Anti-entropy, as memberlist's push-pull: every push_pull_interval_ms, a random `up` member
  // to send a join to (full_state() both ways), which repairs whatever gossip's bounded
  // retransmits missed. None while there is nobody up.
  std::optional<Member> push_pull_target(int64_t now_ms);
  // Every reconnect_interval_ms, a random `down` member to send a join to (as serf's reconnect):
  // down members are not probed, so this is how a healed partition or a node that came back is
  // found again. The agent may instead join whenever its link to a down member comes back.
  std::optional<Member> reconnect_target(int64_t now_ms);

  void leave(int64_t now_ms);          // self -> left, queued for gossip; probing stops
  void note_degraded(int64_t now_ms);  // the agent saw its own event loop lag (local health +1)

  std::vector<Change> take_changes();             // state changes since the last call, in order
  std::vector<Member> members() const;            // others (not self), sorted by id
  const Member* find(std::string_view id) const;  // another member, or null
  const Member& self() const;
  int local_health() const;  // Lifeguard's score, 0 (healthy) .. max_local_health - 1
  size_t known() const;      // self + members not `left`
  size_t reachable() const;  // self + members `up` or `suspect`
  // This node reaches fewer than a majority of the known members (SPEC §9):
  // reachable() * 2 <= known(). A lone node (known() == 1) is not partitioned; in a two-node
  // cluster whose peer is down, each side is (neither has a majority).
  bool partitioned() const;
  const Counters& counters() const { return counters_; }
  const Timers& timers() const { return timers_; }
  size_t queued() const { return queue_.size(); }  // updates still waiting to be gossiped

 private:
  // A member and, while it is suspect, the Lifeguard suspicion timer (suspicion_timeout_ms()).
  struct Entry {
    Member m;
    std::string suspecter;                // who started the suspicion (not a confirmation)
    std::vector<std::string> confirmers;  // independent confirmations, at most `k`
    int k = 0;
    size_t n = 1;  // cluster size when the suspicion started
    int64_t suspect_start_ms = 0;
    int64_t suspect_deadline_ms = 0;
    std::optional<int64_t> last_urgent_ms;  // the last probe_soon() that was taken
  };
  struct InFlight {
    uint64_t seq = 0;
    std::string target;
    std::vector<std::string> via;  // empty: direct
    size_t nacks = 0;
    int64_t deadline_ms = 0;  // backstop if the agent never reports
  };

  void merge_one(const Update& u, int64_t now_ms);
  void claim_about_self(const Update& u);
  void add(const Update& u, int64_t now_ms);
  void set_state(Entry& e, PeerState to, uint64_t incarnation, int64_t now_ms);
  void start_suspicion(Entry& e, const std::string& from, int64_t now_ms);
  void confirm(Entry& e, const std::string& from, int64_t now_ms);
  void queue(const Entry& e, const std::string& from);
  void queue_self();
  void record(Change c);
  void schedule_probe(const std::string& id);
  void expire_suspicions(int64_t now_ms);
  std::optional<Probe> next_direct(int64_t now_ms);
  std::optional<Probe> direct(const std::string& id, int64_t now_ms);
  void start_indirect(int64_t now_ms);
  void finish(bool acked, size_t expected_nacks, size_t nacks, int64_t now_ms);
  void adjust_health(int delta);
  int64_t scaled(int64_t ms) const { return ms * (local_health_ + 1); }
  std::vector<std::string> pick_vias(const std::string& target);
  std::optional<Member> pick_due(int64_t now_ms, int64_t interval, std::optional<int64_t>& last,
                                 PeerState state);

  Member self_;
  Timers timers_;
  std::mt19937_64 rng_;
  std::map<std::string, Entry, std::less<>> table_;  // others, by id
  detail::GossipQueue queue_;
  std::deque<Change> changes_;  // bounded by kMaxChanges, oldest dropped
  Counters counters_;
  int local_health_ = 0;
  uint64_t next_seq_ = 1;
  std::optional<int64_t> last_probe_ms_;  // due time of the last direct probe
  std::optional<int64_t> last_push_pull_ms_;
  std::optional<int64_t> last_reconnect_ms_;
  std::vector<std::string> probe_order_;  // this round's shuffled ids
  size_t probe_index_ = 0;
  std::optional<InFlight> in_flight_;
  std::optional<Probe> pending_;  // indirect probe to hand out on the next tick()
  // probe_soon()'s members, probed in this order before the next one in turn (several links
  // close at once when a host with several peers' processes goes; at most one entry each).
  std::deque<std::string> urgent_;
};

}  // namespace x0::mesh
