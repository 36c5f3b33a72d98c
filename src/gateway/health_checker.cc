// Active health checking (see health_checker.h).
#include "gateway/health_checker.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "gateway/health_state.h"
#include "net/socket.h"

namespace x0::gateway {
namespace {
constexpr int64_t kTickMs = 50;
}

// One endpoint's probe state; at most one check in flight per endpoint.
class HealthChecker::Probe final : public net::IoHandler {
 public:
  Probe(HealthChecker& checker, std::shared_ptr<EndpointState> endpoint)
      : endpoint_(std::move(endpoint)), checker_(checker) {}
  ~Probe() override { abort(); }

  std::shared_ptr<EndpointState> endpoint_;
  config::HealthCheck settings;
  std::string service;
  int64_t next_due_ms = 0;
  bool in_flight = false;
  bool completed_once = false;
  HealthTally tally;
  bool seen_in_table = true;

  void begin(net::EventLoop& loop) {
    loop_ = &loop;
    in_flight = true;
    response_.clear();
    auto fd = net::connect_tcp(endpoint_->address);
    if (!fd) {
      done(false, 0, fd.error().detail);
      return;
    }
    fd_ = std::move(*fd);
    request_ = "GET " + settings.path + " HTTP/1.1\r\nHost: " + endpoint_->name +
               "\r\nUser-Agent: x0tta6bl4-health\r\nConnection: close\r\n\r\n";
    loop.add(fd_.get(), EPOLLOUT, this);
    timer_ = loop.add_timer(settings.timeout_ms, [this] {
      timer_ = 0;
      done(false, 0, "health check timed out");
    });
  }

  void on_io(uint32_t events) override {
    if (!request_.empty()) {
      int error = net::connect_result(fd_.get());
      if (error != 0 || (events & EPOLLERR)) {
        done(false, 0, std::string("connect: ") + std::strerror(error ? error : ECONNREFUSED));
        return;
      }
      ssize_t n = ::send(fd_.get(), request_.data(), request_.size(), MSG_NOSIGNAL);
      if (n != static_cast<ssize_t>(request_.size())) {
        done(false, 0, "could not send the health check request");
        return;
      }
      request_.clear();
      loop_->modify(fd_.get(), EPOLLIN, this);
      return;
    }
    char buf[512];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n > 0) response_.append(buf, static_cast<size_t>(n));
    if (response_.size() >= 12 || n <= 0) {
      // "HTTP/1.1 200" is all a verdict needs.
      int status = 0;
      if (response_.size() >= 12 && response_.starts_with("HTTP/1.")) {
        status = std::atoi(response_.substr(9, 3).c_str());
      }
      if (status == 0) {
        done(false, 0, n < 0 ? std::strerror(errno) : "no valid HTTP response");
      } else {
        done(status >= 200 && status < 400, status, "status " + std::to_string(status));
      }
    }
  }

 private:
  void abort() {
    if (timer_ != 0 && loop_ != nullptr) loop_->cancel_timer(timer_);
    timer_ = 0;
    if (fd_.valid() && loop_ != nullptr) loop_->remove(fd_.get());
    fd_.reset();
  }
  void done(bool passed, int status, const std::string& detail) {
    abort();
    in_flight = false;
    completed_once = true;
    checker_.finish(*this, passed, status, detail);
  }

  HealthChecker& checker_;
  net::EventLoop* loop_ = nullptr;
  net::Fd fd_;
  net::TimerId timer_ = 0;
  std::string request_;
  std::string response_;
};

HealthChecker::HealthChecker(const RouteTablePublisher& publisher) : publisher_(publisher) {}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::start() {
  loop_.add_timer(0, [this] { tick(); });
  thread_ = std::thread([this] { loop_.run(); });
}

void HealthChecker::stop() {
  if (!thread_.joinable()) return;
  loop_.stop();
  thread_.join();
  probes_.clear();
}

void HealthChecker::tick() {
  auto table = publisher_.current();
  int64_t now = net::EventLoop::monotonic_ms();
  for (auto& [raw, probe] : probes_) probe->seen_in_table = false;
  bool all_done = true;
  if (table) {
    for (const auto& service : table->services()) {
      const config::HealthCheck& hc = service->config.health_check;
      for (const auto* set : {&service->primary, &service->candidate, &service->fallback}) {
        for (const auto& endpoint : *set) {
          auto& slot = probes_[endpoint.get()];
          if (!slot) slot = std::make_unique<Probe>(*this, endpoint);
          Probe& probe = *slot;
          probe.seen_in_table = true;
          probe.settings = hc;
          probe.service = service->config.name;
          if (!hc.enabled) {
            if (!endpoint->healthy.load()) endpoint->healthy.store(true);
            continue;
          }
          if (!probe.completed_once) all_done = false;
          if (!probe.in_flight && now >= probe.next_due_ms) {
            probe.next_due_ms = now + hc.interval_ms;
            probe.begin(loop_);
          }
        }
      }
    }
  }
  std::erase_if(probes_, [](const auto& entry) {
    return !entry.second->seen_in_table && !entry.second->in_flight;
  });
  if (all_done && table) first_round_done_.store(true);
  loop_.add_timer(kTickMs, [this] { tick(); });
}

void HealthChecker::finish(Probe& probe, bool passed, int status, const std::string& detail) {
  EndpointState& e = *probe.endpoint_;
  e.last_check_ms.store(net::EventLoop::monotonic_ms(), std::memory_order_relaxed);
  e.last_check_status.store(status, std::memory_order_relaxed);
  if (passed) {
    // A passing active check ends a passive ejection.
    if (e.ejected_until_ms.load() != 0) e.ejected_until_ms.store(0);
    e.consecutive_failures.store(0, std::memory_order_relaxed);
  }
  bool was = e.healthy.load();
  bool now = next_health(was, passed, probe.tally, probe.settings.healthy_threshold,
                         probe.settings.unhealthy_threshold);
  if (now == was) return;
  e.healthy.store(now);
  if (now) {
    log::info("HEALTH", "endpoint healthy", {{"service", probe.service}, {"endpoint", e.name}});
  } else {
    log::warn("HEALTH", "endpoint unhealthy",
              {{"service", probe.service}, {"endpoint", e.name}, {"detail", detail}});
  }
}

}  // namespace x0::gateway
