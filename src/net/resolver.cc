// Name resolution on a worker thread, answered on the requesting loop (see resolver.h).
#include "net/resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace x0::net {

std::optional<SocketAddress> numeric_address(const std::string& host, uint16_t port) {
  std::string bare = host;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']')
    bare = bare.substr(1, bare.size() - 2);
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (::inet_pton(AF_INET, bare.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  if (::inet_pton(AF_INET6, bare.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return std::nullopt;
}

// What the worker thread and the loop share. Everything but `lookup` is read and written under
// `mu`; `lookup` is set before the thread starts and then used by the worker only.
struct Resolver::Shared {
  struct Job {
    uint64_t id;
    std::string host;
    uint16_t port;
    int64_t deadline_ms;  // monotonic; a job taken after it is skipped (the loop timed it out)
  };
  std::mutex mu;
  std::condition_variable wake;
  std::deque<Job> queue;
  EventLoop* loop = nullptr;  // nullptr once the Resolver is gone: nothing is posted any more
  Resolver* owner = nullptr;
  std::weak_ptr<char> owner_alive;
  bool busy = false;  // the worker is inside lookup()
  LookupFn lookup;

  static void run(const std::shared_ptr<Shared>& s) {
    std::unique_lock lock(s->mu);
    for (;;) {
      s->wake.wait(lock, [&] { return s->loop == nullptr || !s->queue.empty(); });
      if (s->loop == nullptr) return;
      Job job = std::move(s->queue.front());
      s->queue.pop_front();
      if (job.deadline_ms <= EventLoop::monotonic_ms()) continue;
      s->busy = true;
      lock.unlock();
      Result<SocketAddress> result = s->lookup(job.host, job.port);
      lock.lock();
      s->busy = false;
      if (s->loop == nullptr) return;
      // Posted under the mutex, so the Resolver (and with it the loop, which outlives it)
      // cannot go away in the middle of the post.
      s->loop->post([alive = s->owner_alive, owner = s->owner, id = job.id,
                     result = std::move(result)]() mutable {
        if (alive.expired()) return;  // checked on the loop thread, where the Resolver dies
        owner->complete(id, std::move(result));
      });
    }
  }
};

struct Resolver::Pending {
  Pending(Resolver& resolver, uint64_t request_id, Done on_done, std::string what, int64_t ms)
      : owner(resolver),
        id(request_id),
        done(std::move(on_done)),
        name(std::move(what)),
        timeout_ms(ms),
        deadline(resolver.loop_, Timer::call<&Pending::on_deadline>(this)) {}
  void on_deadline() {
    owner.complete(id, fail(Errc::kTimedOut, "resolving " + name + " took longer than " +
                                                 std::to_string(timeout_ms) + " ms"));
  }
  Resolver& owner;
  uint64_t id;
  Done done;
  std::string name;
  int64_t timeout_ms;
  Timer deadline;
};

Resolver::Resolver(EventLoop& loop, LookupFn lookup)
    : loop_(loop), shared_(std::make_shared<Shared>()) {
  shared_->loop = &loop_;
  shared_->owner = this;
  shared_->owner_alive = alive_;
  shared_->lookup = std::move(lookup);
  std::thread([s = shared_] { Shared::run(s); }).swap(worker_);
}

Resolver::~Resolver() {
  bool busy = false;
  {
    std::lock_guard lock(shared_->mu);
    shared_->loop = nullptr;
    shared_->queue.clear();
    busy = shared_->busy;
  }
  shared_->wake.notify_all();
  // An idle worker exits at once. One inside a slow lookup is not waited for (shutting down must
  // not wait on DNS): it finds `loop` cleared when the lookup returns and exits on its own.
  if (busy) {
    worker_.detach();
  } else {
    worker_.join();
  }
  pending_.clear();  // cancels the deadlines; their `done` are not called
}

Resolver::RequestId Resolver::resolve(const std::string& host, uint16_t port, int64_t timeout_ms,
                                      Done done) {
  loop_.assert_owner("net::Resolver::resolve");
  uint64_t id = next_id_++;
  std::string name = host + ":" + std::to_string(port);
  auto [it, inserted] =
      pending_.emplace(id, std::make_unique<Pending>(*this, id, std::move(done), name, timeout_ms));
  if (auto literal = numeric_address(host, port)) {
    // No lookup needed; still answered later, never inside this call.
    loop_.defer([alive = std::weak_ptr<char>(alive_), this, id, address = *literal] {
      if (!alive.expired()) complete(id, address);
    });
    return id;
  }
  it->second->deadline.arm(timeout_ms);
  {
    std::lock_guard lock(shared_->mu);
    shared_->queue.push_back(
        Shared::Job{id, host, port, EventLoop::monotonic_ms() + (timeout_ms < 0 ? 0 : timeout_ms)});
  }
  shared_->wake.notify_one();
  return id;
}

void Resolver::cancel(RequestId id) {
  loop_.assert_owner("net::Resolver::cancel");
  pending_.erase(id);
}

// Loop thread: the first of answer and deadline wins; the other finds no entry. Nothing of the
// Resolver is touched after `done`, which may destroy it.
void Resolver::complete(uint64_t id, Result<SocketAddress> result) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Done done = std::move(it->second->done);
  pending_.erase(it);
  done(std::move(result));
}

}  // namespace x0::net
