// The JSON bodies of the membership requests under /mesh/v1/ (SPEC §9): ping and its ack,
// ping-req and its result, join (push-pull). Decoders never throw: a hostile or broken peer gets
// a kBadRequest with what is wrong. Unknown keys are ignored, so a newer peer may add fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mesh/member.h"

namespace x0::mesh {

inline constexpr size_t kMaxBodyBytes = size_t{1} << 20;  // 1 MiB
inline constexpr size_t kMaxUpdatesPerMessage = 1024;     // = kMaxMembers: a join's full state
inline constexpr int64_t kMaxProbeTimeoutMs = 60'000;
inline constexpr size_t kMaxServicesPerNode = 256;
inline constexpr size_t kMaxServiceNameLength = 64;

// A service the sender runs and whether it has a healthy local endpoint, carried on its pings
// and acks (optional "services"; absent reads as none), so each peer learns every member's
// services within a probe round (SPEC section 9: "each node advertises its services").
struct ServiceHealth {
  std::string name;  // [a-z0-9_-], 1..64
  bool healthy = false;
  uint32_t healthy_endpoints = 0;
  // The sender takes this service's forwarded requests (its route has mesh_failover = true)...
  bool mesh_failover = false;
  // ...and, while not healthy itself, relays them: it has a direct link to a peer that serves
  // it. Both optional on the wire (false when absent).
  bool relays = false;
  bool operator==(const ServiceHealth&) const = default;
};

// POST /mesh/v1/ping
struct Ping {
  std::string from;
  uint64_t seq = 0;
  std::vector<Update> updates;
  std::vector<ServiceHealth> services;  // the sender's own
  bool operator==(const Ping&) const = default;
};

// The answer to a ping.
struct Ack {
  std::string from;
  uint64_t seq = 0;
  std::vector<Update> updates;
  std::vector<ServiceHealth> services;  // the sender's own
  bool operator==(const Ack&) const = default;
};

// POST /mesh/v1/ping-req: "ping target for me, waiting at most timeout_ms".
struct PingReq {
  std::string from;
  uint64_t seq = 0;
  std::string target, target_address;
  int64_t timeout_ms = 0;  // 1..kMaxProbeTimeoutMs
  std::vector<Update> updates;
  bool operator==(const PingReq&) const = default;
};

// The answer to a ping-req: ack false is Lifeguard's nack (the via is alive, the target silent).
struct PingReqResult {
  std::string from;
  uint64_t seq = 0;
  bool ack = false;
  std::vector<Update> updates;
  bool operator==(const PingReqResult&) const = default;
};

// POST /mesh/v1/join, answered by the same struct: both sides send Membership::full_state().
struct Join {
  std::string from, address;
  std::vector<Update> members;
  bool operator==(const Join&) const = default;
};

std::string encode(const Ping&);
std::string encode(const Ack&);
std::string encode(const PingReq&);
std::string encode(const PingReqResult&);
std::string encode(const Join&);

// Reject bodies over kMaxBodyBytes, non-objects, missing or mistyped fields, ids over
// kMaxIdLength, addresses over kMaxAddressLength, more than kMaxUpdatesPerMessage updates,
// unknown state names, incarnations above kMaxIncarnation. Id and address *syntax* is
// Membership's to check (it drops and counts bad updates instead of failing a whole message).
Result<Ping> decode_ping(std::string_view body);
Result<Ack> decode_ack(std::string_view body);
Result<PingReq> decode_ping_req(std::string_view body);
Result<PingReqResult> decode_ping_req_result(std::string_view body);
Result<Join> decode_join(std::string_view body);

}  // namespace x0::mesh
