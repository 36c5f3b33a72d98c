// Route table builds on the control thread without waiting on DNS. A build whose endpoints are
// IP literals or carried over from the current table (same service, set and "host:port": their
// address is kept) runs at once, as it always did. A build that names new hosts has them looked
// up on the net::Resolver first, and runs when the addresses are back, from the inputs of that
// moment: the config it was asked with (or the running one) and the release routing then. If
// those now name hosts not looked up yet, they are looked up in turn. Builds run in the order
// they were asked, one at a time, so a reload waiting on names holds the release changes asked
// after it, and neither builds from what the other is about to replace.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "config/config.h"
#include "gateway/route_table.h"
#include "net/event_loop.h"
#include "net/resolver.h"

namespace x0::gateway {

class RouteBuilds {
 public:
  using Done = std::function<void(Result<void>)>;
  // What the node supplies (all called on the control thread): the names a build from `config`
  // would look up now, and the build and publication itself.
  struct Hooks {
    std::function<std::vector<config::Endpoint>(const config::Config&)> names_to_resolve;
    std::function<Result<void>(const config::Config&, const RouteTable::AddressLookup&)>
        build_and_publish;
    std::function<std::shared_ptr<const config::Config>()> running_config;
  };

  // `loop` is the control loop and `resolver` answers on it; every call is made on its thread.
  // Destroying RouteBuilds (after the loop stopped) drops the builds still waiting.
  // Each name has the deadline of the config being built: `[api_gateway] resolve_timeout_ms`.
  RouteBuilds(net::EventLoop& loop, net::Resolver& resolver, Hooks hooks);
  ~RouteBuilds();
  RouteBuilds(const RouteBuilds&) = delete;
  RouteBuilds& operator=(const RouteBuilds&) = delete;

  // Builds and publishes from `config`, or from the running config when null (a release
  // change). `done` gets the outcome exactly once, on the loop thread: before request() returns
  // when nothing is to be looked up (and no earlier build waits), else later. A release-change
  // build already waiting covers a new one (its routing is read when it runs): the two share it.
  void request(std::shared_ptr<const config::Config> config, Done done);
  // Builds waiting (the first may be looking names up).
  size_t waiting() const { return jobs_.size(); }

 private:
  struct Job {
    std::shared_ptr<const config::Config> config;  // null: the running config
    std::vector<Done> done;
    std::map<std::string, net::SocketAddress> addresses;  // by "host:port", looked up so far
    std::optional<Error> lookup_error;
  };
  void pump();
  void look_up(const std::vector<config::Endpoint>& names, int64_t timeout_ms);
  void on_looked_up(const std::string& name, Result<net::SocketAddress> address);
  void finish_front(Result<void> outcome);

  net::EventLoop& loop_;
  net::Resolver& resolver_;
  Hooks hooks_;
  std::deque<Job> jobs_;
  std::vector<net::Resolver::RequestId> lookups_;  // of the front job, while it waits
  size_t lookups_left_ = 0;
  bool pumping_ = false;
};

}  // namespace x0::gateway
