// Active health checks: one thread with its own event loop probes every endpoint of the
// published route table (HTTP GET of the service's check path through http::Client, one
// exchange per probe with the check's timeout_ms as its deadline; 2xx/3xx passes) and flips the
// shared EndpointState::healthy flag after healthy/unhealthy_threshold consecutive results.
// A passing check also ends a passive ejection.
//
// Threads: the probes, their clients and the tick live on the checker's loop; other threads only
// read first_round_done() and the EndpointState atomics the checks write.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "common/result.h"
#include "gateway/route_table.h"
#include "http/client.h"
#include "net/event_loop.h"

namespace x0::gateway {

class HealthChecker {
 public:
  explicit HealthChecker(const RouteTablePublisher& publisher);
  ~HealthChecker();

  void start();
  void stop();
  // True once every endpoint with checks enabled has had at least one completed probe.
  bool first_round_done() const { return first_round_done_.load(); }

 private:
  struct Probe;
  void tick();
  void begin(Probe& probe);
  void finish(Probe& probe, const Result<http::ClientResponse>& result);

  const RouteTablePublisher& publisher_;
  net::EventLoop loop_;
  std::thread thread_;
  std::map<EndpointState*, std::unique_ptr<Probe>> probes_;
  std::atomic<bool> first_round_done_{false};
};

}  // namespace x0::gateway
