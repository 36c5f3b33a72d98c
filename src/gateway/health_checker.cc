// Active health checking (see health_checker.h).
#include "gateway/health_checker.h"

#include <string>

#include "common/log.h"
#include "gateway/health_state.h"

namespace x0::gateway {
namespace {
constexpr int64_t kTickMs = 50;
}

// One endpoint's probe state; at most one check in flight per endpoint (its client's exchange).
struct HealthChecker::Probe {
  Probe(net::EventLoop& loop, std::shared_ptr<EndpointState> e)
      : endpoint(std::move(e)), client(loop) {}

  std::shared_ptr<EndpointState> endpoint;
  config::HealthCheck settings;
  std::string service;
  int64_t next_due_ms = 0;
  bool completed_once = false;
  bool seen_in_table = true;
  HealthTally tally;
  http::Client client;  // destroying the probe cancels its check; no callback follows

  bool in_flight() const { return client.busy(); }
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
  probes_.clear();  // the loop has stopped: this thread may touch its registrations again
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
          if (!slot) slot = std::make_unique<Probe>(loop_, endpoint);
          Probe& probe = *slot;
          probe.seen_in_table = true;
          probe.settings = hc;
          probe.service = service->config.name;
          if (!hc.enabled) {
            if (!endpoint->healthy.load()) endpoint->healthy.store(true);
            continue;
          }
          if (!probe.completed_once) all_done = false;
          if (!probe.in_flight() && now >= probe.next_due_ms) {
            probe.next_due_ms = now + hc.interval_ms;
            begin(probe);
          }
        }
      }
    }
  }
  std::erase_if(probes_, [](const auto& entry) {
    return !entry.second->seen_in_table && !entry.second->in_flight();
  });
  if (all_done && table) first_round_done_.store(true);
  loop_.add_timer(kTickMs, [this] { tick(); });
}

void HealthChecker::begin(Probe& probe) {
  http::ClientRequest request;
  request.target = probe.settings.path;
  request.host = probe.endpoint->authority;
  request.headers.emplace_back("User-Agent", "x0tta6bl4-health");
  http::ClientOptions options;
  options.timeout_ms = probe.settings.timeout_ms;
  options.body = http::ClientBody::kHeadOnly;  // the status is the verdict
  options.tls = probe.endpoint->transports.load();  // an https:// endpoint is checked over TLS
  // The callback runs deferred on this loop and never after the probe (and its client) is gone.
  probe.client.start(probe.endpoint->address, request, options,
                     [this, &probe](Result<http::ClientResponse> r) { finish(probe, r); });
}

void HealthChecker::finish(Probe& probe, const Result<http::ClientResponse>& result) {
  probe.completed_once = true;
  int status = result ? result->status : 0;
  bool passed = status >= 200 && status < 400;
  std::string detail = result ? "status " + std::to_string(status) : result.error().detail;
  EndpointState& e = *probe.endpoint;
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
