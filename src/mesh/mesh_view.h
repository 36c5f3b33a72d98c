// What the rest of the node sees of the mesh: an immutable snapshot the mesh thread publishes
// after every change and probe round (atomic pointer swap), read by the operator API
// (/mesh/peers, /mesh/status, /security/pqc/status, /health) and the metrics on any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mesh/gossip_codec.h"

namespace x0::mesh {

// Help text of pqc_handshake_total{result}, registered by the node and counted by the agent.
inline constexpr std::string_view kHandshakesHelp =
    "Mesh link set-ups (TLS handshake and composite identity exchange), by result: ok "
    "(post-quantum), fallback (classical group), failed (refused).";

struct PeerView {
  std::string id;
  std::string address;
  std::string state;  // up|suspect|down|left
  std::chrono::sys_seconds since{};
  std::optional<double> rtt_ms;  // the last probe's round trip over the link
  // The last link set up with this peer (either direction).
  bool linked = false;
  bool pqc = false;  // X25519MLKEM768 and both composite identities verified
  std::string kex_group;
  bool pq_identity_verified = false;
  std::chrono::sys_seconds last_handshake{};
  std::chrono::sys_seconds last_seen{};
  std::chrono::sys_seconds cert_not_after{};
  std::vector<ServiceHealth> services;  // as its last ping or ack said
  // Our last direct exchange with it (a probe, a join) was answered: requests for its services
  // can go to it over our own link (else only through a peer that relays).
  bool direct = false;
};

struct LinkCounters {
  uint64_t ok = 0;        // links up with X25519MLKEM768 and both PQ identities
  uint64_t fallback = 0;  // links up on a classical group ([pqc] mode = preferred or disabled)
  uint64_t failed = 0;    // refused: TLS, identity frame, certificate, signature, mode
  std::string last_failure_reason, last_failure_detail, last_failure_peer;
  std::chrono::sys_seconds last_failure_at{};
};

struct MeshView {
  std::string node_id;
  std::string address;  // where peers reach this node
  std::string pqc_mode;
  std::vector<PeerView> peers;  // sorted by id
  size_t peers_up = 0;
  size_t known = 1;      // self and every member not `left`
  size_t reachable = 1;  // self and members up or suspect
  size_t quorum = 1;     // a majority of `known`
  bool partitioned = false;
  int local_health = 0;
  // True while some link of an up peer runs without post-quantum key exchange (SEV-1).
  bool fallback_enabled = false;
  LinkCounters links;
};

// One peer's answer to `x0tta6bl4 mesh ping` (GET /mesh/ping): a probe over its link now.
struct PingResult {
  std::string id, address, state;
  bool ok = false;
  double rtt_ms = 0;
  std::string error;  // why not ok
};

// What the operator API and the metrics reach of the mesh (the mesh agent; null when the mesh
// is off). Any thread.
class MeshApi {
 public:
  virtual ~MeshApi() = default;
  virtual std::shared_ptr<const MeshView> view() const = 0;
  // Probes every live member over its link now; `done` runs once, on the mesh thread, with one
  // result per member, within a few probe timeouts.
  virtual void ping_all(std::function<void(std::vector<PingResult>)> done) = 0;
};

}  // namespace x0::mesh
