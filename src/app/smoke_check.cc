// Asynchronous smoke checks (see smoke_check.h).
#include "app/smoke_check.h"

#include <optional>
#include <string>

#include "common/log.h"
#include "http/client.h"

namespace x0::app {
// One release's check: the candidates one after the other, one http::Client reused.
class SmokeChecks::Task {
 public:
  Task(SmokeChecks& owner, uint64_t id, const release::Release& release, Done done)
      : owner_(owner), id_(id), release_(release), done_(std::move(done)), client_(owner.loop_) {}
  ~Task() {
    if (lookup_) owner_.resolver_.cancel(*lookup_);
  }

  // The next candidate: its address (IP literals at once, names through the resolver), then
  // the GET. Completes through the resolver's or the client's deferred callback, never inside
  // start().
  void next() {
    if (index_ >= release_.spec.candidate.size()) return owner_.finished(id_, {});
    const config::Endpoint& endpoint = release_.spec.candidate[index_];
    lookup_ = owner_.resolver_.resolve(endpoint.host, endpoint.port, release_.spec.smoke.timeout_ms,
                                       [this](Result<net::SocketAddress> address) {
                                         lookup_.reset();
                                         on_address(std::move(address));
                                       });
  }

  Done take_done() { return std::move(done_); }

 private:
  void on_address(Result<net::SocketAddress> address) {
    const config::Endpoint& endpoint = release_.spec.candidate[index_];
    if (!address) {
      return owner_.finished(id_, fail(Errc::kSmokeFailed, "candidate " + endpoint.to_string() +
                                                               ": " + address.error().detail));
    }
    http::ClientRequest request;
    request.target = release_.spec.smoke.path;
    request.host = endpoint.to_string();
    request.headers.emplace_back("User-Agent", "x0tta6bl4-smoke");
    if (!release_.spec.header_name.empty())
      request.headers.emplace_back(release_.spec.header_name, release_.spec.header_value);
    http::ClientOptions options;
    options.timeout_ms = release_.spec.smoke.timeout_ms;
    options.max_body_bytes = 64 * 1024;  // the status is what matters; a huge body is no pass
    client_.start(*address, request, options,
                  [this](Result<http::ClientResponse> r) { on_response(std::move(r)); });
  }

  void on_response(Result<http::ClientResponse> r) {
    const config::Endpoint& endpoint = release_.spec.candidate[index_];
    if (!r) {
      return owner_.finished(
          id_, fail(Errc::kSmokeFailed, "GET " + release_.spec.smoke.path + " on " +
                                            endpoint.to_string() + ": " + r.error().detail));
    }
    if (r->status != release_.spec.smoke.expect_status) {
      return owner_.finished(
          id_, fail(Errc::kSmokeFailed, "GET " + release_.spec.smoke.path + " on " +
                                            endpoint.to_string() + " answered " +
                                            std::to_string(r->status) + ", expected " +
                                            std::to_string(release_.spec.smoke.expect_status)));
    }
    ++index_;
    next();
  }

  SmokeChecks& owner_;
  uint64_t id_;
  release::Release release_;
  Done done_;
  size_t index_ = 0;
  std::optional<net::Resolver::RequestId> lookup_;  // a name being looked up
  http::Client client_;
};

SmokeChecks::SmokeChecks(net::EventLoop& loop, net::Resolver& resolver)
    : loop_(loop), resolver_(resolver) {}

SmokeChecks::~SmokeChecks() = default;

void SmokeChecks::start(const release::Release& release, Done done) {
  loop_.assert_owner("SmokeChecks::start");
  uint64_t id = next_id_++;
  auto [it, inserted] = tasks_.emplace(id, std::make_unique<Task>(*this, id, release, std::move(done)));
  log::info("RELEASE", "smoke check started",
            {{"id", release.id}, {"candidates", release.spec.candidate.size()},
             {"timeout_ms", release.spec.smoke.timeout_ms}});
  it->second->next();
}

// Called from the task's own client callback (deferred, so destroying the task and its client
// here is allowed) or from a deferred call; nothing of the task is touched after the erase.
void SmokeChecks::finished(uint64_t id, Result<void> outcome) {
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  Done done = it->second->take_done();
  tasks_.erase(it);
  done(std::move(outcome));
}

}  // namespace x0::app
