// Blue/green pre-switch smoke checks as asynchronous tasks on the control loop: a GET of the
// release's smoke path on each candidate endpoint in turn, with the override header, through
// http::Client. Nothing waits on the network on the control thread: a check is started, the
// thread goes back to its ticks, and the outcome comes back as a callback on that thread.
// Each candidate gets the release's smoke.timeout_ms (default 2000) for its lookup and again for
// its GET.
// A candidate given by name is looked up through the control loop's net::Resolver (its own
// thread; the lookup has the same timeout), never by the control thread itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "common/result.h"
#include "net/event_loop.h"
#include "net/resolver.h"
#include "release/release.h"

namespace x0::app {

class SmokeChecks {
 public:
  using Done = std::function<void(Result<void>)>;
  // `loop` is the control loop; every call below is made on its thread. Destroying SmokeChecks
  // (after the loop stopped) cancels checks in flight without calling their `done`.
  SmokeChecks(net::EventLoop& loop, net::Resolver& resolver);
  ~SmokeChecks();
  SmokeChecks(const SmokeChecks&) = delete;
  SmokeChecks& operator=(const SmokeChecks&) = delete;

  // Starts checking `release`'s candidates; `done` is called once, later, on the loop thread:
  // ok, or "smoke_failed" with what went wrong (refused, timed out, wrong status...).
  void start(const release::Release& release, Done done);
  size_t in_flight() const { return tasks_.size(); }

 private:
  class Task;
  void finished(uint64_t id, Result<void> outcome);

  net::EventLoop& loop_;
  net::Resolver& resolver_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Task>> tasks_;
};

}  // namespace x0::app
