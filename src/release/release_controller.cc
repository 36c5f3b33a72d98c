// The release state machine (see release_controller.h and docs/RELEASES.md). Every command
// works on a copy of the stored state, saves the copy durably, and only then makes it current:
// memory and disk never disagree, and a failed save leaves the release as it was.
#include "release/release_controller.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "common/log.h"

namespace x0::release {
namespace {

constexpr size_t kMaxHistory = 1000;
constexpr size_t kMaxActor = 128;

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Moves r to `to`, stamps it, and appends a history entry with the resulting weight.
void record(Release& r, State to, int64_t now, const std::string& actor, std::string reason) {
  Transition t{now, r.state, to, 0, actor.substr(0, kMaxActor), reason};
  r.state = to;
  r.updated_ms = now;
  r.reason = std::move(reason);
  t.weight_percent = weight_percent(r);
  r.history.push_back(std::move(t));
  if (r.history.size() > kMaxHistory) r.history.erase(r.history.begin() + 1);  // keep the start
}

// Canary: one step up, or promoted after the last step.
void step_up(Release& r, int64_t now, const std::string& actor, const std::string& why) {
  if (r.step + 1 < r.spec.steps.size()) {
    ++r.step;
    r.step_started_ms = now;
    record(
        r, State::kRunning, now, actor,
        why + ": step " + std::to_string(r.step + 1) + "/" + std::to_string(r.spec.steps.size()));
  } else {
    record(r, State::kPromoted, now, actor, why + ": promoted after the last step");
  }
}

std::unexpected<Error> invalid_state(const Release& r, std::string_view what) {
  return x0::fail(
      Errc::kInvalidState,
      "release " + r.id + " is " + std::string(to_string(r.state)) + ": " + std::string(what));
}

RoutingSet build_routing(const StoredReleases& s) {
  RoutingSet out;
  for (const auto& r : s.releases)
    if (auto rr = routing_for(r)) out.emplace(r.service, std::move(*rr));
  return out;
}

bool same_set(std::vector<config::Endpoint> a, std::vector<config::Endpoint> b) {
  auto key = [](const config::Endpoint& e) { return e.to_string(); };
  auto less = [&](const auto& x, const auto& y) { return key(x) < key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  return a == b;
}

void log_transition(const Release& r, const std::string& actor) {
  log::info("RELEASE", "release " + std::string(to_string(r.state)),
            {{"id", r.id},
             {"service", r.service},
             {"weight_percent", weight_percent(r)},
             {"actor", actor},
             {"reason", r.reason}});
}

}  // namespace

ReleaseController::ReleaseController(ControllerOptions options)
    : options_(std::move(options)),
      store_(options_.data_dir),
      metrics_(options_.metrics ? *options_.metrics : telemetry::default_registry()) {
  if (!options_.now_ms) options_.now_ms = system_now_ms;
  LoadOutcome loaded = store_.load(options_.now_ms());
  load_error_ = std::move(loaded.error);
  state_ = std::move(loaded.state);
  routing_ = std::make_shared<const RoutingSet>(build_routing(state_));
  metrics_.observe(state_.releases);
  for (const auto& r : state_.releases)
    if (is_active(r))
      log::info(
          "RELEASE", "release resumed from " + store_.path(),
          {{"id", r.id}, {"state", to_string(r.state)}, {"weight_percent", weight_percent(r)}});
}

Release* ReleaseController::active_in(StoredReleases& s, const std::string& service) {
  for (auto& r : s.releases)
    if (r.service == service && is_active(r)) return &r;
  return nullptr;
}

void ReleaseController::prune(StoredReleases& s) const {
  size_t finished = 0;
  for (const auto& r : s.releases) finished += is_active(r) ? 0 : 1;
  // Releases are appended in start order, so the first finished ones are the oldest.
  for (auto it = s.releases.begin(); finished > options_.keep_finished && it != s.releases.end();) {
    if (!is_active(*it)) {
      it = s.releases.erase(it);
      --finished;
    } else {
      ++it;
    }
  }
}

x0::Result<void> ReleaseController::commit(StoredReleases next) {
  prune(next);
  if (auto ok = store_.save(next); !ok) {
    log::error("RELEASE", "release state not saved; change refused",
               {{"error", ok.error().detail}});
    return ok;
  }
  state_ = std::move(next);
  RoutingSet routing = build_routing(state_);
  if (routing != *routing_) {
    routing_ = std::make_shared<const RoutingSet>(std::move(routing));
    ++routing_version_;
    if (options_.routing_changed) options_.routing_changed();
  }
  metrics_.observe(state_.releases);
  return {};
}

x0::Result<Release> ReleaseController::start(const std::string& service, const ReleaseSpec& spec,
                                             const std::string& actor) {
  if (!valid_service_name(service))
    return x0::fail(Errc::kBadRequest, "service: expected [a-z0-9_-]{1,64}");
  if (auto ok = validate_spec(spec); !ok) return std::unexpected(ok.error());
  std::lock_guard lock(mu_);
  StoredReleases next = state_;
  if (const Release* cur = active_in(next, service)) {
    if (cur->state == State::kPromoted)
      return x0::fail(Errc::kConflict,
                      "release " + cur->id +
                          " was promoted and the config does not "
                          "list its candidate as the stable set yet; update the config "
                          "(or roll it back) before starting another release");
    return x0::fail(Errc::kConflict, "release " + cur->id + " is already " +
                                         std::string(to_string(cur->state)) + " for " + service);
  }
  const int64_t now = options_.now_ms();
  Release r;
  // Ids stay unique even if a hand-edited file set next_sequence too low.
  do {
    r.id = service + "-" + std::to_string(next.next_sequence++);
  } while (std::any_of(next.releases.begin(), next.releases.end(),
                       [&](const Release& x) { return x.id == r.id; }));
  r.service = service;
  r.spec = spec;
  r.created_ms = r.step_started_ms = now;
  record(r, State::kRunning, now, actor,
         spec.strategy == Strategy::kCanary ? "started canary"
                                            : "started blue_green (smoke via header)");
  next.releases.push_back(r);
  if (auto ok = commit(std::move(next)); !ok) return std::unexpected(ok.error());
  log_transition(r, actor);
  return r;
}

x0::Result<Release> ReleaseController::transition(
    const std::string& service, const std::string& actor,
    const std::function<x0::Result<void>(Release&, int64_t)>& apply) {
  std::lock_guard lock(mu_);
  StoredReleases next = state_;
  Release* r = active_in(next, service);
  if (!r) return x0::fail(Errc::kNotFound, "no active release for service " + service);
  const State before = r->state;
  if (auto ok = apply(*r, options_.now_ms()); !ok) return std::unexpected(ok.error());
  Release out = *r;
  if (auto ok = commit(std::move(next)); !ok) return std::unexpected(ok.error());
  if (out.state == State::kPromoted && before != State::kPromoted) metrics_.promoted(out.service);
  if (out.state == State::kRolledBack) metrics_.rolled_back(out.service, out.reason);
  log_transition(out, actor);
  return out;
}

std::optional<Release> ReleaseController::smoke_target(const std::string& service) const {
  auto cur = active(service);
  if (cur && cur->spec.strategy == Strategy::kBlueGreen && cur->state == State::kRunning) return cur;
  return std::nullopt;
}

x0::Result<Release> ReleaseController::promote(const std::string& service, const std::string& actor,
                                               const SmokeCheckFn& smoke) {
  auto target = smoke_target(service);
  if (target && !smoke)
    return x0::fail(Errc::kSmokeUnavailable, "blue/green promote needs a smoke check");
  // The smoke check does network I/O: it runs without the lock.
  x0::Result<void> outcome = target ? smoke(*target) : x0::Result<void>{};
  return finish_promote(service, actor, target, outcome);
}

x0::Result<Release> ReleaseController::finish_promote(const std::string& service,
                                                      const std::string& actor,
                                                      const std::optional<Release>& cur,
                                                      const x0::Result<void>& smoke) {
  if (cur && !smoke) {
    log::warn("RELEASE", "blue/green switch refused: smoke check failed",
              {{"id", cur->id}, {"error", smoke.error().detail}});
    return x0::fail(Errc::kSmokeFailed,
                    "smoke check of " + cur->id + " failed: " + smoke.error().detail);
  }
  // Switch only if the release has not moved while the check ran (same id, same updated_ms,
  // still running); a blue/green release promoted without a check is a caller's bug: refused.
  return transition(service, actor, [&](Release& r, int64_t now) -> x0::Result<void> {
    if (r.state == State::kPaused) return invalid_state(r, "resume it before promoting");
    if (r.state == State::kPromoted) return invalid_state(r, "already promoted");
    if (r.spec.strategy == Strategy::kCanary) {
      step_up(r, now, actor, "promoted by " + actor);
      return {};
    }
    if (!cur || cur->id != r.id || cur->updated_ms != r.updated_ms)
      return x0::fail(Errc::kConflict,
                      "release " + r.id + " changed during the smoke check; retry");
    record(r, State::kPromoted, now, actor,
           "switched to the candidate after a passing smoke check");
    return {};
  });
}

x0::Result<Release> ReleaseController::rollback(const std::string& service,
                                                const std::string& reason,
                                                const std::string& actor) {
  return transition(service, actor, [&](Release& r, int64_t now) -> x0::Result<void> {
    record(r, State::kRolledBack, now, actor, reason.empty() ? "manual" : reason);
    return {};
  });
}

x0::Result<Release> ReleaseController::pause(const std::string& service, const std::string& reason,
                                             const std::string& actor) {
  return transition(service, actor, [&](Release& r, int64_t now) -> x0::Result<void> {
    if (r.state != State::kRunning) return invalid_state(r, "only a running release can pause");
    record(r, State::kPaused, now, actor, reason.empty() ? "paused" : reason);
    return {};
  });
}

x0::Result<Release> ReleaseController::resume(const std::string& service,
                                              const std::string& actor) {
  return transition(service, actor, [&](Release& r, int64_t now) -> x0::Result<void> {
    if (r.state != State::kPaused) return invalid_state(r, "only a paused release can resume");
    r.step_started_ms = now;
    record(r, State::kRunning, now, actor, "resumed");
    return {};
  });
}

x0::Result<Release> ReleaseController::abort(const std::string& service, const std::string& reason,
                                             const std::string& actor) {
  return transition(service, actor, [&](Release& r, int64_t now) -> x0::Result<void> {
    if (r.state == State::kPromoted) return invalid_state(r, "use rollback to leave a promotion");
    record(r, State::kAborted, now, actor, reason.empty() ? "aborted" : reason);
    return {};
  });
}

x0::Result<int> ReleaseController::tick(int64_t now_ms, const AnalysisFn& is_clean) {
  struct Due {
    std::string id, service;
    size_t step;
  };
  std::vector<Due> due;
  {
    std::lock_guard lock(mu_);
    for (const auto& r : state_.releases)
      if (r.state == State::kRunning && r.spec.strategy == Strategy::kCanary &&
          now_ms - r.step_started_ms >= r.spec.step_interval_ms)
        due.push_back({r.id, r.service, r.step});
  }
  if (due.empty()) return 0;
  std::vector<std::pair<Due, Analysis>> verdicts;  // analysis runs without the lock
  for (auto& d : due) verdicts.emplace_back(d, is_clean(d.service));

  std::lock_guard lock(mu_);
  StoredReleases next = state_;
  std::vector<Release> changed;
  for (const auto& [d, verdict] : verdicts) {
    Release* r = active_in(next, d.service);
    if (!r || r->id != d.id || r->state != State::kRunning || r->step != d.step) continue;
    if (verdict != Analysis::kClean) {
      log::debug("RELEASE", "step held",
                 {{"id", r->id},
                  {"analysis", verdict == Analysis::kDirty ? "dirty" : "insufficient_data"}});
      continue;
    }
    step_up(*r, now_ms, "autopilot", "analysis clean");
    changed.push_back(*r);
  }
  if (changed.empty()) return 0;
  if (auto ok = commit(std::move(next)); !ok) return std::unexpected(ok.error());
  for (const auto& r : changed) {
    if (r.state == State::kPromoted) metrics_.promoted(r.service);
    log_transition(r, "autopilot");
  }
  return static_cast<int>(changed.size());
}

x0::Result<int> ReleaseController::adopt_config(
    const std::map<std::string, std::vector<config::Endpoint>>& stable, const std::string& actor) {
  std::lock_guard lock(mu_);
  StoredReleases next = state_;
  const int64_t now = options_.now_ms();
  std::vector<Release> changed;
  for (auto& r : next.releases) {
    if (!is_active(r)) continue;
    auto it = stable.find(r.service);
    if (r.state == State::kPromoted) {
      if (it != stable.end() && !same_set(it->second, r.spec.candidate)) continue;
      r.adopted = true;
      record(r, State::kPromoted, now, actor,
             it == stable.end() ? "service removed from config"
                                : "config lists the candidate as the stable set");
    } else if (it == stable.end()) {
      record(r, State::kAborted, now, actor, "service removed from config");
    } else {
      continue;
    }
    changed.push_back(r);
  }
  if (changed.empty()) return 0;
  if (auto ok = commit(std::move(next)); !ok) return std::unexpected(ok.error());
  for (const auto& r : changed) log_transition(r, actor);
  return static_cast<int>(changed.size());
}

std::vector<Release> ReleaseController::list() const {
  std::lock_guard lock(mu_);
  std::vector<Release> out;
  for (const auto& r : state_.releases)
    if (is_active(r)) out.push_back(r);
  for (auto it = state_.releases.rbegin(); it != state_.releases.rend(); ++it)
    if (!is_active(*it)) out.push_back(*it);
  return out;
}

std::optional<Release> ReleaseController::find(const std::string& id) const {
  std::lock_guard lock(mu_);
  for (const auto& r : state_.releases)
    if (r.id == id) return r;
  return std::nullopt;
}

std::optional<Release> ReleaseController::active(const std::string& service) const {
  std::lock_guard lock(mu_);
  for (const auto& r : state_.releases)
    if (r.service == service && is_active(r)) return r;
  return std::nullopt;
}

std::shared_ptr<const RoutingSet> ReleaseController::routing() const {
  std::lock_guard lock(mu_);
  return routing_;
}

uint64_t ReleaseController::routing_version() const {
  std::lock_guard lock(mu_);
  return routing_version_;
}

}  // namespace x0::release
