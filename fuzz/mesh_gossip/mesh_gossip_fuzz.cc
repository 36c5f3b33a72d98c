// Fuzz the mesh gossip codec and the membership rules behind it: arbitrary bytes must yield a
// message or a clear error, never a crash, an exception or UB; whatever decodes round-trips
// unchanged; and no sequence of decoded updates makes a Membership outgrow its caps.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "mesh/gossip_codec.h"
#include "mesh/membership.h"

namespace {

using namespace x0::mesh;

template <class Message, class Decode>
const Message* round_trip(std::string_view text, Decode decode, Message& out) {
  auto m = decode(text);
  if (!m) return nullptr;
  auto again = decode(encode(*m));
  if (!again || !(*again == *m)) std::abort();
  out = *std::move(m);
  return &out;
}

// Drives a node with the updates as if a peer had sent them, and checks the bounds.
void exercise(const std::vector<Update>& updates, uint64_t seq, bool as_join) {
  Membership m("self", "self:7946", Timers::test(), seq);
  int64_t now = 1'000'000;
  m.merge({Update{"peer", "peer:7946", PeerState::kUp, 0, ""}}, now);
  for (int round = 0; round < 3; ++round) {
    if (as_join) {
      m.merge_state(updates, now);
    } else {
      m.merge(updates, now);
    }
    for (const Probe& p : m.tick(now)) {
      if (p.target.empty() || p.timeout_ms <= 0) std::abort();
      if (seq & 1) {
        m.on_failed(p.seq, now);
      } else {
        m.on_ack(p.seq, now);
      }
      for (const auto& via : p.via) m.on_nack(p.seq, via, now);
    }
    m.on_ack(seq, now);
    (void)m.gossip(16, "peer");
    now += 250;
  }
  (void)m.take_changes();
  if (m.members().size() > kMaxMembers || m.queued() > kMaxMembers + 1) std::abort();
  if (m.reachable() > m.known() || m.self().incarnation > kMaxIncarnation) std::abort();
  if (m.local_health() < 0 || m.local_health() >= m.timers().max_local_health) std::abort();
  for (const Update& u : m.full_state())
    if (!valid_member_id(u.id) || !valid_address(u.address)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: {
      Ping m;
      if (round_trip(text, decode_ping, m)) exercise(m.updates, m.seq, false);
      break;
    }
    case 1: {
      Ack m;
      if (round_trip(text, decode_ack, m)) exercise(m.updates, m.seq, false);
      break;
    }
    case 2: {
      PingReq m;
      if (round_trip(text, decode_ping_req, m)) exercise(m.updates, m.seq, false);
      break;
    }
    case 3: {
      PingReqResult m;
      if (round_trip(text, decode_ping_req_result, m)) exercise(m.updates, m.seq, false);
      break;
    }
    default: {
      Join m;
      if (round_trip(text, decode_join, m)) exercise(m.members, 0, true);
      break;
    }
  }
  return 0;
}
