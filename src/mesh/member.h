// The vocabulary of mesh membership: peer states, members, gossip updates and their precedence,
// and the timers with the SWIM/Lifeguard arithmetic over them (suspicion timeouts, retransmit
// budgets, the detection bound). Pure values and functions; membership.h is the state machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace x0::mesh {

enum class PeerState : uint8_t { kUp, kSuspect, kDown, kLeft };
std::string_view state_name(PeerState);  // "up","suspect","down","left"
std::optional<PeerState> parse_state(std::string_view);

// Bounds on what a peer can make us hold (each message is also capped by gossip_codec.h).
inline constexpr size_t kMaxMembers = 1024;       // others in the table; self not counted
inline constexpr size_t kMaxIdLength = 253;       // a DNS name's length
inline constexpr size_t kMaxAddressLength = 261;  // "[" + 253 + "]:" + 5 digits
// Incarnations above this are refused: JSON readers of /mesh/peers (jq, JavaScript) hold 2^53
// exactly, and a peer must not push us to the end of the range where we could not refute.
inline constexpr uint64_t kMaxIncarnation = (uint64_t{1} << 53) - 1;

// 1..253 chars of [A-Za-z0-9.-], not starting with '-' or '.' (a certificate subject / DNS name).
bool valid_member_id(std::string_view id);
// "host:port" or "[v6]:port": host 1..253 chars of [A-Za-z0-9.-] (or hex, ':' and '.' inside
// brackets), port 1..65535 without leading zeros.
bool valid_address(std::string_view address);

struct Member {
  std::string id;       // node id (its certificate's subject)
  std::string address;  // its mesh listener, "host:port"
  PeerState state = PeerState::kUp;
  uint64_t incarnation = 0;
  int64_t since_ms = 0;  // local monotonic ms when `state` last changed
};

// One line of gossip: what some node claims about a member.
struct Update {
  std::string id, address;
  PeerState state = PeerState::kUp;
  uint64_t incarnation = 0;
  // For `suspect`: the member whose probe failed. Lifeguard counts each independent suspecter
  // once as a confirmation that shortens the timeout; empty counts as none.
  std::string from;
  bool operator==(const Update&) const = default;
};

// A state change, for logs and incidents. A member first heard of has from == to (its state).
struct Change {
  std::string id;
  PeerState from, to;
  uint64_t incarnation;
};

// SWIM precedence: does a claim (state, incarnation) about a member replace what we hold?
//   up@i       overrides suspect/down/left@j only if i > j (only the member itself issues `up`,
//              so a higher one is a refutation or a rejoin), and up@j if i > j;
//   suspect@i  overrides up@j if i >= j;
//   down@i     overrides up/suspect@j if i >= j;
//   left@i     overrides up/suspect/down@j if i >= j;
// and a claim in the state we hold at a higher incarnation just raises the incarnation. `left` is
// final for its incarnation: suspect/down never override it (nobody probes a member that left,
// so such a claim is stale); a node that rejoins under the same id learns it left@i from the
// table a join returns and refutes with up@i+1, which is the one way back.
bool overrides(PeerState claim, uint64_t claim_inc, PeerState held, uint64_t held_inc);

struct Timers {  // defaults close to hashicorp/memberlist's DefaultLANConfig (config.go)
  int64_t probe_interval_ms = 1000;
  int64_t probe_timeout_ms = 500;
  int indirect_probes = 3;
  int suspicion_mult = 4;  // suspicion timeout = mult * max(1, log10(n)) * probe_interval
  int suspicion_max_mult =
      6;                    // Lifeguard: start at max_mult * min timeout, shrink with confirmations
  int retransmit_mult = 4;  // each update piggybacked retransmit_mult * ceil(log10(n+1)) times
  int max_local_health = 8;                // Lifeguard local health multiplier cap
  int64_t push_pull_interval_ms = 30'000;  // anti-entropy joins (memberlist's PushPullInterval)
  int64_t reconnect_interval_ms = 10'000;  // joins to down members (serf reconnects at 30 s)
  // memberlist's GossipInterval and GossipNodes: queued updates also go out on their own this
  // often, to this many random live members, not only riding on probes.
  int64_t gossip_interval_ms = 200;
  int gossip_nodes = 3;
  static Timers lan();   // the defaults above
  static Timers test();  // short timers for tests (200 ms interval, 100 ms timeout)

  // Suspicion timeouts in a cluster of n members (self included), not scaled by local health
  // (as memberlist: the timeout measures the cluster, not us).
  int64_t suspicion_min_ms(size_t n) const;
  int64_t suspicion_max_ms(size_t n) const;  // suspicion_max_mult * suspicion_min_ms(n)
  // Confirmations that drive the timeout to its minimum: suspicion_mult - 2, or 0 when the
  // cluster has too few other members to send them (n - 2 < suspicion_mult - 2).
  int expected_confirmations(size_t n) const;
  // Lifeguard: max - (max - min) * log(c + 1) / log(k + 1), never below min; with k == 0, min.
  int64_t suspicion_timeout_ms(size_t n, int confirmations) const;
  int retransmit_limit(size_t n) const;  // retransmit_mult * ceil(log10(n + 1)), at least 1
  // See membership.h: (2n-3) * interval + 3 * timeout + suspicion_max_ms(n).
  int64_t detection_bound_ms(size_t n) const;
  // The first part of it: by then every healthy member has its own verdict `suspect`.
  int64_t suspect_bound_ms(size_t n) const;
};

}  // namespace x0::mesh
