// Passive outlier detection: an endpoint that fails passive_eject_failures times in a row
// (connect, reset, timeout, bad response, 5xx) sits out for the worker's passive_eject_ms; a
// success ends the run. The counters live on the shared EndpointState, so every worker's
// failures count toward one ejection.
#include "common/log.h"
#include "gateway/filters/filters.h"
#include "gateway/stream.h"

namespace x0::gateway {
namespace {

class OutlierFilter final : public Filter<OutlierFilter> {
 public:
  explicit OutlierFilter(WorkerContext& worker) : worker_(worker) {}

  void on_upstream_result(Stream& stream, EndpointState& endpoint, bool failed) override {
    if (!failed) {
      if (endpoint.consecutive_failures.load(std::memory_order_relaxed) != 0) {
        endpoint.consecutive_failures.store(0, std::memory_order_relaxed);
      }
      return;
    }
    endpoint.failures.fetch_add(1, std::memory_order_relaxed);
    int failures = endpoint.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
    const ServiceState& service = stream.service();
    int eject_after = service.config.passive_eject_failures;  // 0: passive ejection off
    if (eject_after <= 0 || failures < eject_after) return;
    int64_t now = worker_.loop.now_ms();
    if (endpoint.ejected_until_ms.load(std::memory_order_relaxed) <= now) {
      log::warn(
          "HEALTH", "endpoint ejected after consecutive failures",
          {{"service", service.config.name}, {"endpoint", endpoint.name}, {"failures", failures}});
    }
    endpoint.ejected_until_ms.store(now + worker_.passive_eject_ms, std::memory_order_relaxed);
  }

 private:
  WorkerContext& worker_;
};

}  // namespace

std::unique_ptr<StreamFilter> make_outlier_filter(WorkerContext& worker) {
  return std::make_unique<OutlierFilter>(worker);
}

}  // namespace x0::gateway
