// Peer states, id and address validation, SWIM precedence and the timer arithmetic (member.h).
#include "mesh/member.h"

#include <algorithm>
#include <cmath>

namespace x0::mesh {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

bool v6_char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
         c == '.';
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5 || port[0] == '0') return false;
  int value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  return value <= 65535;
}

}  // namespace

std::string_view state_name(PeerState s) {
  switch (s) {
    case PeerState::kUp:
      return "up";
    case PeerState::kSuspect:
      return "suspect";
    case PeerState::kDown:
      return "down";
    case PeerState::kLeft:
      return "left";
  }
  return "unknown";
}

std::optional<PeerState> parse_state(std::string_view text) {
  for (PeerState s : {PeerState::kUp, PeerState::kSuspect, PeerState::kDown, PeerState::kLeft})
    if (state_name(s) == text) return s;
  return std::nullopt;
}

bool valid_member_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength || id[0] == '-' || id[0] == '.') return false;
  return std::all_of(id.begin(), id.end(), name_char);
}

bool valid_address(std::string_view address) {
  if (address.size() > kMaxAddressLength) return false;
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || !valid_port(address.substr(colon + 1))) return false;
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    return !host.empty() && host.find(':') != std::string_view::npos &&
           std::all_of(host.begin(), host.end(), v6_char);
  }
  return !host.empty() && host.size() <= kMaxIdLength &&
         std::all_of(host.begin(), host.end(), name_char);
}

bool overrides(PeerState claim, uint64_t claim_inc, PeerState held, uint64_t held_inc) {
  if (claim == held) return claim_inc > held_inc;
  switch (claim) {
    case PeerState::kUp:
      return claim_inc > held_inc;
    case PeerState::kSuspect:
      return held == PeerState::kUp && claim_inc >= held_inc;
    case PeerState::kDown:
      return held != PeerState::kLeft && claim_inc >= held_inc;
    case PeerState::kLeft:
      return claim_inc >= held_inc;
  }
  return false;
}

Timers Timers::lan() { return Timers{}; }

Timers Timers::test() {
  Timers t;
  t.probe_interval_ms = 200;
  t.probe_timeout_ms = 100;
  t.push_pull_interval_ms = 2000;
  t.reconnect_interval_ms = 1000;
  t.gossip_interval_ms = 50;
  // suspicion_mult stays 4: Lifeguard expects mult - 2 confirmations, and a smaller mult would
  // switch confirmations off (k = 0), leaving that path untested.
  return t;
}

int64_t Timers::suspicion_min_ms(size_t n) const {
  const double scale = std::max(1.0, std::log10(static_cast<double>(std::max<size_t>(1, n))));
  return static_cast<int64_t>(static_cast<double>(suspicion_mult) * scale *
                              static_cast<double>(probe_interval_ms));
}

int64_t Timers::suspicion_max_ms(size_t n) const {
  return suspicion_max_mult * suspicion_min_ms(n);
}

int Timers::expected_confirmations(size_t n) const {
  const int k = suspicion_mult - 2;
  // n - 2: neither we nor the suspect can confirm.
  if (k < 1 || static_cast<int64_t>(n) - 2 < k) return 0;
  return k;
}

int64_t Timers::suspicion_timeout_ms(size_t n, int confirmations) const {
  const int64_t lo = suspicion_min_ms(n);
  const int64_t hi = suspicion_max_ms(n);
  const int k = expected_confirmations(n);
  if (k == 0) return lo;
  const int c = std::clamp(confirmations, 0, k);
  const double frac = std::log(c + 1.0) / std::log(k + 1.0);
  const auto raw = static_cast<int64_t>(
      std::floor(static_cast<double>(hi) - frac * static_cast<double>(hi - lo)));
  return std::max(lo, raw);
}

int Timers::retransmit_limit(size_t n) const {
  const double scale = std::ceil(std::log10(static_cast<double>(n) + 1.0));
  return std::max(1, static_cast<int>(retransmit_mult * scale));
}

int64_t Timers::suspect_bound_ms(size_t n) const {
  const int64_t rounds = std::max<int64_t>(1, 2 * static_cast<int64_t>(n) - 3);
  return rounds * probe_interval_ms + 3 * probe_timeout_ms;
}

int64_t Timers::detection_bound_ms(size_t n) const {
  return suspect_bound_ms(n) + suspicion_max_ms(n);
}

}  // namespace x0::mesh
