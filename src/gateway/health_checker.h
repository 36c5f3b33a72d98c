// Active health checks: one thread with its own event loop probes every endpoint of the
// published route table (HTTP GET of the service's check path; 2xx/3xx passes) and flips the
// shared EndpointState::healthy flag after healthy/unhealthy_threshold consecutive results.
// A passing check also ends a passive ejection.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <thread>

#include "gateway/route_table.h"
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
  class Probe;
  void tick();
  void finish(Probe& probe, bool passed, int status, const std::string& detail);

  const RouteTablePublisher& publisher_;
  net::EventLoop loop_;
  std::thread thread_;
  std::map<EndpointState*, std::unique_ptr<Probe>> probes_;
  std::atomic<bool> first_round_done_{false};
};

}  // namespace x0::gateway
