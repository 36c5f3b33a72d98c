// Isolation (the security runbook's "isolate"): while the node's flag is set, only loopback
// clients are served; everyone else gets 503 before the request counts as the service's.
#include "gateway/filters/filters.h"
#include "gateway/stream.h"

namespace x0::gateway {
namespace {

class IsolationFilter final : public StreamFilter {
 public:
  explicit IsolationFilter(const std::atomic<bool>* isolated) : isolated_(isolated) {}

  bool takes_part(const Stream& /*stream*/) const override { return isolated_ != nullptr; }

  FilterStatus on_request(Stream& stream) override {
    if (!isolated_->load(std::memory_order_relaxed) || stream.client().peer_is_loopback()) {
      return FilterStatus::kContinue;
    }
    stream.respond(ErrorCode::kIsolated, "this node is isolated: external traffic is blocked");
    return FilterStatus::kStop;
  }

 private:
  const std::atomic<bool>* isolated_;  // the node's; null in tests that do not isolate
};

}  // namespace

std::unique_ptr<StreamFilter> make_isolation_filter(WorkerContext& worker) {
  return std::make_unique<IsolationFilter>(worker.isolated);
}

}  // namespace x0::gateway
