// Name resolution off the event loop. getaddrinfo blocks for as long as the system resolver
// likes (seconds per server and attempt), so a loop that must stay responsive (the control
// thread) never calls it: it asks a Resolver, whose one worker thread calls it and post()s the
// answer back to the loop. Each request carries a deadline, owned as a net::Timer on the loop:
// a lookup still running when it passes completes with "timed_out" there and then, and its late
// answer is dropped. IP literals are answered on the loop without the worker.
//
// Completion: `done` is called exactly once per resolve(), on the loop's thread, never from
// inside resolve() (it runs through post() or defer()), unless cancel() drops it first.
// Destroying the Resolver (on the loop's thread, or once the loop stopped) cancels what is
// pending: those `done` are not called, and a worker still inside a slow lookup is left to
// finish it alone and touches nothing but its own state afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/result.h"
#include "net/event_loop.h"
#include "net/socket.h"
#include "net/timer.h"

namespace x0::net {

// "10.0.0.5", "::1" or "[::1]" with a port, without DNS (inet_pton never blocks); nullopt for a
// name.
std::optional<SocketAddress> numeric_address(const std::string& host, uint16_t port);

class Resolver {
 public:
  using Done = std::function<void(Result<SocketAddress>)>;
  // The blocking lookup the worker runs: net::resolve, or a fake in tests. It runs on the worker
  // thread and must own everything it uses (it may outlive the Resolver, see above).
  using LookupFn = std::function<Result<SocketAddress>(const std::string& host, uint16_t port)>;

  explicit Resolver(EventLoop& loop, LookupFn lookup = &net::resolve);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  using RequestId = uint64_t;
  // Called on the loop's thread. Error codes: "resolve_failed" (from the lookup), "timed_out".
  RequestId resolve(const std::string& host, uint16_t port, int64_t timeout_ms, Done done);
  // Loop thread: drops a request whose `done` has not run (it will not run); unknown or
  // completed ids are ignored. For a requester that goes away first.
  void cancel(RequestId id);
  // Requests whose `done` has not run yet.
  size_t pending() const { return pending_.size(); }

 private:
  struct Shared;   // the queue the worker and the loop share (behind its mutex)
  struct Pending;  // loop side of one request: its deadline timer and its `done`
  void complete(uint64_t id, Result<SocketAddress> result);

  EventLoop& loop_;
  std::shared_ptr<Shared> shared_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Pending>> pending_;  // loop thread only
  std::thread worker_;
  // Lets posted answers notice that the Resolver is gone (checked on the loop thread).
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace x0::net
