// The SWIM/Lifeguard state machine (membership.h): probing rounds, suspicion timers with
// confirmations, refutation, local health, and the precedence rules applied to gossip.
#include "mesh/membership.h"

#include <algorithm>
#include <utility>

namespace x0::mesh {
namespace {

// A peer flipping states as fast as it can must not grow memory if the agent stops reading.
constexpr size_t kMaxChanges = 4 * kMaxMembers;

bool probed(PeerState s) { return s == PeerState::kUp || s == PeerState::kSuspect; }

Timers sane(Timers t) {
  t.probe_interval_ms = std::max<int64_t>(1, t.probe_interval_ms);
  t.probe_timeout_ms = std::max<int64_t>(1, t.probe_timeout_ms);
  t.indirect_probes = std::max(0, t.indirect_probes);
  t.suspicion_mult = std::max(1, t.suspicion_mult);
  t.suspicion_max_mult = std::max(1, t.suspicion_max_mult);
  t.retransmit_mult = std::max(1, t.retransmit_mult);
  t.max_local_health = std::max(1, t.max_local_health);
  t.push_pull_interval_ms = std::max<int64_t>(1, t.push_pull_interval_ms);
  t.reconnect_interval_ms = std::max<int64_t>(1, t.reconnect_interval_ms);
  t.gossip_interval_ms = std::max<int64_t>(1, t.gossip_interval_ms);
  t.gossip_nodes = std::max(0, t.gossip_nodes);
  return t;
}

}  // namespace

Membership::Membership(std::string self_id, std::string self_address, Timers timers,
                       uint64_t random_seed)
    : timers_(sane(timers)), rng_(random_seed) {
  self_.id = std::move(self_id);
  self_.address = std::move(self_address);
  // Announce ourselves: peers we probe learn of us from our first messages (memberlist does
  // the same), not only through the seed we joined.
  queue_self();
}

// --- probing -------------------------------------------------------------------------------

std::vector<Probe> Membership::tick(int64_t now_ms) {
  std::vector<Probe> out;
  expire_suspicions(now_ms);
  if (self_.state == PeerState::kLeft) return out;
  if (in_flight_ && now_ms >= in_flight_->deadline_ms) on_failed(in_flight_->seq, now_ms);
  if (pending_) {
    out.push_back(std::move(*pending_));
    pending_.reset();
  }
  while (!in_flight_ && !urgent_.empty()) {  // one at a time, as every probe
    std::string id = std::move(urgent_.front());
    urgent_.pop_front();
    if (auto probe = direct(id, now_ms)) out.push_back(*std::move(probe));
  }
  // The interval is scaled by the local health of now, so a failure that raised it also
  // delays the probe already scheduled.
  const int64_t interval = scaled(timers_.probe_interval_ms);
  if (!in_flight_ && (!last_probe_ms_ || now_ms >= *last_probe_ms_ + interval)) {
    // Keep the cadence from the due time, not from when we were called, so the agent's tick
    // period does not stretch every interval; after a stall, restart from now (no burst).
    const int64_t due = last_probe_ms_ ? *last_probe_ms_ + interval : now_ms;
    last_probe_ms_ = now_ms - due >= interval ? now_ms : due;
    if (auto probe = next_direct(now_ms)) out.push_back(*std::move(probe));
  }
  return out;
}

std::optional<Probe> Membership::next_direct(int64_t now_ms) {
  for (int pass = 0; pass < 2; ++pass) {
    while (probe_index_ < probe_order_.size()) {
      if (auto probe = direct(probe_order_[probe_index_++], now_ms)) return probe;
    }
    // End of a round: a fresh shuffle, so every member is probed once per round in an order no
    // peer can predict or starve.
    probe_order_.clear();
    probe_index_ = 0;
    for (const auto& [id, e] : table_)
      if (probed(e.m.state)) probe_order_.push_back(id);
    std::shuffle(probe_order_.begin(), probe_order_.end(), rng_);
  }
  return std::nullopt;
}

std::optional<Probe> Membership::direct(const std::string& id, int64_t now_ms) {
  auto it = table_.find(id);
  if (it == table_.end() || !probed(it->second.m.state)) return std::nullopt;
  Probe p{next_seq_++, id, it->second.m.address, {}, scaled(timers_.probe_timeout_ms)};
  in_flight_ = InFlight{p.seq, id, {}, 0, now_ms + 3 * p.timeout_ms};
  return p;
}

void Membership::probe_soon(const std::string& id, int64_t now_ms) {
  auto it = table_.find(id);
  if (it == table_.end() || it->second.m.state != PeerState::kUp) return;
  if (self_.state == PeerState::kLeft || (in_flight_ && in_flight_->target == id)) return;
  // Lifeguard: a node that runs slow (its probes time out, its loop lags) closes and sees closed
  // many links that say nothing of the peers; chasing them would only add probes that time out.
  if (local_health_ > 0) return;
  Entry& e = it->second;
  // Spaced by two probe timeouts (at most an interval): enough to bound the probes a churn of
  // links can cause, short enough that a benign close does not hide a real one for long.
  const int64_t spacing = std::min(timers_.probe_interval_ms, 2 * timers_.probe_timeout_ms);
  if (e.last_urgent_ms && now_ms < *e.last_urgent_ms + spacing) return;
  e.last_urgent_ms = now_ms;
  if (std::find(urgent_.begin(), urgent_.end(), id) == urgent_.end()) urgent_.push_back(id);
}

int64_t Membership::next_due_ms(int64_t now_ms) const {
  if (self_.state == PeerState::kLeft) return now_ms + timers_.probe_interval_ms;
  if (pending_ || (!urgent_.empty() && !in_flight_)) return now_ms;
  int64_t due =
      in_flight_ ? in_flight_->deadline_ms
                 : (last_probe_ms_ ? *last_probe_ms_ + scaled(timers_.probe_interval_ms) : now_ms);
  for (const auto& [id, e] : table_)
    if (e.m.state == PeerState::kSuspect) due = std::min(due, e.suspect_deadline_ms);
  return std::max(due, now_ms);
}

void Membership::schedule_probe(const std::string& id) {
  // A member that (re)appears mid-round goes to a random place in the rest of this round.
  const size_t rest = probe_order_.size() - probe_index_;
  std::uniform_int_distribution<size_t> pick(0, rest);
  const auto at = static_cast<std::ptrdiff_t>(probe_index_ + pick(rng_));
  probe_order_.insert(probe_order_.begin() + at, id);
}

void Membership::on_ack(uint64_t seq, int64_t now_ms) {
  if (!in_flight_ || in_flight_->seq != seq) return;
  finish(true, 0, 0, now_ms);
}

void Membership::on_failed(uint64_t seq, int64_t now_ms) {
  if (!in_flight_ || in_flight_->seq != seq) return;
  if (in_flight_->via.empty()) {
    start_indirect(now_ms);
  } else {
    finish(false, in_flight_->via.size(), in_flight_->nacks, now_ms);
  }
}

void Membership::on_nack(uint64_t seq, const std::string& via, int64_t now_ms) {
  if (!in_flight_ || in_flight_->seq != seq) return;
  auto& vias = in_flight_->via;
  auto it = std::find(vias.begin(), vias.end(), via);
  if (it == vias.end()) return;
  // Count each via once: move it past the nacked prefix.
  const auto counted = vias.begin() + static_cast<std::ptrdiff_t>(in_flight_->nacks);
  if (it < counted) return;
  std::iter_swap(it, counted);
  if (++in_flight_->nacks == vias.size()) finish(false, vias.size(), vias.size(), now_ms);
}

std::vector<std::string> Membership::pick_vias(const std::string& target) {
  std::vector<std::string> candidates;
  for (const auto& [id, e] : table_)
    if (id != target && e.m.state == PeerState::kUp) candidates.push_back(id);
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  if (candidates.size() > static_cast<size_t>(timers_.indirect_probes))
    candidates.resize(static_cast<size_t>(timers_.indirect_probes));
  return candidates;
}

void Membership::start_indirect(int64_t now_ms) {
  const std::string target = in_flight_->target;
  auto it = table_.find(target);
  std::vector<std::string> vias = pick_vias(target);
  if (it == table_.end() || vias.empty()) {
    finish(false, 0, 0, now_ms);  // nobody to ask: the direct failure is the verdict
    return;
  }
  Probe p{next_seq_++, target, it->second.m.address, vias, scaled(timers_.probe_timeout_ms)};
  in_flight_ = InFlight{p.seq, target, std::move(vias), 0, now_ms + 3 * p.timeout_ms};
  pending_ = std::move(p);
}

void Membership::finish(bool acked, size_t expected_nacks, size_t nacks, int64_t now_ms) {
  const std::string target = in_flight_->target;
  in_flight_.reset();
  pending_.reset();
  if (acked) {
    adjust_health(-1);
    return;
  }
  // Lifeguard: a failed probe is our fault as much as the target's unless the vias said they
  // are fine (nacks); with no via to ask, count the failure against ourselves.
  adjust_health(expected_nacks > 0 ? static_cast<int>(expected_nacks - nacks) : 1);
  ++counters_.probes_failed;
  auto it = table_.find(target);
  if (it == table_.end()) return;
  Entry& e = it->second;
  if (e.m.state == PeerState::kUp) {
    set_state(e, PeerState::kSuspect, e.m.incarnation, now_ms);
    start_suspicion(e, self_.id, now_ms);
    queue(e, self_.id);
  } else if (e.m.state == PeerState::kSuspect) {
    confirm(e, self_.id, now_ms);
  }
}

void Membership::adjust_health(int delta) {
  local_health_ = std::clamp(local_health_ + delta, 0, timers_.max_local_health - 1);
}

void Membership::note_degraded(int64_t) { adjust_health(1); }

std::optional<Member> Membership::pick_due(int64_t now_ms, int64_t interval,
                                           std::optional<int64_t>& last, PeerState state) {
  if (self_.state == PeerState::kLeft) return std::nullopt;
  if (!last) last = now_ms;  // the first one an interval after we started
  if (now_ms < *last + interval) return std::nullopt;
  last = now_ms;
  std::vector<const Member*> candidates;
  for (const auto& [id, e] : table_)
    if (e.m.state == state) candidates.push_back(&e.m);
  if (candidates.empty()) return std::nullopt;
  std::uniform_int_distribution<size_t> pick(0, candidates.size() - 1);
  return *candidates[pick(rng_)];
}

std::optional<Member> Membership::push_pull_target(int64_t now_ms) {
  return pick_due(now_ms, timers_.push_pull_interval_ms, last_push_pull_ms_, PeerState::kUp);
}

std::optional<Member> Membership::reconnect_target(int64_t now_ms) {
  return pick_due(now_ms, timers_.reconnect_interval_ms, last_reconnect_ms_, PeerState::kDown);
}

// --- suspicion -----------------------------------------------------------------------------

void Membership::start_suspicion(Entry& e, const std::string& from, int64_t now_ms) {
  e.suspecter = from;
  e.confirmers.clear();
  e.n = reachable();
  e.k = timers_.expected_confirmations(e.n);
  e.suspect_start_ms = now_ms;
  e.suspect_deadline_ms = now_ms + timers_.suspicion_timeout_ms(e.n, 0);
}

void Membership::confirm(Entry& e, const std::string& from, int64_t now_ms) {
  if (from.empty() || from == e.m.id || from == e.suspecter) return;
  if (e.confirmers.size() >= static_cast<size_t>(e.k)) return;
  if (std::find(e.confirmers.begin(), e.confirmers.end(), from) != e.confirmers.end()) return;
  // Only members we know can confirm: a peer cannot invent suspecters to hurry a verdict.
  if (from != self_.id && !table_.contains(from)) return;
  e.confirmers.push_back(from);
  const int64_t timeout = timers_.suspicion_timeout_ms(e.n, static_cast<int>(e.confirmers.size()));
  e.suspect_deadline_ms = e.suspect_start_ms + timeout;
  queue(e, from);  // pass the new confirmation on, so the others count it too
  if (e.suspect_deadline_ms <= now_ms) expire_suspicions(now_ms);
}

void Membership::expire_suspicions(int64_t now_ms) {
  for (auto& [id, e] : table_) {
    if (e.m.state != PeerState::kSuspect || e.suspect_deadline_ms > now_ms) continue;
    set_state(e, PeerState::kDown, e.m.incarnation, now_ms);
    queue(e, {});
  }
}

// --- gossip --------------------------------------------------------------------------------

void Membership::merge(const std::vector<Update>& updates, int64_t now_ms) {
  for (const Update& u : updates) merge_one(u, now_ms);
}

void Membership::merge_state(const std::vector<Update>& updates, int64_t now_ms) {
  for (const Update& u : updates) {
    if (u.state != PeerState::kDown) {
      merge_one(u, now_ms);
      continue;
    }
    Update softened = u;
    softened.state = PeerState::kSuspect;
    softened.from.clear();
    merge_one(softened, now_ms);
  }
}

void Membership::merge_one(const Update& u, int64_t now_ms) {
  // Refuse what we could not refute (kMaxIncarnation) or should not hold.
  if (!valid_member_id(u.id) || !valid_address(u.address) || u.incarnation >= kMaxIncarnation ||
      (!u.from.empty() && !valid_member_id(u.from))) {
    ++counters_.invalid_updates;
    return;
  }
  if (u.id == self_.id) return claim_about_self(u);
  auto it = table_.find(u.id);
  if (it == table_.end()) {
    if (u.state != PeerState::kLeft) add(u, now_ms);
    return;
  }
  Entry& e = it->second;
  if (!overrides(u.state, u.incarnation, e.m.state, e.m.incarnation)) {
    // The same suspicion from someone else: Lifeguard's independent confirmation.
    if (u.state == PeerState::kSuspect && e.m.state == PeerState::kSuspect &&
        u.incarnation == e.m.incarnation)
      confirm(e, u.from, now_ms);
    return;
  }
  // Only the member itself issues `up`, so only an `up` moves its address (a rejoin elsewhere).
  if (u.state == PeerState::kUp) e.m.address = u.address;
  set_state(e, u.state, u.incarnation, now_ms);
  // A suspicion at a new incarnation is a new suspicion, with its own timer.
  if (u.state == PeerState::kSuspect) start_suspicion(e, u.from, now_ms);
  queue(e, u.from);
}

void Membership::claim_about_self(const Update& u) {
  if (self_.state == PeerState::kLeft) return;  // leaving: nothing left to defend
  const bool accused = u.state != PeerState::kUp && u.incarnation >= self_.incarnation;
  const bool newer = u.state == PeerState::kUp &&
                     (u.incarnation > self_.incarnation ||
                      (u.incarnation == self_.incarnation && u.address != self_.address));
  if (!accused && !newer) return;
  self_.incarnation = u.incarnation + 1;
  ++counters_.refutations;
  // Lifeguard: being suspected hints that we are the slow one.
  if (accused) adjust_health(1);
  queue_self();
}

void Membership::add(const Update& u, int64_t now_ms) {
  if (table_.size() >= kMaxMembers) {
    ++counters_.table_full;
    return;
  }
  Entry fresh;
  fresh.m = Member{u.id, u.address, u.state, u.incarnation, now_ms};
  Entry& e = table_.emplace(u.id, std::move(fresh)).first->second;
  record(Change{u.id, u.state, u.state, u.incarnation});
  if (u.state == PeerState::kSuspect) start_suspicion(e, u.from, now_ms);
  if (probed(u.state)) schedule_probe(u.id);
  queue(e, u.from);
}

void Membership::set_state(Entry& e, PeerState to, uint64_t incarnation, int64_t now_ms) {
  const PeerState from = e.m.state;
  e.m.incarnation = incarnation;
  if (from == to) return;
  e.m.state = to;
  e.m.since_ms = now_ms;
  if (to != PeerState::kSuspect) {
    e.suspecter.clear();
    e.confirmers.clear();
  }
  if (probed(to) && !probed(from)) schedule_probe(e.m.id);
  record(Change{e.m.id, from, to, incarnation});
}

void Membership::record(Change c) {
  changes_.push_back(std::move(c));
  if (changes_.size() > kMaxChanges) changes_.pop_front();
}

void Membership::queue(const Entry& e, const std::string& from) {
  queue_.push(Update{e.m.id, e.m.address, e.m.state, e.m.incarnation,
                     e.m.state == PeerState::kSuspect ? from : std::string()});
}

void Membership::queue_self() {
  queue_.push(Update{self_.id, self_.address, self_.state, self_.incarnation, {}});
}

std::vector<Update> Membership::gossip(size_t max_updates) {
  return queue_.take(max_updates, timers_.retransmit_limit(known()));
}

std::vector<Update> Membership::gossip(size_t max_updates, std::string_view to) {
  std::vector<Update> out;
  auto it = table_.find(to);
  if (max_updates > 0 && it != table_.end() && it->second.m.state == PeerState::kSuspect) {
    const Member& m = it->second.m;
    out.push_back(Update{m.id, m.address, m.state, m.incarnation, it->second.suspecter});
  }
  for (Update& u : queue_.take(max_updates - out.size(), timers_.retransmit_limit(known()), to))
    if (out.empty() || !(u == out.front())) out.push_back(std::move(u));
  return out;
}

std::vector<Update> Membership::full_state() const {
  std::vector<Update> out;
  out.reserve(table_.size() + 1);
  out.push_back(Update{self_.id, self_.address, self_.state, self_.incarnation, {}});
  for (const auto& [id, e] : table_)
    out.push_back(Update{id, e.m.address, e.m.state, e.m.incarnation,
                         e.m.state == PeerState::kSuspect ? e.suspecter : std::string()});
  return out;
}

void Membership::leave(int64_t now_ms) {
  if (self_.state == PeerState::kLeft) return;
  record(Change{self_.id, self_.state, PeerState::kLeft, self_.incarnation});
  self_.state = PeerState::kLeft;
  self_.since_ms = now_ms;
  in_flight_.reset();
  pending_.reset();
  queue_self();
}

// --- views ---------------------------------------------------------------------------------

std::vector<Change> Membership::take_changes() {
  std::vector<Change> out(std::make_move_iterator(changes_.begin()),
                          std::make_move_iterator(changes_.end()));
  changes_.clear();
  return out;
}

std::vector<Member> Membership::members() const {
  std::vector<Member> out;
  out.reserve(table_.size());
  for (const auto& [id, e] : table_) out.push_back(e.m);
  return out;
}

const Member* Membership::find(std::string_view id) const {
  auto it = table_.find(id);
  return it == table_.end() ? nullptr : &it->second.m;
}

const Member& Membership::self() const { return self_; }
int Membership::local_health() const { return local_health_; }

size_t Membership::known() const {
  size_t n = 1;
  for (const auto& [id, e] : table_) n += e.m.state != PeerState::kLeft;
  return n;
}

size_t Membership::reachable() const {
  size_t n = 1;
  for (const auto& [id, e] : table_) n += probed(e.m.state);
  return n;
}

bool Membership::partitioned() const { return reachable() * 2 <= known(); }

}  // namespace x0::mesh
