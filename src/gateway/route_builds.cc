// Route builds that look names up first (see route_builds.h).
#include "gateway/route_builds.h"

#include <algorithm>

namespace x0::gateway {

RouteBuilds::RouteBuilds(net::EventLoop& loop, net::Resolver& resolver, Hooks hooks)
    : loop_(loop), resolver_(resolver), hooks_(std::move(hooks)) {}

RouteBuilds::~RouteBuilds() {
  for (net::Resolver::RequestId id : lookups_) resolver_.cancel(id);
}

void RouteBuilds::request(std::shared_ptr<const config::Config> config, Done done) {
  loop_.assert_owner("RouteBuilds::request");
  if (!config) {
    for (Job& job : jobs_) {
      if (!job.config) {
        job.done.push_back(std::move(done));
        return;
      }
    }
  }
  Job job;
  job.config = std::move(config);
  job.done.push_back(std::move(done));
  jobs_.push_back(std::move(job));
  pump();
}

// Runs the builds at the front of the queue until one has names to look up (or none is left).
// Re-entrant calls (a `done` asking for another build) only queue; this loop takes them on.
void RouteBuilds::pump() {
  if (pumping_ || lookups_left_ > 0) return;
  pumping_ = true;
  while (!jobs_.empty() && lookups_left_ == 0) {
    Job& job = jobs_.front();
    if (job.lookup_error) {
      finish_front(std::unexpected(*job.lookup_error));
      continue;
    }
    std::shared_ptr<const config::Config> config =
        job.config ? job.config : hooks_.running_config();
    std::vector<config::Endpoint> names = hooks_.names_to_resolve(*config);
    std::erase_if(names,
                  [&](const config::Endpoint& e) { return job.addresses.contains(e.to_string()); });
    if (!names.empty()) {
      look_up(names, config->api_gateway.resolve_timeout_ms);
      break;
    }
    auto lookup = [&job](const config::Endpoint& e) -> Result<net::SocketAddress> {
      auto it = job.addresses.find(e.to_string());
      if (it != job.addresses.end()) return it->second;
      return fail(Errc::kResolveFailed,
                  e.to_string() + " was not looked up before the route build");
    };
    finish_front(hooks_.build_and_publish(*config, lookup));
  }
  pumping_ = false;
}

void RouteBuilds::look_up(const std::vector<config::Endpoint>& names, int64_t timeout_ms) {
  lookups_left_ = names.size();
  for (const config::Endpoint& e : names) {
    // Answered later (never inside resolve()), so lookups_left_ is complete before any answer.
    lookups_.push_back(
        resolver_.resolve(e.host, e.port, timeout_ms,
                          [this, name = e.to_string()](Result<net::SocketAddress> a) {
                            on_looked_up(name, std::move(a));
                          }));
  }
}

void RouteBuilds::on_looked_up(const std::string& name, Result<net::SocketAddress> address) {
  Job& job = jobs_.front();
  if (address) {
    job.addresses[name] = *address;
  } else if (!job.lookup_error) {
    job.lookup_error = address.error();
  }
  if (--lookups_left_ > 0) return;
  lookups_.clear();
  pump();
}

void RouteBuilds::finish_front(Result<void> outcome) {
  Job job = std::move(jobs_.front());
  jobs_.pop_front();
  for (Done& done : job.done) done(outcome);
}

}  // namespace x0::gateway
